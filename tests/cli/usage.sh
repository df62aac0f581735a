#!/usr/bin/env bash
# CLI contract: usage errors exit 2 naming the culprit, commands still to
# come exit 1 saying so, help and version work.
. "$(dirname "$0")/common.sh"

run 2 "$CRYO"
run 2 "$CRYO" frob
grep -q "'frob'" "$T/err" || fail "unknown command not named"
run 2 "$CRYO" dump --bogus
grep -q -- "'--bogus'" "$T/err" || fail "unknown option not named"
run 2 "$CRYO" dump -t notapid -D "$T/x"
run 2 "$CRYO" show -v9 "$T/x"
run 2 "$CRYO" help nosuch
for c in pre-dump page-server lazy-pages migrate; do
	run 1 "$CRYO" "$c" -D "$T/x"
	one_error_line "^cryo: error: $c: not implemented yet"
done
run 0 "$CRYO" --version
grep -qE '^cryo [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" || fail "version: $(cat "$T/out")"
for c in dump restore show check; do
	run 0 "$CRYO" help "$c"
	grep -q "usage: cryo $c" "$T/out" || fail "help $c: no usage line"
done
run 0 "$CRYO" --help
run 1 "$CRYO" dump -D "$T/x"
one_error_line '^cryo: error: dump: no tree given'
echo "ok"
