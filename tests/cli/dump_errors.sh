#!/usr/bin/env bash
# A dump that cannot be done fails with one error line naming the object,
# leaves no image behind, and leaves the target running and untraced.
. "$(dirname "$0")/common.sh"

start_target sleep 1000

# No such process.
run 1 "$CRYO" dump -t 999999 -D "$T/none"
one_error_line '^cryo: error: dump \(pid 999999\): no such process'
[ ! -e "$T/none/cryo.img" ] || fail "image left behind for a missing pid"

# The images dir is a file.
touch "$T/afile"
run 1 "$CRYO" dump -t "$TARGET" -D "$T/afile"
one_error_line "images dir \\($T/afile\\)"
target_unharmed

# Already traced by someone else: refused by name, and the tracer keeps it.
if command -v strace >/dev/null; then
	strace -p "$TARGET" -o /dev/null &
	tracer=$!
	PIDS+=("$tracer")
	for _ in $(seq 300); do
		[ "$(awk '/^TracerPid:/ {print $2}' "/proc/$TARGET/status")" = "$tracer" ] && break
		sleep 0.01
	done
	run 1 "$CRYO" dump -t "$TARGET" -D "$T/traced"
	one_error_line "^cryo: error: cannot seize thread \\(pid $TARGET\\): already traced by pid $tracer"
	[ ! -e "$T/traced/cryo.img" ] || fail "image left behind for a traced pid"
	kill "$tracer"
	wait "$tracer" 2>/dev/null
	target_unharmed
fi

# A zombie in the tree (step 5 supports them): refused by name.
start_target python3 -c 'import os, sys, time
child = os.fork()
if child == 0:
    os._exit(3)
while open(f"/proc/{child}/stat").read().split(") ")[1][0] != "Z":
    time.sleep(0.01)
open(sys.argv[1] + ".tmp", "w").write(str(child))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(1000)' "$T/zready"
wait_file "$T/zready"
zombie=$(cat "$T/zready")
run 1 "$CRYO" dump -t "$TARGET" -D "$T/zombie"
one_error_line "^cryo: error: dump \\(pid $zombie\\): zombie processes are not supported yet"
[ ! -e "$T/zombie/cryo.img" ] || fail "image left behind for a zombie tree"
target_unharmed

# A seccomp filter that notifies a supervisor (RET_USER_NOTIF): its
# listener is not part of the process, refused by name.
start_target python3 -c 'import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
class F(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte),
                ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]
class P(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(F))]
# ld nr; jeq sysinfo ? USER_NOTIF : ALLOW
prog = (F * 4)(F(0x20, 0, 0, 0), F(0x15, 0, 1, 99), F(0x06, 0, 0, 0x7fc00000),
               F(0x06, 0, 0, 0x7fff0000))
p = P(4, prog)
if libc.syscall(317, 1, 0, ctypes.byref(p)):
    sys.exit("seccomp: errno %d" % ctypes.get_errno())
open(sys.argv[1], "w").close()
time.sleep(1000)' "$T/nready"
wait_file "$T/nready"
run 1 "$CRYO" dump -t "$TARGET" -D "$T/notif"
one_error_line "^cryo: error: dump seccomp filter \\(pid $TARGET\\): filter 0 returns SECCOMP_RET_USER_NOTIF"
[ ! -e "$T/notif/cryo.img" ] || fail "image left behind for a USER_NOTIF filter"
target_unharmed

# The disk fills up: ENOSPC named, nothing that looks like an image.
mkdir -p "$T/small"
if mount -t tmpfs -o size=64k cryo-test "$T/small" 2>/dev/null; then
	start_target python3 -c 'import sys, time
x = bytearray(b"x" * (8 << 20))
open(sys.argv[1], "w").close()
time.sleep(1000)' "$T/ready"
	wait_file "$T/ready"
	run 1 "$CRYO" dump -t "$TARGET" -D "$T/small"
	grep -q 'No space left on device' "$T/err" || { umount "$T/small"; fail "no ENOSPC: $(cat "$T/err")"; }
	one_error_line '^cryo: error: write image'
	left=$(ls -A "$T/small")
	umount "$T/small"
	[ -z "$left" ] || fail "files left after ENOSPC: $left"
	target_unharmed
fi

# A task in other namespaces (unshare: uts and ipc): refused by name.
start_target unshare --uts --ipc sleep 1000
for _ in $(seq 300); do
	[ "$(readlink "/proc/$TARGET/ns/uts")" != "$(readlink /proc/self/ns/uts)" ] && break
	sleep 0.01
done
run 1 "$CRYO" dump -t "$TARGET" -D "$T/ns"
one_error_line "^cryo: error: dump \\(pid $TARGET\\): it lives in another (ipc|uts) namespace \\((ipc|uts):\\[[0-9]+\\], cryo's is (ipc|uts):\\[[0-9]+\\]\\): namespaces are not supported yet"
[ ! -e "$T/ns/cryo.img" ] || fail "image left behind for a task in another namespace"
target_unharmed
echo "ok"
