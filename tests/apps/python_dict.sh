#!/usr/bin/env bash
# Acceptance test with a real program: a python3 process holding a
# 1,000,000-entry dict answers SIGUSR1 with a checksum over the dict (in a
# file). The test asks once, dumps it (the process is gone), restores it
# (`cryo restore -D DIR -d --pidfile F`: the same PID must come back), asks
# again and compares; then a second round, dump and restore of the restored
# process. The answer counter lives in the process too, so each answer also
# proves that the process went on from where it was dumped.
#
# Exit: 0 pass, 1 fail ("FAIL: reason" as the last line), 77 skip (no
# python3, or `cryo restore` is not implemented yet).
# Environment: BUILD, CRYO, PYTHON (python3), KEEP=1 keeps the work dir.
set -u

WORK_PREFIX=cryo-pydict
# shellcheck source-path=SCRIPTDIR source=python-common.bash
. "$(dirname "${BASH_SOURCE[0]}")/python-common.bash"
ENTRIES=1000000

cat >"$APP" <<'EOF_PY'
import hashlib, os, signal, sys

work, entries = sys.argv[1], int(sys.argv[2])
os.setsid()  # its own session: the dumped tree is self-contained

data = {i: "value-%d-%d" % (i, i * 7919 % 1000003) for i in range(entries)}
answers = [0]


def checksum():
    h = hashlib.sha256()
    for k, v in data.items():  # insertion order: deterministic
        h.update(b"%d=%s;" % (k, v.encode()))
    return h.hexdigest()


def put(name, text):
    tmp = os.path.join(work, name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, os.path.join(work, name))


def on_usr1(signum, frame):
    answers[0] += 1
    put("answer", "%d %s %d\n" % (answers[0], checksum(), len(data)))


signal.signal(signal.SIGUSR1, on_usr1)
put("pid", "%d\n" % os.getpid())
while True:
    signal.pause()
EOF_PY

# ask N: sends SIGUSR1 and waits for answer number N, read into ANSWER
# (an array: number, checksum, entries).
ANSWER=()
ask() {
	local n=$1
	kill -USR1 "$pid" 2>/dev/null || fail "cannot signal python (pid $pid)"
	wait_for_line "^$n " "$WORK/answer" 60 ||
		fail "python (pid $pid, state $(pid_state "$pid" || echo gone)) did not answer request $n within 60s (answer file: $(cat "$WORK/answer" 2>/dev/null))"
	read -r -a ANSWER <"$WORK/answer"
	((${#ANSWER[@]} == 3)) || fail "malformed answer: ${ANSWER[*]}"
}

# dump TAG: cryo dump into $WORK/TAG; the process must be gone after.
dump() {
	local tag=$1 rc
	run_bg timeout -k 5 "$CMD_TIMEOUT" "$CRYO" dump -t "$pid" -D "$WORK/$tag" \
		-o dump.log -v4 </dev/null >"$WORK/$tag.dump.out" 2>&1
	rc=$?
	if ((rc)); then
		show_tail "$WORK/$tag.dump.out"
		show_tail "$WORK/$tag/dump.log"
		fail "cryo dump $tag failed (exit $rc): $(last_line "$WORK/$tag.dump.out")"
	fi
	wait_pid_gone "$pid" 10 ||
		fail "python still runs 10s after dump $tag (state $(pid_state "$pid"))"
	echo "dump $tag: ok, $(wc -c <"$WORK/$tag/cryo.img") bytes; python is gone"
}

# restore TAG: cryo restore -d from $WORK/TAG; the same pid must come back.
restore() {
	local tag=$1 rc rpid
	wait_pid_free "$pid" 10 ||
		echo "note: pid $pid is still a zombie, restoring anyway"
	rm -f "$WORK/restored.pid"
	run_bg timeout -k 5 "$CMD_TIMEOUT" "$CRYO" restore -D "$WORK/$tag" -d \
		--pidfile "$WORK/restored.pid" -o restore.log -v4 \
		</dev/null >"$WORK/$tag.restore.out" 2>&1
	rc=$?
	if ((rc)) && grep -q 'not implemented yet' "$WORK/$tag.restore.out"; then
		echo "SKIP: cryo restore is not implemented yet ($(last_line "$WORK/$tag.restore.out"))"
		exit 77
	fi
	if ((rc)); then
		show_tail "$WORK/$tag.restore.out"
		show_tail "$WORK/$tag/restore.log"
		fail "cryo restore $tag failed (exit $rc): $(last_line "$WORK/$tag.restore.out")"
	fi
	[[ -s $WORK/restored.pid ]] || fail "cryo restore $tag wrote no pidfile"
	rpid=$(tr -d ' \n' <"$WORK/restored.pid")
	[[ $rpid == "$pid" ]] || fail "restored as pid $rpid, was $pid"
	pid_alive "$pid" || fail "pid $pid is not running after restore $tag"
	wait_untraced "$pid" 2 ||
		fail "python traced or stopped after restore $tag: $(pid_tracers "$pid" | tr '\n' ' ')"
	echo "restore $tag: ok, pid $pid runs again"
}

start_python 60 "$WORK" "$ENTRIES"

ask 1
sum=${ANSWER[1]}
[[ ${ANSWER[0]} == 1 && ${ANSWER[2]} == "$ENTRIES" ]] ||
	fail "bad first answer: ${ANSWER[*]}"
echo "before: checksum $sum over ${ANSWER[2]} entries"

for round in 1 2; do
	dump "img$round"
	restore "img$round"
	n=$((round + 1))
	ask "$n"
	[[ ${ANSWER[0]} == "$n" ]] ||
		fail "round $round: answer number ${ANSWER[0]}, expected $n (the counter did not survive)"
	[[ ${ANSWER[1]} == "$sum" && ${ANSWER[2]} == "$ENTRIES" ]] ||
		fail "round $round: checksum ${ANSWER[1]} over ${ANSWER[2]} entries, was $sum over $ENTRIES"
	echo "after round $round: checksum ${ANSWER[1]}, the same"
done
echo "PASS: the 1,000,000-entry dict survives two dump/restore rounds"
exit 0
