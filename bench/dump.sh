#!/usr/bin/env bash
# bench/dump.sh: `cryo dump` of a process holding N MiB of touched random
# data, against a plain dd write of the same size to the same filesystem in
# the same run, and against CRIU on the same workload when CRIU= is given.
#
#   bash bench/dump.sh                         # 1 GiB and 4 GiB
#   SIZES="64 256 1024 4096" RUNS=5 bash bench/dump.sh
#   CRIU=/path/to/criu bash bench/dump.sh
#
# Environment: SIZES (MiB, default "1024 4096"), RUNS (best of, default 3),
# BENCH_DIR (where images and dd output go, default /tmp), CRIU, BUILD.
# For each size and each tool, the best (lowest) wall time of RUNS runs is
# reported; peak RSS is the highest seen. Between runs: the output is
# removed and `sync` is run, outside the timed part, so that every run
# starts with no dirty page cache, then waits (bounded) for a quiet machine
# (other people's tests may share it) and warms the page cache: it writes
# and deletes a file of N MiB + 12 % + 64 MiB in the same directory, so
# that the run writes into page-cache pages the VM's host backs (freed
# guest memory is returned to the host after ~2 s and costs a host fault
# when touched again; bench/prefault, which touches anonymous memory, did
# not reliably warm the page cache's larger folios). Nothing is fsync-ed
# (cryo does not fsync; neither does dd here).
#
# Measured, per size:
#   dd zero   dd if=/dev/zero of=OUT bs=1M count=N: page-cache write only
#   dd file   dd if=DATA of=OUT bs=1M, DATA = N MiB of /dev/urandom prepared
#             (and cached) beforehand: a page-cache read + write, one copy
#             more than dd zero, as a dump also has to read the memory
#   cryo      cryo dump -t PID -D DIR (the target is killed after the dump)
#   cryo -R   cryo dump -R -t PID -D DIR (left running); the frozen time is
#             the longest gap seen by a 1 ms ticker thread in the target
#   criu      $CRIU dump -t PID -D DIR -v1 -o dump.log [--leave-running]: errors only
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZES=${SIZES:-1024 4096}
RUNS=${RUNS:-3}
BENCH_DIR=${BENCH_DIR:-/tmp}
CRIU=${CRIU:-}
READY_TIMEOUT=${READY_TIMEOUT:-120}

bench_make || die "make failed (BENCH_NO_MAKE=1 uses what is already built)"
[[ -x $CRYO_BIN ]] || die "$CRYO_BIN not built"
bench_build_common

bench_close_fds
WORK=$(mktemp -d "$BENCH_DIR/cryo-bench-dump.XXXXXX")
HOG_PID='' SUB_PID=''

cleanup() {
	local rc=$?
	if [[ -n $HOG_PID ]]; then kill -KILL "$HOG_PID" 2>/dev/null || true; fi
	if [[ -n $SUB_PID ]]; then
		# The subshell reaps memhog and exits; kill it only if it does not.
		local deadline=$(($(now_ns) + 5000000000))
		while ! is_gone "$SUB_PID" && (($(now_ns) < deadline)); do sleep 0.01; done
		kill -KILL "$SUB_PID" 2>/dev/null || true
		wait "$SUB_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# hog_start MIB: starts memhog, waits until its memory is filled.
hog_start() {
	local ready=$WORK/ready pid
	rm -f "$ready" "$ready.gap"
	# The subshell waits for memhog, so that its death by SIGKILL (the
	# dump kills it) is not reported on our stderr as a job notice.
	("$BB/memhog" "$1" "$ready" </dev/null >/dev/null 2>"$WORK/memhog.err" &
		wait $!) 2>/dev/null &
	SUB_PID=$!
	wait_for "[[ -s $ready ]] || is_gone $SUB_PID" "$READY_TIMEOUT" "memhog $1 MiB"
	if [[ ! -s $ready ]]; then
		cat "$WORK/memhog.err" >&2
		die "memhog exited before it was ready"
	fi
	read -r pid _ <"$ready"
	HOG_PID=$pid
}

# hog_wait: reaps the subshell once memhog is gone (bounded).
hog_wait() {
	wait_for "is_gone $HOG_PID" 10 "$1"
	wait_for "is_gone $SUB_PID" 10 "$1"
	wait "$SUB_PID" || true
	HOG_PID='' SUB_PID=''
}

# hog_gap: the longest gap (ns) the target's ticker saw since the last call.
hog_gap() {
	local gap=$WORK/ready.gap
	rm -f "$gap"
	kill -USR1 "$HOG_PID"
	wait_for "[[ -s $gap ]] || is_gone $HOG_PID" 10 "memhog gap report"
	is_gone "$HOG_PID" && die "memhog died"
	cat "$gap"
}

# hog_reap: the dump killed the target; reap it (bounded).
hog_reap() {
	hog_wait "the dumped target to die"
}

# hog_stop: a target left running by -R.
hog_stop() {
	kill -TERM "$HOG_PID" 2>/dev/null || true
	hog_wait "memhog to exit"
}

# Per tool (dd0, ddf, cryo, cryoR, criu, criuR), for the current size: best
# wall time, its CPU time, highest peak RSS, image bytes, best frozen time.
declare -A BEST CPU RSS IMGB FROZ

reset_results() {
	BEST=() CPU=() RSS=() IMGB=() FROZ=()
}

# keep_best TOOL OUTFILE: folds one timeit line into the tool's results.
keep_best() {
	local tool=$1 ns rss cpu
	ns=$(field wall_ns "$2")
	rss=$(field maxrss_kb "$2")
	cpu=$(($(field utime_us "$2") + $(field stime_us "$2")))
	if [[ -z ${BEST[$tool]:-} ]] || ((ns < BEST[$tool])); then
		BEST[$tool]=$ns
		CPU[$tool]=$cpu
	fi
	if [[ -z ${RSS[$tool]:-} ]] || ((rss > RSS[$tool])); then RSS[$tool]=$rss; fi
	return 0
}

# run_dd TOOL SRC MIB: one timed dd.
run_dd() {
	local tool=$1 src=$2 mib=$3 out=$WORK/dd.out
	rm -f "$out"
	sync
	wait_quiet
	warm_page_cache "$WORK" $((mib + mib / 8 + 64))
	"$BB/timeit" "$WORK/t" dd if="$src" of="$out" bs=1M count="$mib" status=none ||
		die "dd failed"
	keep_best "$tool" "$WORK/t"
	rm -f "$out"
}

# run_dump TOOL MIB: one timed dump of a fresh target. TOOL: cryo, cryoR
# (-R), criu, criuR (--leave-running).
run_dump() {
	local tool=$1 mib=$2 img=$WORK/img gap cmd leave=0
	[[ $tool == *R ]] && leave=1
	hog_start "$mib"
	rm -rf "$img"
	mkdir -p "$img"
	sync
	if [[ $tool == cryo* ]]; then
		cmd=("$CRYO_BIN" dump -t "$HOG_PID" -D "$img")
		((leave)) && cmd+=(-R)
	else
		cmd=("$CRIU" dump -t "$HOG_PID" -D "$img" -v1 -o dump.log)
		((leave)) && cmd+=(--leave-running)
	fi
	wait_quiet
	warm_page_cache "$WORK" $((mib + mib / 8 + 64))
	((leave)) && hog_gap >/dev/null
	if ! "$BB/timeit" "$WORK/t" "${cmd[@]}" >"$WORK/dump.out" 2>&1; then
		cat "$WORK/dump.out" >&2
		[[ -f $img/dump.log ]] && tail -20 "$img/dump.log" >&2
		die "$tool dump failed: ${cmd[*]}"
	fi
	keep_best "$tool" "$WORK/t"
	IMGB[$tool]=$(img_bytes "$img")
	if ((leave)); then
		gap=$(hog_gap)
		if [[ -z ${FROZ[$tool]:-} ]] || ((gap < FROZ[$tool])); then FROZ[$tool]=$gap; fi
		hog_stop
	else
		hog_reap
	fi
	rm -rf "$img"
}

echo "== dump: a process with N MiB of touched random data (best of $RUNS, warm)"
bench_banner "images and dd output" "$WORK"

rows=()
# row SIZE TOOL NS BYTES RSS_KB CPU_US IMG_B FROZEN_NS R_ZERO R_FILE R_CRIU
row() {
	local rss=- cpu=- img=- frozen=-
	[[ $5 != - ]] && rss=$(($5 / 1024))
	[[ $6 != - ]] && cpu=$(fmt_ms $(($6 * 1000)))
	[[ $7 != - ]] && img=$(awk -v b="$7" 'BEGIN {printf "%.1f", b / 1048576}')
	[[ $8 != - ]] && frozen=$(fmt_ms "$8")
	rows+=("$(printf '| %5s MiB | %-7s | %8s | %5s | %7s | %6s | %9s | %9s | %8s | %8s | %6s |' \
		"$1" "$2" "$(fmt_ms "$3")" "$(fmt_gbs "$4" "$3")" "$rss" "$cpu" "$img" "$frozen" \
		"$9" "${10}" "${11}")")
}
rows+=("|      size | tool    |  wall ms |  GB/s | RSS MiB | CPU ms | image MiB | frozen ms | /dd zero | /dd file |  /criu |")
rows+=("|-----------|---------|----------|-------|---------|--------|-----------|-----------|----------|----------|--------|")
for mib in $SIZES; do
	bytes=$((mib << 20))
	# The dd source: random data, prepared and cached before timing.
	head -c "$bytes" /dev/urandom >"$WORK/data"
	cat "$WORK/data" >/dev/null

	# The tools take turns within each repetition, so that a slow period of
	# the machine hits all of them alike; each keeps its best.
	reset_results
	for ((r = 0; r < RUNS; r++)); do
		run_dd dd0 /dev/zero "$mib"
		run_dd ddf "$WORK/data" "$mib"
		run_dump cryo "$mib"
		run_dump cryoR "$mib"
		if [[ -n $CRIU ]]; then
			run_dump criu "$mib"
			run_dump criuR "$mib"
		fi
	done
	rm -f "$WORK/data"
	dd0=${BEST[dd0]} ddf=${BEST[ddf]}
	c_ns=${BEST[cryo]} c_rss=${RSS[cryo]} c_img=${IMGB[cryo]} c_cpu=${CPU[cryo]}
	cr_ns=${BEST[cryoR]} cr_rss=${RSS[cryoR]} cr_frozen=${FROZ[cryoR]}

	row "$mib" "dd zero" "$dd0" "$bytes" - - - - - - -
	row "$mib" "dd file" "$ddf" "$bytes" - - - - - - -
	row "$mib" cryo "$c_ns" "$bytes" "$c_rss" "$c_cpu" "$c_img" - \
		"$(fmt_ratio "$c_ns" "$dd0")" "$(fmt_ratio "$c_ns" "$ddf")" -
	row "$mib" "cryo -R" "$cr_ns" "$bytes" "$cr_rss" - - "$cr_frozen" \
		"$(fmt_ratio "$cr_ns" "$dd0")" "$(fmt_ratio "$cr_ns" "$ddf")" -
	summary "dump $mib MiB: cryo / dd zero" "$(fmt_ms "$c_ns") ms" "$(fmt_ms "$dd0") ms" \
		"$(fmt_ratio "$c_ns" "$dd0")" "<= 1.25x"
	summary "dump $mib MiB: cryo / dd file" "$(fmt_ms "$c_ns") ms" "$(fmt_ms "$ddf") ms" \
		"$(fmt_ratio "$c_ns" "$ddf")" "<= 1.25x"
	summary "dump $mib MiB: cryo peak RSS" "$((c_rss / 1024)) MiB" "-" "-" "< 64 MiB"

	if [[ -n $CRIU ]]; then
		k_ns=${BEST[criu]} k_rss=${RSS[criu]} k_img=${IMGB[criu]} k_cpu=${CPU[criu]}
		kr_ns=${BEST[criuR]} kr_rss=${RSS[criuR]} kr_frozen=${FROZ[criuR]}
		row "$mib" criu "$k_ns" "$bytes" "$k_rss" "$k_cpu" "$k_img" - \
			"$(fmt_ratio "$k_ns" "$dd0")" "$(fmt_ratio "$k_ns" "$ddf")" \
			"$(fmt_ratio "$c_ns" "$k_ns")"
		row "$mib" "criu -R" "$kr_ns" "$bytes" "$kr_rss" - - "$kr_frozen" \
			"$(fmt_ratio "$kr_ns" "$dd0")" "$(fmt_ratio "$kr_ns" "$ddf")" \
			"$(fmt_ratio "$cr_ns" "$kr_ns")"
		summary "dump $mib MiB: cryo / criu" "$(fmt_ms "$c_ns") ms" "$(fmt_ms "$k_ns") ms" \
			"$(fmt_ratio "$c_ns" "$k_ns")" "<= 0.67x"
	else
		summary "dump $mib MiB: cryo / criu" "$(fmt_ms "$c_ns") ms" "CRIU: not given" "-" "<= 0.67x"
	fi
done

printf '%s\n' "${rows[@]}"
echo
echo "ratios: wall time of the tool / wall time of dd (zero or file) or of CRIU (cryo/criu),"
echo "        cryo rows: best of $RUNS; the issue's targets: cryo/dd <= 1.25x, cryo/criu <= 0.67x"
noisy_report
[[ -n $CRIU ]] || echo "CRIU: not given"
