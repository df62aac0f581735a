#!/usr/bin/env bash
# The main job, as a user would run it: start a real program, checkpoint
# it, and look at the image. (Restore arrives in step 3; until then the
# demo stops after the dump and `cryo show`.)
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

say "start a python3 counter that writes to $work/counter.log"
cat >"$work/counter.py" <<'PY'
import sys, time, threading
log = open(sys.argv[1], "a", buffering=1)
data = {i: str(i) * 3 for i in range(200000)}  # some memory worth saving
n = 0
def tick():
    global n
    while True:
        n += 1
        log.write(f"count {n}\n")
        time.sleep(0.1)
threading.Thread(target=tick, daemon=True).start()
threading.Event().wait()
PY
# It must hold no terminal or pipe (the dump refuses them until later
# steps): stdin and output to /dev/null, inherited fds closed.
(
	for fd in /proc/self/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && eval "exec $fd>&-"
	done 2>/dev/null
	exec python3 "$work/counter.py" "$work/counter.log"
) </dev/null >/dev/null 2>&1 &
pid=$!
# Wait until it is counting (a condition, not a guessed delay).
for _ in $(seq 100); do
	[ "$(wc -l <"$work/counter.log" 2>/dev/null || echo 0)" -ge 3 ] && break
	sleep 0.05
done
tail -n 2 "$work/counter.log"

say "cryo dump -t $pid -D $work/img (freezes it, writes the image, kills it)"
"$CRYO" dump -t "$pid" -D "$work/img" -o dump.log -v4
wait "$pid" 2>/dev/null || true
if kill -0 "$pid" 2>/dev/null; then
	echo "demo: the process is still running after the dump" >&2
	exit 1
fi
echo "process $pid is gone; image: $(du -h "$work/img/cryo.img" | cut -f1)"
pid=

say "cryo show --summary $work/img"
"$CRYO" show --summary "$work/img"

say "cryo show $work/img (JSON, first records)"
"$CRYO" show "$work/img" >"$work/show.json"
echo "$(wc -l <"$work/show.json") records; the first five:"
head -n 5 "$work/show.json" | cut -c1-200

say "next: cryo restore -D $work/img (arrives in step 3)"
"$CRYO" restore -D "$work/img" -d || true
