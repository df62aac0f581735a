#!/usr/bin/env bash
# cryo show decodes seccomp filters: one SECCOMP_FILTER record for a filter
# installed twice (content-addressed), the chain referring to it twice, the
# program as readable BPF (every instruction kind seccomp programs use),
# and --summary lists the chain and the listing.
. "$(dirname "$0")/common.sh"

# The filter lets everything but sysinfo through, so python runs on.
start_target python3 -c 'import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
class F(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte),
                ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]
class P(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(F))]
insns = [(0x20, 0, 0, 4), (0x15, 1, 0, 0xc000003e), (0x06, 0, 0, 0x80000000),
         (0x20, 0, 0, 0), (0x15, 1, 0, 99), (0x06, 0, 0, 0x7fff0000),
         (0x20, 0, 0, 28), (0x54, 0, 0, 0xff), (0x45, 0, 1, 0x80),
         (0x06, 0, 0, 0x7ff00003), (0x20, 0, 0, 16), (0x25, 0, 1, 500),
         (0x06, 0, 0, 0x30007), (0x35, 0, 1, 400), (0x06, 0, 0, 0x7ffc0000),
         (0x06, 0, 0, 0x50005)]
prog = (F * len(insns))(*[F(*i) for i in insns])
p = P(len(insns), prog)
for _ in range(2):  # SECCOMP_FILTER_FLAG_LOG
    if libc.syscall(317, 1, 2, ctypes.byref(p)):
        sys.exit("seccomp: errno %d" % ctypes.get_errno())
open(sys.argv[1], "w").close()
time.sleep(1000)' "$T/ready"
wait_file "$T/ready"
run 0 "$CRYO" dump -t "$TARGET" -D "$T/img" -R
target_unharmed
run 0 "$CRYO" show "$T/img"
python3 - "$T/out" "$TARGET" <<'PY' >"$T/check" 2>&1 || fail "cryo show: $(cat "$T/check")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
pid = int(sys.argv[2])
want = ["0000: ld arch", "0001: jeq #AUDIT_ARCH_X86_64, 3, 2",
        "0002: ret KILL_PROCESS", "0003: ld nr", "0004: jeq #0x63, 6, 5",
        "0005: ret ALLOW", "0006: ld args[1].hi", "0007: and #0xff",
        "0008: jset #0x80, 9, 10", "0009: ret TRACE(3)", "0010: ld args[0]",
        "0011: jgt #0x1f4, 12, 13", "0012: ret TRAP(7)",
        "0013: jge #0x190, 14, 15", "0014: ret LOG", "0015: ret ERRNO(5)"]
filt = [r for r in recs if r["type"] == "SECCOMP_FILTER"]
chains = [r for r in recs if r["type"] == "SECCOMP_CHAIN"]
errs = []
if len(filt) != 1:
    errs.append("%d SECCOMP_FILTER records, 1 expected" % len(filt))
else:
    f = filt[0]
    if (f["id"], f["flags"], f["nr_insns"]) != (1, "0x2", 16):
        errs.append("filter id %s flags %s nr_insns %s" %
                    (f["id"], f["flags"], f["nr_insns"]))
    if f["bpf"] != want:
        errs.append("bpf %s" % f["bpf"])
if [(c["tid"], c["mode"], c["filters"]) for c in chains] != [(pid, 2, [1, 1])]:
    errs.append("chains %s" % chains)
if errs:
    sys.exit("; ".join(errs))
PY
run 0 "$CRYO" show --summary "$T/img"
grep -qE "^ *$TARGET +$TARGET +filters #1 #1 \(oldest first\)" "$T/out" ||
	fail "summary: no chain line: $(cat "$T/out")"
grep -q "0012: ret TRAP(7)" "$T/out" || fail "summary: no decoded program"
echo "ok"
