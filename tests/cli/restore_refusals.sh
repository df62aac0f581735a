#!/usr/bin/env bash
# A restore that cannot be done fails with one error line naming the
# object and creates nothing: a PID still taken (named with its holder,
# which keeps running), a mapped file that vanished, a process from a
# foreign session without -j, a missing image. A restore whose cryo is
# killed half-way leaves no process behind.
. "$(dirname "$0")/common.sh"

# A session leader (restorable without -j) mapping its own copy of sleep.
cp "$(command -v sleep)" "$T/mysleep"
start_target setsid -w "$T/mysleep" 1000
for _ in $(seq 300); do
	p=$(pgrep -f "^$T/mysleep 1000") && break
	sleep 0.01
done
[ -n "${p:-}" ] || fail "mysleep did not start"
TARGET=$p
PIDS+=("$p")

# The PID is still taken (dump -R): refused after the bounded wait.
run 0 "$CRYO" dump -t "$TARGET" -D "$T/img" -R
target_unharmed
CRYO_PID_WAIT_MS=200 run 1 "$CRYO" restore -D "$T/img" -d
one_error_line "^cryo: error: restore \\(pid $TARGET\\): pid $TARGET is still taken after 0.2 s, by 'mysleep'"
target_unharmed

# cryo killed in the middle of a restore (the engine's fault knob kills it
# at its first injected syscall): the half-built process dies with it.
kill "$TARGET"
for _ in $(seq 500); do kill -0 "$TARGET" 2>/dev/null || break; sleep 0.01; done
CRYO_INJECT_FAULT=syscall-exit "$CRYO" restore -D "$T/img" -d >/dev/null 2>&1
rc=$?
[ "$rc" = 137 ] || fail "restore with the fault knob exited $rc, expected to be killed (137)"
for _ in $(seq 500); do
	st=$(awk '{print $3}' "/proc/$TARGET/stat" 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ] && break
	sleep 0.01
done
[ -z "$st" ] || [ "$st" = Z ] || fail "half-restored pid $TARGET still alive (state $st) after cryo died"
CRYO_PID_WAIT_MS=5000 run 0 "$CRYO" restore -D "$T/img" -d
kill -0 "$TARGET" 2>/dev/null || fail "restore after the killed one did not bring $TARGET back"
PIDS+=("$TARGET")

# The mapped executable vanished: refused before anything is created.
run 0 "$CRYO" dump -t "$TARGET" -D "$T/img2"
for _ in $(seq 300); do kill -0 "$TARGET" 2>/dev/null || break; sleep 0.01; done
rm -f "$T/mysleep"
run 1 "$CRYO" restore -D "$T/img2" -d
one_error_line "^cryo: error: restore \\(pid $TARGET\\): mapped file $T/mysleep: No such file"
! kill -0 "$TARGET" 2>/dev/null || [ "$(awk '{print $3}' /proc/"$TARGET"/stat)" = Z ] ||
	fail "a process $TARGET exists after the failed restore"

# Not a session leader: needs -j.
start_target sleep 1000
run 0 "$CRYO" dump -t "$TARGET" -D "$T/img3" -R
CRYO_PID_WAIT_MS=0 run 1 "$CRYO" restore -D "$T/img3" -d
one_error_line "^cryo: error: restore \\(pid $TARGET\\): its session [0-9]+ is not in the image: restore with -j"
target_unharmed

# A tree of two processes: step 5; refused before anything is created.
start_target setsid sh -c 'sleep 1000 & wait'
for _ in $(seq 300); do
	kid=$(cat "/proc/$TARGET/task/$TARGET/children" 2>/dev/null)
	[ -n "$kid" ] && break
	sleep 0.01
done
[ -n "$kid" ] || fail "the tree's child did not start"
run 0 "$CRYO" dump -t "$TARGET" -D "$T/tree" -R
CRYO_PID_WAIT_MS=0 run 1 "$CRYO" restore -D "$T/tree" -d
one_error_line "^cryo: error: restore: the image holds 2 processes: restoring process trees comes in step 5"
target_unharmed
kill $kid 2>/dev/null

# No image.
run 1 "$CRYO" restore -D "$T/nothing" -d
one_error_line "^cryo: error: open images dir \\($T/nothing\\)"
echo "PASS"
