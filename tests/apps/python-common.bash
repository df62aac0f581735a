# shellcheck shell=bash
# Shared by the python acceptance tests (tests/apps/python_*.sh; named
# .bash so that tests/run.sh does not run it as a test): sourced
# with WORK_PREFIX set. Checks that python3 and cryo are there (SKIP/FAIL
# otherwise), makes the work directory $WORK with the program path $APP
# (its path on the command line marks our process), and sets up cleanup
# (the python process is killed, the work directory removed unless the
# test failed or KEEP=1) and fail().

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

BUILD=$(resolve_build "${BUILD:-build}")
CRYO=${CRYO:-$BUILD/cryo}
PYTHON=${PYTHON:-python3}
CMD_TIMEOUT=${CMD_TIMEOUT:-120}

if ! command -v "$PYTHON" >/dev/null 2>&1; then
	echo "SKIP: $PYTHON is not installed"
	exit 77
fi
if [[ ! -x $CRYO ]]; then
	echo "FAIL: no cryo binary $CRYO (run make)"
	exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/$WORK_PREFIX.XXXXXX") || exit 1
APP=$WORK/app.py
failed=0
pid=

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	kill_bg
	kill_marked "$APP" ${pid:+"$pid"} ||
		echo "could not kill the python process $pid"
	if [[ ${KEEP:-0} == 1 || $failed == 1 ]]; then
		echo "work directory kept: $WORK"
	else
		rm -rf -- "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

fail() {
	failed=1
	echo "FAIL: $*"
	exit 1
}

# start_python TIMEOUT ARGS...: runs "$PYTHON $APP ARGS..." in the
# background without the caller's fds, and waits (up to TIMEOUT seconds)
# until it wrote its pid to $WORK/pid; sets pid and launched.
start_python() {
	local timeout=$1
	shift
	(
		close_inherited_fds
		exec "$PYTHON" "$APP" "$@"
	) </dev/null >"$WORK/python.log" 2>&1 &
	launched=$!
	disown "$launched" # no "Killed" job notice when a dump kills it
	wait_for_file "$WORK/pid" "$timeout" || {
		show_tail "$WORK/python.log"
		fail "python did not start within ${timeout}s"
	}
	pid=$(<"$WORK/pid")
	# the pid python reports must be the process we started
	[[ $pid == "$launched" ]] ||
		echo "note: python runs as pid $pid (launched as $launched via a wrapper)"
	pid_alive "$pid" || fail "python (pid $pid) is not running"
	echo "python running as pid $pid"
}
