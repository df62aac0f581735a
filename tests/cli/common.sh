# Shared helpers of the CLI tests: sourced, not run. Each test script is one
# test: exit 0 pass, 1 fail (after printing why), 77 skip.
set -u
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" # closes inherited pipe fds
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CRYO=${CRYO:-$ROOT/${BUILD:-build}/cryo}
T=$(mktemp -d /tmp/cryo-cli.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }

# run EXPECTED_STATUS CMD...: runs CMD, keeps stdout/stderr in $T/out, $T/err
run() {
	local want=$1 got
	shift
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	[ "$got" = "$want" ] || fail "'$*' exited $got, expected $want; stderr: $(head -c 300 "$T/err")"
}

# stderr must be exactly one line matching the pattern
one_error_line() {
	[ "$(wc -l <"$T/err")" = 1 ] || fail "expected one error line, got: $(cat "$T/err")"
	grep -qE "$1" "$T/err" || fail "error line '$(cat "$T/err")' does not match /$1/"
}

# start_target CMD...: starts CMD in the background and waits until it runs
start_target() {
	"$@" &
	TARGET=$!
	PIDS+=("$TARGET")
	for _ in $(seq 200); do
		[ -r "/proc/$TARGET/stat" ] && [ "$(readlink "/proc/$TARGET/exe")" != "$(readlink /proc/$$/exe)" ] && return 0
		sleep 0.01
	done
	fail "target did not start"
}

# wait_file FILE: waits (bounded) until FILE exists
wait_file() {
	for _ in $(seq 1000); do
		[ -e "$1" ] && return 0
		sleep 0.01
	done
	fail "$1 never appeared"
}

# The target runs on, untraced, not stopped.
target_unharmed() {
	local st tracer
	kill -0 "$TARGET" 2>/dev/null || fail "target $TARGET died"
	st=$(awk '{print $3}' "/proc/$TARGET/stat")
	tracer=$(awk '/^TracerPid:/ {print $2}' "/proc/$TARGET/status")
	[ "$tracer" = 0 ] || fail "target $TARGET still traced by $tracer"
	case "$st" in S | R) ;; *) fail "target $TARGET in state $st" ;; esac
}
