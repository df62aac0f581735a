#!/usr/bin/env bash
# bench/restore.sh: `cryo restore` of a process holding N MiB of touched
# random data (bench/memhog), and CRIU's restore of the same workload in
# the same run when CRIU= is given.
#
#   bash bench/restore.sh                       # 1 GiB and 4 GiB
#   SIZES="256 1024" RUNS=5 bash bench/restore.sh
#   CRIU=/path/to/criu bash bench/restore.sh
#
# Environment: SIZES (MiB, default "1024 4096"), RUNS (best of, default 3),
# BENCH_DIR (where the images go, default /tmp), CRIU, BUILD.
# For each size a memhog is dumped once per tool (cryo dump; $CRIU dump),
# and each image is then restored RUNS times; the tools take turns. Before
# every timed restore, outside the timing: the restored process of the
# previous run is stopped and its PID must be free again, the image is read
# once (so it is in the page cache: the figures are warm), the machine is
# waited for (bounded) to be quiet, and build/bench/prefault touches
# N + 12 % + 64 MiB (see bench/prefault.c: the VM gives freed memory back to
# its host). After every restore memhog checks all of its memory against
# the sequence it was filled with (SIGUSR2): a wrong byte fails the run.
#
# Measured (build/bench/rstwait), per size and tool, best of RUNS:
#   wall      the restore command: `cryo restore -d -D DIR`,
#             `$CRIU restore -d -D DIR -v1 -o restore.log`
#   runs      from the start of the restore until the restored memhog
#             answers a SIGUSR1 sent when the command has exited
#   GB/s      N MiB / wall
#   RSS       the restore command's peak RSS (highest of the runs)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZES=${SIZES:-1024 4096}
RUNS=${RUNS:-3}
BENCH_DIR=${BENCH_DIR:-/tmp}
CRIU=${CRIU:-}
READY_TIMEOUT=${READY_TIMEOUT:-120}
PID_TIMEOUT=${PID_TIMEOUT:-30}

bench_make || die "make failed (BENCH_NO_MAKE=1 uses what is already built)"
[[ -x $CRYO_BIN ]] || die "$CRYO_BIN not built"
bench_build_common
bench_cc rstwait

bench_close_fds

WORK=$(mktemp -d "$BENCH_DIR/cryo-bench-restore.XXXXXX")
HOG_PID='' SUB_PID=''

# stop_pid PID: SIGTERM (memhog exits 0), then waits until the PID is free
# (PID 1 reaps restored, re-parented processes slowly: 1-2 s).
stop_pid() {
	kill -TERM "$1" 2>/dev/null || true
	wait_for "[[ ! -e /proc/$1 ]]" "$PID_TIMEOUT" "pid $1 to be free"
}

cleanup() {
	local rc=$?
	if [[ -n $HOG_PID ]]; then kill -KILL "$HOG_PID" 2>/dev/null || true; fi
	if [[ -n $SUB_PID ]]; then
		kill -KILL "$SUB_PID" 2>/dev/null || true
		wait "$SUB_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# hog_dump TOOL MIB DIR: starts a memhog, dumps it into DIR (which kills
# it), waits until its PID is free again. Sets HOG_PID.
hog_dump() {
	local tool=$1 mib=$2 dir=$3 ready=$WORK/ready pid
	rm -f "$ready" "$ready.gap" "$ready.check"
	mkdir -p "$dir"
	("$BB/memhog" "$mib" "$ready" </dev/null >/dev/null 2>"$WORK/memhog.err" &
		wait $!) 2>/dev/null &
	SUB_PID=$!
	wait_for "[[ -s $ready ]] || is_gone $SUB_PID" "$READY_TIMEOUT" "memhog $mib MiB"
	[[ -s $ready ]] || {
		cat "$WORK/memhog.err" >&2
		die "memhog exited before it was ready"
	}
	read -r pid _ <"$ready"
	HOG_PID=$pid
	if [[ $tool == cryo ]]; then
		"$CRYO_BIN" dump -t "$pid" -D "$dir" >"$WORK/dump.out" 2>&1 ||
			{ cat "$WORK/dump.out" >&2; die "cryo dump failed"; }
	else
		"$CRIU" dump -t "$pid" -D "$dir" -v1 -o dump.log >"$WORK/dump.out" 2>&1 || {
			cat "$WORK/dump.out" >&2
			tail -20 "$dir/dump.log" >&2 || true
			die "criu dump failed"
		}
	fi
	wait "$SUB_PID" 2>/dev/null || true
	SUB_PID=''
	wait_for "[[ ! -e /proc/$pid ]]" "$PID_TIMEOUT" "dumped pid $pid to be free"
}

# Per tool: best wall and its CPU time, best time until running, highest
# peak RSS.
declare -A BEST CPU RUN RSS

# run_restore TOOL MIB DIR: one timed restore, then the memory check.
run_restore() {
	local tool=$1 mib=$2 dir=$3 cmd ns run rss cpu chk
	if [[ $tool == cryo ]]; then
		cmd=("$CRYO_BIN" restore -d -D "$dir")
	else
		cmd=("$CRIU" restore -d -D "$dir" -v1 -o restore.log)
	fi
	cat "$dir"/*.img >/dev/null
	wait_quiet
	"$BB/prefault" $((mib + mib / 8 + 64))
	if ! "$BB/rstwait" "$WORK/t" "$HOG_PID" "$WORK/ready" "${cmd[@]}" >"$WORK/rst.out" 2>&1; then
		cat "$WORK/rst.out" >&2
		[[ -f $dir/restore.log ]] && tail -20 "$dir/restore.log" >&2
		cat "$WORK/t" >&2 2>/dev/null || true
		die "$tool restore failed or the program did not run: ${cmd[*]}"
	fi
	rm -f "$WORK/ready.check"
	kill -USR2 "$HOG_PID"
	wait_for "[[ -s $WORK/ready.check ]] || is_gone $HOG_PID" 60 "the memory check"
	chk=$(cat "$WORK/ready.check" 2>/dev/null || echo "process gone")
	[[ $chk == ok ]] || die "$tool restore: memory check: $chk"
	stop_pid "$HOG_PID"
	ns=$(field wall_ns "$WORK/t")
	run=$(field run_ns "$WORK/t")
	rss=$(field maxrss_kb "$WORK/t")
	cpu=$(($(field utime_us "$WORK/t") + $(field stime_us "$WORK/t")))
	if [[ -z ${BEST[$tool]:-} ]] || ((ns < BEST[$tool])); then
		BEST[$tool]=$ns
		CPU[$tool]=$cpu
	fi
	if [[ -z ${RUN[$tool]:-} ]] || ((run < RUN[$tool])); then RUN[$tool]=$run; fi
	if [[ -z ${RSS[$tool]:-} ]] || ((rss > RSS[$tool])); then RSS[$tool]=$rss; fi
}

echo "== restore: a process with N MiB of touched random data (best of $RUNS, image in the page cache)"
bench_banner "images" "$WORK"

rows=()
rows+=("|      size | tool    |  wall ms | runs ms |  GB/s | RSS MiB | CPU ms | /criu |")
rows+=("|-----------|---------|----------|---------|-------|---------|--------|-------|")
# row SIZE TOOL WALL_NS RUN_NS BYTES RSS_KB CPU_US RATIO
row() {
	rows+=("$(printf '| %5s MiB | %-7s | %8s | %7s | %5s | %7s | %6s | %5s |' \
		"$1" "$2" "$(fmt_ms "$3")" "$(fmt_ms "$4")" "$(fmt_gbs "$5" "$3")" \
		"$(($6 / 1024))" "$(fmt_ms $(($7 * 1000)))" "$8")")
}
tools=(cryo)
[[ -n $CRIU ]] && tools+=(criu)
for mib in $SIZES; do
	bytes=$((mib << 20))
	BEST=() CPU=() RUN=() RSS=()
	for tool in "${tools[@]}"; do
		hog_dump "$tool" "$mib" "$WORK/img-$tool"
	done
	for ((r = 0; r < RUNS; r++)); do
		for tool in "${tools[@]}"; do
			run_restore "$tool" "$mib" "$WORK/img-$tool"
		done
	done
	rm -rf "$WORK"/img-*
	c_ns=${BEST[cryo]}
	ratio=-
	if [[ -n $CRIU ]]; then
		ratio=$(fmt_ratio "$c_ns" "${BEST[criu]}")
	fi
	row "$mib" cryo "$c_ns" "${RUN[cryo]}" "$bytes" "${RSS[cryo]}" "${CPU[cryo]}" "$ratio"
	summary "restore $mib MiB: cryo throughput" \
		"$(fmt_gbs "$bytes" "$c_ns") GB/s ($(fmt_ms "$c_ns") ms)" "-" "-" ">= 4 GB/s"
	summary "restore $mib MiB: until it runs" "$(fmt_ms "${RUN[cryo]}") ms" "-" "-" "-"
	summary "restore $mib MiB: cryo peak RSS" "$((RSS[cryo] / 1024)) MiB" "-" "-" "a few buffers"
	if [[ -n $CRIU ]]; then
		row "$mib" criu "${BEST[criu]}" "${RUN[criu]}" "$bytes" "${RSS[criu]}" "${CPU[criu]}" -
		summary "restore $mib MiB: cryo / criu" "$(fmt_ms "$c_ns") ms" \
			"$(fmt_ms "${BEST[criu]}") ms" "$ratio" "<= 0.5x"
	else
		summary "restore $mib MiB: cryo / criu" "$(fmt_ms "$c_ns") ms" "CRIU: not given" "-" "<= 0.5x"
	fi
done

printf '%s\n' "${rows[@]}"
echo
echo "wall: the restore command; runs: until the restored program answers a signal;"
echo "GB/s: N MiB / wall; /criu: cryo wall / CRIU wall (the issue: at least 2x faster, <= 0.5x)"
noisy_report
[[ -n $CRIU ]] || echo "CRIU: not given"
