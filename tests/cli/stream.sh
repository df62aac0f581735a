#!/usr/bin/env bash
# --stream writes the image to stdout; show reads it from stdin, from a
# file and from a directory alike; -R leaves the target running; restore
# --stream reads an image from stdin.
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

# restore --stream: the image of a session leader comes from stdin.
setsid sleep 1000 </dev/null >/dev/null 2>&1 &
for _ in $(seq 300); do
	s=$(pgrep -f '^sleep 1000$' | while read -r p; do
		[ "$(awk '{print $6}' "/proc/$p/stat")" = "$p" ] && echo "$p"
	done | head -n 1)
	[ -n "$s" ] && break
	sleep 0.01
done
[ -n "$s" ] || fail "no session-leader sleep"
PIDS+=("$s")
"$CRYO" dump -t "$s" --stream >"$T/sleep.img" 2>"$T/err" || fail "dump --stream: $(cat "$T/err")"
cat "$T/sleep.img" | "$CRYO" restore --stream -d --pidfile "$T/sleep.pid" 2>"$T/err" ||
	fail "restore --stream: $(cat "$T/err")"
[ "$(cat "$T/sleep.pid")" = "$s" ] || fail "restored as pid $(cat "$T/sleep.pid"), was $s"
tr '\0' ' ' <"/proc/$s/cmdline" | grep -q '^sleep 1000 $' || fail "restored pid $s is not sleep 1000"
case $(awk '{print $3}' "/proc/$s/stat") in S | R) ;; *) fail "restored sleep in state $(awk '{print $3}' "/proc/$s/stat")" ;; esac
echo "ok"
