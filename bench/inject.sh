#!/usr/bin/env bash
# bench/inject.sh: builds and runs bench/inject.c, the cost of the injection
# engine (libcryo-inject): one injected getpid on the same CPU and across
# CPUs, and seize + release of a 32-thread and a 1-thread process.
#
#   bash bench/inject.sh                 # 10,000 syscalls, 100 rounds
#   N=100000 ROUNDS=1000 bash bench/inject.sh
#
# CRIU=... is accepted, but CRIU has no standalone counterpart (compel is
# internal to it): the program says so. Bounded: INJECT_TIMEOUT seconds
# (default 300), then the run is killed.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

N=${N:-10000}
ROUNDS=${ROUNDS:-100}
THREADS=${THREADS:-32}
INJECT_TIMEOUT=${INJECT_TIMEOUT:-300}

OUT=$(mktemp "${TMPDIR:-/tmp}/cryo-bench-inject.XXXXXX")
trap 'rm -f "$OUT" "$OUT.err"' EXIT

echo "== inject: cost of the injection engine (libcryo-inject)"
bench_machine
pending() {
	echo "inject: $1: figures pending"
	summary "inject: one getpid, same CPU" pending - - "~5 us (KERNEL-NOTES)"
	summary "inject: one getpid, across CPUs" pending - - "~67 us (KERNEL-NOTES)"
	summary "inject: seize+release, $THREADS threads" pending - - "-"
	exit 0
}
bench_make 2>"$OUT.err" || { cat "$OUT.err" >&2; pending "make failed"; }
if ! bench_cc inject "$BUILD/libcryo-inject.a" -lpthread 2>"$OUT.err"; then
	# Does it at least compile against the header?
	if cc "${BENCH_CFLAGS[@]}" -c -o /dev/null "$BENCH_ROOT/bench/inject.c" 2>>"$OUT.err"; then
		pending "bench/inject.c compiles, but the engine (build/libcryo-inject.a) does not link yet"
	fi
	cat "$OUT.err" >&2
	die "bench/inject.c does not compile against include/cryo/inject.h"
fi
wait_quiet
rc=0
timeout -k 5 "$INJECT_TIMEOUT" "$BB/inject" -n "$N" -r "$ROUNDS" -t "$THREADS" >"$OUT" || rc=$?
cat "$OUT"
noisy_report
# avg TEXT: the average column of the row that starts with TEXT, or what
# happened to it.
avg() {
	local v
	v=$(grep -F "$1" "$OUT" | head -1 | awk -F'|' '{gsub(/^ +| +$/, "", $4); print $4}')
	if [[ -n $v ]]; then echo "$v"; elif ((rc == 124)); then echo "timed out"; else echo "failed"; fi
}
summary "inject: one getpid, same CPU" "$(avg '| one injected getpid | tracer and target on CPU 0')" \
	"CRIU: none" - "~5 us (KERNEL-NOTES)"
summary "inject: one getpid, across CPUs" "$(avg '| one injected getpid | tracer on CPU 0, target on CPU 1')" \
	"CRIU: none" - "~67 us (KERNEL-NOTES)"
summary "inject: seize+release, 1 thread" "$(avg '| seize + release, 1 thread | unpinned')" "CRIU: none" - "-"
summary "inject: seize+release, $THREADS threads" "$(avg "| seize + release, $THREADS threads | unpinned")" \
	"CRIU: none" - "-"
if ((rc == 124)); then
	die "bench/inject timed out after ${INJECT_TIMEOUT}s"
elif ((rc != 0)); then
	die "bench/inject failed (exit $rc)"
fi
