#!/usr/bin/env bash
# Page data. A dump -R saves exactly the target's memory: an area larger
# than one PAGES record, pages process_vm_readv cannot read (a PROT_NONE
# area, a write-only one, and a run of present pages that goes on from a
# readable area into a PROT_NONE one, so the read stops in its middle),
# of a sparse area only the pages that were touched, and no guard pages
# (MADV_GUARD_INSTALL: pagemap says "swapped" but they hold no data, and
# reading one fails), whether the pages are found with PAGEMAP_SCAN or
# from the pagemap entries. `cryo show --pages` checks every CRC. Then a dump that fills the
# disk in the middle of the page data fails with one error line, leaves
# no file behind and the target running, untraced.
. "$(dirname "$0")/common.sh"

command -v python3 >/dev/null || {
	echo "SKIP: python3 is not installed"
	exit 77
}

cat >"$T/target.py" <<'PY'
import ctypes, json, os, struct, sys, time

PG = 4096
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]


def page(addr):
    return b"".join(struct.pack("<Q", addr ^ (k * 0x9E3779B97F4A7C15 % 2**64))
                    for k in range(512))


def area(n, step=1):
    a = libc.mmap(None, n * PG, 3, 0x22, -1, 0)  # rw, private anonymous
    if a in (None, 2**64 - 1):
        sys.exit("mmap failed")
    for i in range(0, n, step):
        ctypes.memmove(a + i * PG, page(a + i * PG), PG)
    return a


def protect(a, n, prot):
    if libc.mprotect(a, n * PG, prot):
        sys.exit("mprotect failed")


want, absent = [], []
big_rw, big_none = 515, 5          # 2 MiB + 3 pages, then 5 PROT_NONE ones
a = area(big_rw + big_none)
protect(a + big_rw * PG, big_none, 0)
want += [a + i * PG for i in range(big_rw + big_none)]
c = area(7)                        # PROT_NONE alone
protect(c, 7, 0)
want += [c + i * PG for i in range(7)]
d = area(3)                        # write-only
protect(d, 3, 2)
want += [d + i * PG for i in range(3)]
e = area(64, 3)                    # sparse: every third page touched
want += [e + i * PG for i in range(0, 64, 3)]
absent += [e + i * PG for i in range(64) if i % 3]
g = area(8)                        # guard pages (Linux 6.13+) in the middle
libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
guard = libc.madvise(g + 2 * PG, 3 * PG, 102) == 0  # MADV_GUARD_INSTALL
want += [g + i * PG for i in range(8) if not (guard and 2 <= i < 5)]
absent += [g + i * PG for i in range(2, 5) if guard]
with open(sys.argv[1] + ".tmp", "w") as f:
    json.dump({"want": want, "absent": absent}, f)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(1000)
PY

cat >"$T/check.py" <<'PY'
import json, struct, sys


def page(addr):
    return b"".join(struct.pack("<Q", addr ^ (k * 0x9E3779B97F4A7C15 % 2**64))
                    for k in range(512))


def load(path):
    pages, nr = {}, 0
    for line in open(path):
        rec = json.loads(line)
        if rec["type"] == "PAGES":
            nr += 1
            for p in rec["pages"]:
                pages[int(p["vaddr"], 16)] = p["data"]
    return pages, nr


exp = json.load(open(sys.argv[1]))
pages, nr_pages_recs = load(sys.argv[2])
bad = [hex(a) for a in exp["want"] if pages.get(a) != page(a).hex()]
extra = [hex(a) for a in exp["absent"] if a in pages]
if bad:
    sys.exit(f"{len(bad)} pages missing or wrong, first {bad[:3]}")
if extra:
    sys.exit(f"untouched pages saved: {extra[:3]}")
if nr_pages_recs < 3:
    sys.exit(f"only {nr_pages_recs} PAGES records")
if len(sys.argv) > 3:  # the same pages, found the other way
    other = set(load(sys.argv[3])[0])
    diff = sorted(set(pages) ^ other)
    if diff:
        sys.exit(f"{len(diff)} pages saved by one way only: "
                 f"{[hex(a) for a in diff[:3]]}")
print(f"{len(exp['want'])} pages checked in {nr_pages_recs} PAGES records")
PY

start_target python3 "$T/target.py" "$T/ready"
wait_file "$T/ready"
# Pages found by PAGEMAP_SCAN, then (CRYO_PAGES_NO_SCAN) from the
# pagemap entries: the same pages either way.
run 0 env CRYO_PAGES_NO_SCAN=1 "$CRYO" dump -R -t "$TARGET" -D "$T/img2"
target_unharmed
run 0 "$CRYO" dump -R -t "$TARGET" -D "$T/img" -v4 -o "$T/dump.log"
target_unharmed
for i in img img2; do
	"$CRYO" show --pages "$T/$i" >"$T/$i.json" 2>"$T/err" ||
		fail "cryo show --pages $i: $(cat "$T/err")"
done
python3 "$T/check.py" "$T/ready" "$T/img2.json" || fail "image content (pagemap)"
python3 "$T/check.py" "$T/ready" "$T/img.json" "$T/img2.json" || fail "image content"
# The areas above alone hold 15 pages process_vm_readv cannot read.
mem=$(sed -n 's/.* \([0-9]*\) pages through \/proc\/PID\/mem.*/\1/p' "$T/dump.log")
[ "${mem:-0}" -ge 15 ] || fail "expected >= 15 pages read through /proc/PID/mem, log: $(grep -i pages "$T/dump.log")"

# The disk fills up in the middle of the page data (16 MiB on a 4 MiB
# tmpfs): the writer thread fails, the dump stops, nothing is left.
mkdir -p "$T/small"
if mount -t tmpfs -o size=4m cryo-test "$T/small" 2>/dev/null; then
	start_target python3 -c 'import sys, time
x = bytearray(b"y" * (16 << 20))
open(sys.argv[1], "w").close()
time.sleep(1000)' "$T/ready2"
	wait_file "$T/ready2"
	run 1 "$CRYO" dump -t "$TARGET" -D "$T/small"
	grep -q 'No space left on device' "$T/err" || {
		umount "$T/small"
		fail "no ENOSPC: $(cat "$T/err")"
	}
	one_error_line '^cryo: error: write image'
	left=$(ls -A "$T/small")
	umount "$T/small"
	[ -z "$left" ] || fail "files left after ENOSPC: $left"
	target_unharmed
fi
echo "ok"
