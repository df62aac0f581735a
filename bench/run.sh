#!/usr/bin/env bash
# bench/run.sh: every cryo benchmark, then one summary table.
#
#   bash bench/run.sh                       # cryo only ("CRIU: not given")
#   CRIU=/path/to/criu bash bench/run.sh    # CRIU on the same workloads too
#
# Builds cryo (make) and the programs in bench/ (into build/bench/, with
# cc -O2 -std=gnu11 -D_GNU_SOURCE -Iinclude ... build/libcryo-inject.a),
# then runs bench/dump.sh, bench/restore.sh and bench/inject.sh; their
# environment knobs (SIZES, RUNS, BENCH_DIR, N, ROUNDS, THREADS) pass
# through (SIZES applies to dump and restore alike; each has its own
# default). Not part of `make test`: these are timings. Peak RSS and CPU time come from wait4()
# in build/bench/timeit, so /usr/bin/time is not needed.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH_SUMMARY=$(mktemp "${TMPDIR:-/tmp}/cryo-bench-summary.XXXXXX")
export BENCH_SUMMARY
trap 'rm -f "$BENCH_SUMMARY"' EXIT

echo "# cryo benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), git $(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
bench_machine
echo "command: ${CRIU:+CRIU=$CRIU }${SIZES:+SIZES=\"$SIZES\" }${RUNS:+RUNS=$RUNS }bash bench/run.sh"
[[ -n ${CRIU:-} ]] || echo "CRIU: not given"
if ! bench_make; then
	echo "bench: make failed: using what is already built under $BUILD" >&2
	export BENCH_NO_MAKE=1
fi
bench_build_common
echo

failed=()
for b in dump restore inject; do
	bash "$BENCH_ROOT/bench/$b.sh" || failed+=("$b")
	echo
done

echo "## summary"
echo
echo "| benchmark | cryo | reference | ratio | target |"
echo "|---|---|---|---|---|"
awk -F'\t' '{printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5}' "$BENCH_SUMMARY"
[[ -n ${CRIU:-} ]] || echo "CRIU: not given"
if ((${#failed[@]})); then
	echo "FAILED: ${failed[*]}"
	exit 1
fi
