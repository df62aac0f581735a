# shellcheck shell=bash
# Shared helpers of cryo's test runners (tests/run.sh, tests/cr/run.sh,
# tests/apps/*.sh). Source it; it defines functions and a few variables and
# closes inherited pipe fds (close_inherited_fds).
#
# Every wait is bounded: helpers poll in small steps up to a timeout in
# seconds (fractions allowed) and return 1 when it runs out. Nothing here
# kills a process unless it is provably one the tests started (see
# kill_marked).

# close_inherited_fds: closes the fds above 2 this shell inherited (a CI
# runner's or an IDE's pipes), so that the programs the tests start, and so
# dump, hold only what the test gives them. Bash's own script fd (255) and
# the fds of a script that opened some stay.
close_inherited_fds() {
	local f n
	for f in /proc/$$/fd/*; do
		n=${f##*/}
		((n > 2 && n < 200)) || continue
		[[ $(readlink "$f" 2>/dev/null) == pipe:* ]] || continue
		eval "exec $n>&-" 2>/dev/null
	done
	for n in 250 251 252 253 254; do
		[[ -e /proc/$$/fd/$n ]] && eval "exec $n>&-" 2>/dev/null
	done
	return 0
}
close_inherited_fds

# Where the tree is, and the build directory as an absolute path.
TESTS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# resolve_build [DIR]: prints DIR (default $BUILD, else "build") as an
# absolute path, relative to the current directory or else to the tree.
resolve_build() {
	local b=${1:-${BUILD:-build}}
	if [[ $b == /* ]]; then
		printf '%s\n' "$b"
	elif [[ -d $b ]]; then
		(cd "$b" && pwd)
	else
		printf '%s\n' "$TESTS_ROOT/$b"
	fi
}

# now_ms: monotonic enough wall clock in milliseconds.
now_ms() {
	if [[ -n ${EPOCHREALTIME:-} ]]; then
		local t=${EPOCHREALTIME/[.,]/}
		printf '%s\n' "$((10#$t / 1000))"
	else
		date +%s%3N
	fi
}

# _deadline SECONDS: the time in ms SECONDS (may be fractional) from now.
_deadline() {
	local s=$1 ms
	if [[ $s == *.* ]]; then
		local frac=${s#*.}000
		ms=$((10#${s%%.*} * 1000 + 10#${frac:0:3}))
	else
		ms=$((10#$s * 1000))
	fi
	printf '%s\n' "$(($(now_ms) + ms))"
}

# Poll interval between checks.
POLL=${POLL:-0.05}

# wait_until TIMEOUT COMMAND...: runs COMMAND until it succeeds (0) or
# TIMEOUT seconds pass (1).
wait_until() {
	local end
	end=$(_deadline "$1")
	shift
	while :; do
		"$@" && return 0
		(($(now_ms) >= end)) && return 1
		sleep "$POLL"
	done
}

_file_ready() { [[ -s $1 ]]; }

# wait_for_file FILE [TIMEOUT=10]: until FILE exists and is not empty.
wait_for_file() {
	wait_until "${2:-10}" _file_ready "$1"
}

_file_has() { [[ -f $2 ]] && grep -qE -- "$1" "$2"; }

# wait_for_line REGEX FILE [TIMEOUT=10]: until a line of FILE matches REGEX.
wait_for_line() {
	wait_until "${3:-10}" _file_has "$1" "$2"
}

# pid_state PID: the state letter of PID (R S D T t Z X...), nothing if gone.
pid_state() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $stat ]] || return 1
	# the comm may contain spaces and ')': the state follows the last ')'
	stat=${stat##*) }
	printf '%s\n' "${stat%% *}"
}

# pid_alive PID: PID exists and is not a zombie (nor dead).
pid_alive() {
	local s
	s=$(pid_state "$1") || return 1
	[[ $s != Z && $s != X && $s != x ]]
}

_pid_dead() { ! pid_alive "$1"; }
_pid_free() { [[ ! -e /proc/$1 ]]; }

# wait_pid_gone PID [TIMEOUT=10]: until PID is dead. A zombie counts as gone:
# an orphan is reaped by PID 1, which may take a second or two.
wait_pid_gone() {
	wait_until "${2:-10}" _pid_dead "$1"
}

# wait_pid_free PID [TIMEOUT=10]: until PID is fully gone, zombie reaped, so
# that a restore can take the same PID again.
wait_pid_free() {
	wait_until "${2:-10}" _pid_free "$1"
}

# pid_tracers PID: prints "tid:tracer" for every thread of PID that is
# traced, or "tid:state" for one that is stopped; nothing if none is.
pid_tracers() {
	local t tracer state
	for t in /proc/"$1"/task/*; do
		[[ -d $t ]] || continue
		tracer=$(awk '/^TracerPid:/ { print $2 }' "$t/status" 2>/dev/null)
		if [[ -n $tracer && $tracer != 0 ]]; then
			printf '%s:traced-by-%s\n' "${t##*/}" "$tracer"
			continue
		fi
		state=$(pid_state "$1/task/${t##*/}") || continue
		if [[ $state == T || $state == t ]]; then
			printf '%s:stopped\n' "${t##*/}"
		fi
	done
}

_untraced() { [[ -z $(pid_tracers "$1") ]]; }

# wait_untraced PID [TIMEOUT=2]: until no thread of PID is traced or stopped
# (a detach may still be in flight when the tracer exits).
wait_untraced() {
	wait_until "${2:-2}" _untraced "$1"
}

# pid_has_arg PID ARG: PID's command line has an argument equal to ARG (or
# containing it, with --substr).
pid_has_arg() {
	local pid=$1 want=$2 sub=${3:-} a
	local -a args=()
	[[ -r /proc/$pid/cmdline ]] || return 1
	mapfile -d '' -t args <"/proc/$pid/cmdline" 2>/dev/null || return 1
	for a in "${args[@]}"; do
		if [[ $sub == --substr ]]; then
			[[ $a == *"$want"* ]] && return 0
		else
			[[ $a == "$want" ]] && return 0
		fi
	done
	return 1
}

# pids_with_arg ARG [--substr]: every process whose command line has ARG
# (a path unique to one test run: that is how tests mark their processes).
pids_with_arg() {
	local p
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[[ $p == "$$" || $p == "${BASHPID:-$$}" ]] && continue
		pid_has_arg "$p" "$1" "${2:-}" && printf '%s\n' "$p"
	done
	return 0
}

# kill_marked ARG [--substr] [PID...]: SIGKILLs every live process whose
# command line carries ARG (and the PIDs given, if they carry it too), with
# their process groups when they lead one, then waits (bounded) until they
# are dead. Only processes marked with ARG are ever touched.
kill_marked() {
	local marker=$1 sub=
	shift
	if [[ ${1:-} == --substr ]]; then
		sub=--substr
		shift
	fi
	local -a pids=()
	local p pgid
	mapfile -t pids < <(pids_with_arg "$marker" "$sub")
	for p in "$@"; do
		[[ $p =~ ^[0-9]+$ ]] && pid_has_arg "$p" "$marker" "$sub" &&
			pids+=("$p")
	done
	for p in "${pids[@]}"; do
		pid_alive "$p" || continue
		pgid=$(ps -o pgid= -p "$p" 2>/dev/null | tr -d ' ')
		if [[ $pgid == "$p" ]]; then
			kill -KILL -- "-$p" 2>/dev/null
		fi
		kill -KILL "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait_pid_gone "$p" 5 || return 1
	done
	return 0
}

# run_bg COMMAND...: runs COMMAND in the background and waits for it. Bash
# runs a trap only once the foreground command has ended, so a runner that
# waits like this handles SIGTERM (from a timeout above it) at once; its
# EXIT trap then calls kill_bg. Give COMMAND its own timeout.
BG_PID=
run_bg() {
	local rc
	"$@" &
	BG_PID=$!
	wait "$BG_PID"
	rc=$?
	BG_PID=
	return "$rc"
}

# kill_bg: stops the command run_bg is waiting for, if any (bounded).
kill_bg() {
	[[ -n ${BG_PID:-} ]] || return 0
	kill -TERM "$BG_PID" 2>/dev/null
	wait_pid_gone "$BG_PID" 6 || kill -KILL "$BG_PID" 2>/dev/null
	BG_PID=
}

# result STATUS NAME [REASON]: prints the one result line of a test:
#   PASS name | FAIL name: reason | SKIP name: reason
# and appends it to $RESULTS_FILE when that is set (the top-level runner
# counts the lines there).
result() {
	local status=$1 name=$2 reason=${3:-} line
	case $status in
	PASS) line="PASS $name" ;;
	FAIL | SKIP) line="$status $name: ${reason:-no reason given}" ;;
	*) line="FAIL $name: bad result status '$status' ${reason}" ;;
	esac
	# one line, whatever the reason contained
	line=${line//$'\n'/ }
	printf '%s\n' "$line"
	if [[ -n ${RESULTS_FILE:-} ]]; then
		printf '%s\n' "$line" >>"$RESULTS_FILE"
	fi
}

# last_line FILE [REGEX]: the last line of FILE (matching REGEX), trimmed.
last_line() {
	local l
	if [[ -n ${2:-} ]]; then
		l=$(grep -E -- "$2" "$1" 2>/dev/null | tail -n 1)
	else
		l=$(grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n 1)
	fi
	printf '%s\n' "${l:0:300}"
}

# show_tail FILE [N=15]: the last N lines of FILE, indented, for a failure.
show_tail() {
	[[ -s $1 ]] || return 0
	printf '    --- last lines of %s:\n' "${1##*/}"
	tail -n "${2:-15}" "$1" | sed 's/^/    | /'
}
