#!/usr/bin/env bash
# --stream writes the image to stdout; show reads it from stdin, from a
# file and from a directory alike; -R leaves the target running.
. "$(dirname "$0")/common.sh"

start_target python3 -c 'import sys, time
d = {i: i for i in range(50000)}
open(sys.argv[1], "w").close()
time.sleep(1000)' "$T/ready"
wait_file "$T/ready"
"$CRYO" dump -t "$TARGET" --stream -R 2>"$T/err" | "$CRYO" show - >"$T/piped.json" ||
	fail "dump --stream | show - failed: $(cat "$T/err")"
target_unharmed
tail -n 1 "$T/piped.json" | grep -q '"type":"TRAILER"' || fail "no trailer in piped show"
grep -q '"type":"PAGES"' "$T/piped.json" || fail "no page data in piped show"

"$CRYO" dump -t "$TARGET" --stream -R >"$T/img" || fail "dump --stream to a file"
target_unharmed
run 0 "$CRYO" show "$T/img"
run 0 "$CRYO" dump -t "$TARGET" -D "$T/dir" -R -o dump.log -v4
target_unharmed
[ -s "$T/dir/dump.log" ] || fail "no log file in the work dir"
grep -qE '^\([0-9]+\.[0-9]+\) ' "$T/dir/dump.log" || fail "log lines lack timestamps"
run 0 "$CRYO" show "$T/dir"
run 0 "$CRYO" show -D "$T/dir"
run 0 "$CRYO" show "$T/dir/cryo.img"
run 0 "$CRYO" show --summary "$T/dir"
grep -q "^ *$TARGET " "$T/out" || fail "summary does not list pid $TARGET"
# Every line of the JSON is one valid object.
"$CRYO" show "$T/dir" | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    json.loads(line); n += 1
assert n > 5, n
' || fail "show output is not JSON lines"
# Dump without -R kills the target.
run 0 "$CRYO" dump -t "$TARGET" -D "$T/kill"
for _ in $(seq 500); do
	st=$(awk '{print $3}' "/proc/$TARGET/stat" 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ] && break
	sleep 0.01
done
[ -z "$st" ] || [ "$st" = Z ] || fail "target still alive after a dump without -R (state $st)"
echo "ok"
