#!/usr/bin/env bash
# cryo show on broken images: one error line naming the record and offset,
# exit 1, nothing on stdout.
. "$(dirname "$0")/common.sh"

start_target sleep 1000
run 0 "$CRYO" dump -t "$TARGET" -D "$T/good" -R
img=$T/good/cryo.img
size=$(stat -c %s "$img")

check_bad() { # NAME PATTERN FILE
	run 1 "$CRYO" show "$3"
	one_error_line "$2"
	[ ! -s "$T/out" ] || fail "$1: output on stdout for a broken image"
}

head -c $((size - 1)) "$img" >"$T/trunc1"
check_bad "truncated by one byte" 'TRAILER at offset [0-9]+' "$T/trunc1"
head -c $((size / 2)) "$img" >"$T/trunc2"
check_bad "truncated in half" 'truncated|offset' "$T/trunc2"
head -c 4 "$img" >"$T/trunc3"
check_bad "truncated magic" 'magic|truncated' "$T/trunc3"
: >"$T/empty"
check_bad "empty" 'truncated' "$T/empty"
printf 'NOTANIMG' | cat - <(tail -c +9 "$img") >"$T/magic"
check_bad "wrong magic" 'wrong magic at offset 0' "$T/magic"
cp "$img" "$T/flip"
printf '\xff' | dd of="$T/flip" bs=1 seek=300 conv=notrunc status=none
check_bad "flipped byte" 'record .* at offset [0-9]+' "$T/flip"
cat "$img" - <<<"x" >"$T/extra"
check_bad "data after trailer" 'after the trailer' "$T/extra"
run 1 "$CRYO" show "$T/nonexistent"
one_error_line 'open image'
# From a pipe, a truncated stream is caught as well.
head -c $((size - 100)) "$img" | "$CRYO" show - >"$T/out" 2>"$T/err"
[ $? = 1 ] || fail "truncated stream: wrong exit"
one_error_line 'offset'
echo "ok"
