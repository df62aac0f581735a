#!/usr/bin/env bash
# Acceptance test with a real program: a python3 process holding a
# 100,000-entry dict and a ticking thread is dumped with -R (it must go on
# running, untraced, with the same data, its thread still ticking), then
# dumped without -R (it must be gone), restored (same pid, same data, the
# thread ticks on), and dumped and restored a second time. Each image must
# decode with `cryo show --summary`.
#
# Exit: 0 pass, 1 fail ("FAIL: reason" as the last line), 77 skip.
# Environment: BUILD, CRYO, PYTHON (python3), KEEP=1 keeps the work dir.
set -u

WORK_PREFIX=cryo-python
# shellcheck source-path=SCRIPTDIR source=python-common.bash
. "$(dirname "${BASH_SOURCE[0]}")/python-common.bash"

cat >"$APP" <<'EOF'
import hashlib, os, signal, sys, threading, time

work = sys.argv[1]
os.setsid()  # its own session: the dumped tree is self-contained

data = {i: "value-%d-%d" % (i, i * i) for i in range(100000)}
ticks = [0]
answers = [0]


def checksum():
    h = hashlib.sha256()
    for k in sorted(data):
        h.update(("%d=%s;" % (k, data[k])).encode())
    return h.hexdigest()


def ticker():
    while True:
        ticks[0] += 1
        time.sleep(0.01)


def put(name, text):
    tmp = os.path.join(work, name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, os.path.join(work, name))


def on_usr1(signum, frame):
    answers[0] += 1
    put("answer", "%d %s %d %d\n" % (answers[0], checksum(), ticks[0],
                                     len(data)))


signal.signal(signal.SIGUSR1, on_usr1)
threading.Thread(target=ticker, name="ticker", daemon=True).start()
put("pid", "%d\n" % os.getpid())
# Not signal.pause(): a signal that lands between two pause() calls (as
# one can right after a restore, before the thread is back in the syscall)
# would wait for the next one. Sleeping wakes up anyway.
while True:
    time.sleep(0.2)
EOF

# ask N: sends SIGUSR1 and waits for answer number N, read into ANSWER
# (an array: number, checksum, ticks, entries).
ANSWER=()
ask() {
	local n=$1
	kill -USR1 "$pid" 2>/dev/null || fail "cannot signal python (pid $pid)"
	wait_for_line "^$n " "$WORK/answer" 20 ||
		fail "python (pid $pid, state $(pid_state "$pid" || echo gone)) did not answer request $n within 20s"
	read -r -a ANSWER <"$WORK/answer"
	((${#ANSWER[@]} == 4)) || fail "malformed answer: ${ANSWER[*]}"
}

# dump TAG [-R]: cryo dump into $WORK/TAG, then show --summary.
dump() {
	local tag=$1 rc
	shift
	run_bg timeout -k 5 "$CMD_TIMEOUT" "$CRYO" dump -t "$pid" -D "$WORK/$tag" \
		-o dump.log -v4 "$@" </dev/null >"$WORK/$tag.out" 2>&1
	rc=$?
	if ((rc)); then
		show_tail "$WORK/$tag.out"
		show_tail "$WORK/$tag/dump.log"
		fail "cryo dump $* failed (exit $rc): $(last_line "$WORK/$tag.out")"
	fi
	run_bg timeout -k 5 "$CMD_TIMEOUT" "$CRYO" show --summary "$WORK/$tag" \
		</dev/null >"$WORK/$tag.summary" 2>&1
	rc=$?
	if ((rc)); then
		show_tail "$WORK/$tag.summary"
		fail "cryo show --summary $tag failed (exit $rc)"
	fi
	echo "dump $tag${*:+ $*}: ok, $(wc -c <"$WORK/$tag/cryo.img" 2>/dev/null || echo '?') bytes"
	head -n 5 "$WORK/$tag.summary" | sed 's/^/    /'
}

start_python 30 "$WORK"

ask 1
n1=${ANSWER[0]} sum1=${ANSWER[1]} ticks1=${ANSWER[2]} len1=${ANSWER[3]}
[[ $n1 == 1 && $len1 == 100000 ]] || fail "bad first answer: $n1 $sum1 $ticks1 $len1"
echo "before: checksum $sum1, ticks $ticks1"

dump img-R -R
pid_alive "$pid" || fail "python is not running after dump -R"
wait_untraced "$pid" 2 ||
	fail "python still traced or stopped after dump -R: $(pid_tracers "$pid" | tr '\n' ' ')"

ask 2
n2=${ANSWER[0]} sum2=${ANSWER[1]} ticks2=${ANSWER[2]} len2=${ANSWER[3]}
[[ $n2 == 2 ]] || fail "bad second answer: $n2"
[[ $sum2 == "$sum1" && $len2 == "$len1" ]] ||
	fail "the dict changed across dump -R: checksum $sum2 (was $sum1), $len2 entries"
# the thread must tick on: ask until the count moves (bounded)
for i in 3 4 5 6 7 8 9 10; do
	((ticks2 > ticks1)) && break
	sleep 0.2
	ask "$i"
	ticks2=${ANSWER[2]}
done
((ticks2 > ticks1)) || fail "the python thread stopped ticking after dump -R ($ticks2)"
echo "after dump -R: checksum $sum2, ticks $ticks2: still running"

next=$((ANSWER[0] + 1)) # the number of the next request

# restore TAG: cryo restore -d of $WORK/TAG; it must come back as $pid.
restore() {
	local tag=$1 rc rpid
	wait_pid_free "$pid" 10 || true # PID 1 reaps slowly; cryo waits too
	run_bg timeout -k 5 "$CMD_TIMEOUT" "$CRYO" restore -D "$WORK/$tag" -d \
		--pidfile "$WORK/$tag.pid" -o restore.log -v4 \
		</dev/null >"$WORK/$tag.rst" 2>&1
	rc=$?
	if ((rc)); then
		show_tail "$WORK/$tag.rst"
		show_tail "$WORK/$tag/restore.log"
		fail "cryo restore $tag failed (exit $rc): $(last_line "$WORK/$tag.rst")"
	fi
	rpid=$(tr -d ' \n' <"$WORK/$tag.pid")
	[[ $rpid == "$pid" ]] || fail "restored as pid $rpid, was $pid"
	pid_alive "$pid" || fail "python (pid $pid) is not running after restore"
	wait_untraced "$pid" 2 || fail "python traced or stopped after restore"
}

# check_restored WHEN: the dict is the same and the thread ticks on.
check_restored() {
	local when=$1 t0
	ask "$next"
	next=$((next + 1))
	[[ ${ANSWER[1]} == "$sum1" && ${ANSWER[3]} == "$len1" ]] ||
		fail "the dict changed across $when: checksum ${ANSWER[1]} (was $sum1), ${ANSWER[3]} entries"
	t0=${ANSWER[2]}
	for _ in 1 2 3 4 5 6 7 8; do
		((ANSWER[2] > t0)) && break
		sleep 0.2
		ask "$next"
		next=$((next + 1))
	done
	((ANSWER[2] > t0)) || fail "the python thread does not tick after $when (${ANSWER[2]})"
	echo "after $when: checksum ${ANSWER[1]}, ticks ${ANSWER[2]}: running"
}

for round in 1 2; do
	dump "img-kill$round"
	wait_pid_gone "$pid" 10 || fail "python still runs 10s after dump without -R (state $(pid_state "$pid"))"
	echo "after dump $round: python is gone"
	restore "img-kill$round"
	check_restored "restore $round"
done
echo "PASS: dump -R keeps python running and intact; dump kills it; restore (twice) brings it back with the same pid, data and thread"
exit 0
