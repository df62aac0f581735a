#!/usr/bin/env bash
# The main job, as a user would run it: start a real program (a python3
# counter), checkpoint it (the dump kills it), look at the image, restore
# it with the same PID, and watch it carry on counting from where it was.
set -euo pipefail
cd "$(dirname "$0")/.."
CRYO=${BUILD:-build}/cryo
work=$(mktemp -d /tmp/cryo-demo.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }

# lines N: waits (bounded) until the counter log has N lines.
lines() {
	for _ in $(seq 200); do
		[ "$(wc -l <"$work/counter.log" 2>/dev/null || echo 0)" -ge "$1" ] &&
			return 0
		sleep 0.05
	done
	echo "demo: the counter does not count (log has $(wc -l <"$work/counter.log") lines)" >&2
	exit 1
}

cat >"$work/counter.py" <<'PY'
import os, sys, time, threading
os.setsid()  # its own session: a self-contained tree to checkpoint
os.closerange(3, 1024)  # like a daemon: no fds inherited from the caller
log = open(sys.argv[1], "a", buffering=1)
data = {i: str(i) * 3 for i in range(200000)}  # some memory worth saving
n = 0
def tick():
    global n
    while True:
        n += 1
        log.write(f"count {n} (pid {os.getpid()}, {len(data)} entries)\n")
        time.sleep(0.1)
threading.Thread(target=tick, daemon=True).start()
threading.Event().wait()
PY

say "start a python3 counter that writes to $work/counter.log"
python3 "$work/counter.py" "$work/counter.log" </dev/null >/dev/null 2>&1 &
pid=$!
lines 5
tail -n 2 "$work/counter.log"

say "cryo dump -t $pid -D $work/img (freezes it, writes the image, kills it)"
"$CRYO" dump -t "$pid" -D "$work/img" -o dump.log -v4
wait "$pid" 2>/dev/null || true
if kill -0 "$pid" 2>/dev/null; then
	echo "demo: the process is still running after the dump" >&2
	exit 1
fi
before=$(wc -l <"$work/counter.log")
echo "process $pid is gone after count $before; image: $(du -h "$work/img/cryo.img" | cut -f1)"

say "cryo show --summary $work/img"
"$CRYO" show --summary "$work/img"

say "cryo restore -D $work/img -d (same pid, same memory, same threads)"
"$CRYO" restore -D "$work/img" -d --pidfile "$work/restored.pid" -o restore.log -v4
echo "restored as pid $(cat "$work/restored.pid")"
lines $((before + 5))
tail -n 3 "$work/counter.log"
echo "it counts on from $before: the checkpoint/restore worked"
