# shellcheck shell=bash
# Shared by the bench/ scripts (sourced, not run). Bash, set -euo pipefail
# in the caller.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$BENCH_ROOT/$BUILD ;; esac
BB=$BUILD/bench
CRYO_BIN=${CRYO_BIN:-$BUILD/cryo}
BENCH_CFLAGS=(-O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra
	-Wno-unused-parameter -I"$BENCH_ROOT/include")

die() {
	echo "bench: $*" >&2
	exit 1
}

# bench_close_fds: closes every fd above 2 of this shell. The targets it
# starts must not inherit the caller's pipes: cryo refuses to dump a pipe
# it cannot restore yet.
bench_close_fds() {
	local fd
	for fd in "/proc/$$/fd"/*; do
		fd=${fd##*/}
		if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
	done
}

# bench_cc NAME [EXTRA...]: bench/NAME.c -> $BB/NAME, when out of date.
bench_cc() {
	local name=$1
	shift
	local src=$BENCH_ROOT/bench/$name.c out=$BB/$name
	mkdir -p "$BB"
	if [[ -x $out && $out -nt $src && $out -nt $BENCH_ROOT/include/cryo/inject.h ]]; then
		local dep newer=0
		for dep in "$@"; do
			[[ -f $dep && $dep -nt $out ]] && newer=1
		done
		((newer == 0)) && return 0
	fi
	cc "${BENCH_CFLAGS[@]}" -o "$out" "$src" "$@"
}

# The programs every script needs (cheap when already built).
bench_build_common() {
	bench_cc timeit
	bench_cc memhog -lpthread
	bench_cc prefault
}

# make, once: cryo itself and the libraries. Returns 1 if make fails
# (the caller decides); BENCH_NO_MAKE=1 skips it (use what is built).
bench_make() {
	if [[ -z ${BENCH_MADE:-} && -z ${BENCH_NO_MAKE:-} ]]; then
		make -s -C "$BENCH_ROOT" all >&2 || return 1
		export BENCH_MADE=1
	fi
	return 0
}

bench_machine() {
	local model mem
	model=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')
	mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
	echo "machine: nproc=$(nproc), CPU: $model, kernel $(uname -r), memory $mem"
}

# warm_page_cache DIR MIB: writes and deletes a MIB MiB file in DIR, right
# before a timed run that writes there: the page cache then reuses pages
# the VM's host backs (see "Noise" in docs/BENCHMARKS.md).
warm_page_cache() {
	dd if=/dev/zero of="$1/warm" bs=1M count="$2" status=none || die "warming the page cache failed"
	rm -f "$1/warm"
}

# now_ns: CLOCK_MONOTONIC-ish wall clock in ns (for deadlines only).
now_ns() { date +%s%N; }

# wait_for COND_CMD TIMEOUT_S WHAT: polls COND_CMD (every 10 ms) until it
# succeeds or TIMEOUT_S passes.
wait_for() {
	local cond=$1 timeout=$2 what=$3 deadline
	deadline=$(($(now_ns) + timeout * 1000000000))
	until eval "$cond"; do
		(($(now_ns) < deadline)) || die "timed out after ${timeout}s waiting for $what"
		sleep 0.01
	done
}

# is_gone PID: the process is a zombie or does not exist.
is_gone() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
	[[ -z $st || $st == Z || $st == X ]]
}

# field NAME FILE: value of NAME=value in a timeit output line.
field() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" "$2"; }

# img_bytes DIR: total size of the *.img files (logs excluded).
img_bytes() { find "$1" -name '*.img' -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }

# fmt_ms NS, fmt_gbs BYTES NS, fmt_ratio A B
fmt_ms() { awk -v n="$1" 'BEGIN {printf "%.1f", n / 1e6}'; }
fmt_gbs() { awk -v b="$1" -v n="$2" 'BEGIN {printf "%.2f", b / n}'; }
fmt_ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2fx", a / b; else print "-"}'; }

# summary NAME CRYO REFERENCE RATIO TARGET: one row of bench/run.sh's table.
summary() {
	[[ -n ${BENCH_SUMMARY:-} ]] || return 0
	printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_SUMMARY"
}

# cpu_busy_pct: share of all CPUs busy (not idle, not iowait) over 200 ms.
cpu_busy_pct() {
	local a b
	a=$(head -1 /proc/stat)
	sleep 0.2
	b=$(head -1 /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN {
		n = split(a, x); split(b, y); tot = 0; idle = 0
		for (i = 2; i <= n; i++) tot += y[i] - x[i]
		idle = (y[5] - x[5]) + (y[6] - x[6])
		printf "%d", (tot > 0 ? 100 * (tot - idle) / tot : 0) }'
}

# wait_quiet: before a timed run, waits (at most QUIET_WAIT s, default 10)
# until the machine is nearly idle (other work below QUIET_PCT% of all
# CPUs, default 10), as other people's tests may share it. A run started on
# a busy machine is counted in NOISY_RUNS and reported.
NOISY_RUNS=0 TIMED_RUNS=0
wait_quiet() {
	local deadline pct
	deadline=$(($(now_ns) + ${QUIET_WAIT:-10} * 1000000000))
	TIMED_RUNS=$((TIMED_RUNS + 1))
	while pct=$(cpu_busy_pct) && ((pct > ${QUIET_PCT:-10})); do
		if (($(now_ns) >= deadline)); then
			NOISY_RUNS=$((NOISY_RUNS + 1))
			return 0
		fi
	done
}

noisy_report() {
	if ((NOISY_RUNS)); then
		echo "WARNING: $NOISY_RUNS of $TIMED_RUNS timed runs started while other work used more than ${QUIET_PCT:-10}% of the CPUs (waited ${QUIET_WAIT:-10} s for quiet): the wall times may be high"
	else
		echo "all $TIMED_RUNS timed runs started on a quiet machine (< ${QUIET_PCT:-10}% CPU busy)"
	fi
}

# bench_banner WHAT DIR: the machine, where the files go, and CRIU's version.
bench_banner() {
	bench_machine
	echo "$1 in: $2 ($(df --output=source,fstype "$2" | tail -1 | tr -s ' '))"
	if [[ -n ${CRIU:-} ]]; then
		echo "CRIU: $CRIU ($("$CRIU" --version 2>&1 | head -1))"
	else
		echo "CRIU: not given"
	fi
	echo
}
