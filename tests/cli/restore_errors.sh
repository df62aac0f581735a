#!/usr/bin/env bash
# A restore that cannot be done fails with one error line and leaves no
# process behind. One flipped byte of page data must be caught by the
# payload checksum before the process could run (the pages are written by
# several threads and checked as they go: the check must still win); a
# truncated image fails by name; the intact image restores (the control:
# the failures are not a restore that never works).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh" # close_inherited_fds: a restorable target
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

command -v python3 >/dev/null || {
	echo "SKIP: python3 is not installed"
	exit 77
}

# 24 MiB of random data: several PAGES records, several pieces each way.
start_target python3 -c 'import os, sys, time
os.setsid()
data = bytearray(os.urandom(24 << 20))
open(sys.argv[1] + ".tmp", "w").write(str(os.getpid()))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    time.sleep(1)' "$T/ready" </dev/null >/dev/null 2>&1
wait_file "$T/ready"
pid=$TARGET
run 0 "$CRYO" dump -t "$pid" -D "$T/img"
{ wait "$pid"; } 2>/dev/null # the dump killed it: no job notice
PIDS=()
wait_pid_free "$pid" 20 || fail "dumped pid $pid still exists"

# no_process: the failed restore left nothing with the image's PID.
no_process() {
	[ ! -e "/proc/$pid" ] || fail "pid $pid exists after a failed restore: $(cat "/proc/$pid/stat" 2>/dev/null)"
}

# copy_img NAME: a copy of the image in $T/NAME, for editing.
copy_img() {
	mkdir -p "$T/$1"
	cp "$T/img/cryo.img" "$T/$1/cryo.img"
}

# flip NAME WHICH: flips one byte in the middle of the WHICH-th (0: first,
# -1: last) PAGES payload of $T/NAME/cryo.img; prints its offset.
flip() {
	python3 - "$T/$1/cryo.img" "$2" <<'EOF'
import struct, sys
path, which = sys.argv[1], int(sys.argv[2])
img = bytearray(open(path, "rb").read())
off, pages = 8, []
while off + 24 <= len(img):
    typ, _, _, ln, _, _ = struct.unpack_from("<HHIQII", img, off)
    if typ == 11:
        pages.append((off + 24, ln))
    if typ == 0xffff:
        break
    off += 24 + ln
at, ln = pages[which]
at += ln // 2 + 123
img[at] ^= 0x40
open(path, "wb").write(img)
print(at)
EOF
}

# Page data corrupted in the first and in the last PAGES record.
for which in 0 -1; do
	copy_img "bad$which"
	at=$(flip "bad$which" "$which") || fail "could not edit the image"
	run 1 "$CRYO" restore -d -D "$T/bad$which"
	one_error_line '^cryo: error: read image \(PAGES\): record PAGES at offset [0-9]+: payload checksum mismatch'
	no_process
	[ -z "${VERBOSE:-}" ] || echo "byte at $at: $(cat "$T/err")"
done

# The same through a pipe (the reader checks the pieces there).
run 1 bash -c "cat '$T/bad0/cryo.img' | '$CRYO' restore -d --stream"
one_error_line 'payload checksum mismatch'
no_process

# A truncated image: the pages stop in the middle.
copy_img short
truncate -s $(($(stat -c %s "$T/img/cryo.img") / 2)) "$T/short/cryo.img"
run 1 "$CRYO" restore -d -D "$T/short"
one_error_line '^cryo: error: read image'
no_process

# The intact image restores, and the process runs.
run 0 "$CRYO" restore -d -D "$T/img"
[ -e "/proc/$pid" ] || fail "restored pid $pid does not exist"
PIDS+=("$pid")
for _ in $(seq 100); do
	st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
	[ "$st" = S ] && break
	sleep 0.02
done
[ "$st" = S ] || fail "restored pid $pid in state '$st'"
tracer=$(awk '/^TracerPid:/ {print $2}' "/proc/$pid/status")
[ "$tracer" = 0 ] || fail "restored pid $pid still traced by $tracer"
echo "ok"
