#!/usr/bin/env bash
# Runs cryo's checkpoint/restore test programs (tests/cr/*.c) through dump
# and restore and collects their verdicts.
#
#   tests/cr/run.sh [--variant plain|leave-running|dump-twice]... [NAME...]
#
# NAME is a test program in $BUILD/tests/cr (default: all of them); the
# variants (default: all three; --variant may repeat or take a comma list):
#   plain          dump (the tree is killed), restore, check
#   leave-running  dump -R, the tree must run on untraced, check
#   dump-twice     dump, restore, dump again, restore again, check
# "Check" sends the test its check signal (SIGTERM) and waits for its
# verdict. Each test and variant prints exactly one line:
#   PASS cr/NAME/variant
#   FAIL cr/NAME/variant: reason (log: path)
#   SKIP cr/NAME/variant: reason
#   XFAIL cr/NAME/variant: reason   (listed in known-failures, failed)
#   XPASS cr/NAME/variant           (listed in known-failures, passed)
# Expected failures are listed in tests/cr/known-failures ("NAME VARIANT
# reason" lines, VARIANT may be *): a listed test that fails is an XFAIL
# and does not count as a failure; one that passes is an XPASS and does,
# so that the list stays true. A listed NAME without a program is a FAIL.
# Exit status: 0 if nothing failed, 1 otherwise, 2 on a usage error.
#
# Environment: BUILD (build), CRYO ($BUILD/cryo), KEEP=1 keeps every work
# directory (those of failed tests are always kept), CR_WORKDIR (where they
# go; default a fresh directory under $TMPDIR or /tmp), CR_CMD_TIMEOUT
# (seconds for one cryo command, 60), CR_START_TIMEOUT (for a test to get
# ready, 10), CR_VERDICT_TIMEOUT (for the verdict after the check signal, 20),
# CR_KNOWN_FAILURES (the expected-failure list, tests/cr/known-failures).
set -u

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

BUILD=$(resolve_build "${BUILD:-build}")
CRYO=${CRYO:-$BUILD/cryo}
CMD_TIMEOUT=${CR_CMD_TIMEOUT:-60}
START_TIMEOUT=${CR_START_TIMEOUT:-10}
VERDICT_TIMEOUT=${CR_VERDICT_TIMEOUT:-20}
NOT_IMPLEMENTED="restore not implemented yet (step 3): dump only"
KNOWN_FAILURES=${CR_KNOWN_FAILURES:-$(dirname "${BASH_SOURCE[0]}")/known-failures}
ALL_VARIANTS=(plain leave-running dump-twice)

usage() {
	sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

variants=()
names=()
while (($#)); do
	case $1 in
	--variant | -v)
		[[ $# -ge 2 ]] || {
			usage >&2
			exit 2
		}
		IFS=, read -r -a vs <<<"$2"
		variants+=("${vs[@]}")
		shift 2
		;;
	--variant=*)
		IFS=, read -r -a vs <<<"${1#*=}"
		variants+=("${vs[@]}")
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	-*)
		printf 'cr/run.sh: unknown option %s\n' "$1" >&2
		usage >&2
		exit 2
		;;
	*)
		n=${1#cr/}
		names+=("${n%%/*}")
		shift
		;;
	esac
done
((${#variants[@]})) || variants=("${ALL_VARIANTS[@]}")
for v in "${variants[@]}"; do
	case $v in
	plain | leave-running | dump-twice) ;;
	*)
		printf 'cr/run.sh: unknown variant %s\n' "$v" >&2
		exit 2
		;;
	esac
done
if ! ((${#names[@]})); then
	for f in "$BUILD"/tests/cr/*; do
		[[ -f $f && -x $f ]] && names+=("${f##*/}")
	done
fi
if ! ((${#names[@]})); then
	result SKIP cr "no test programs in $BUILD/tests/cr (run make tests)"
	exit 0
fi

# The expected failures: known["NAME VARIANT"] = reason (VARIANT may be *).
declare -A known=()
known_bad=()
if [[ -f $KNOWN_FAILURES ]]; then
	while read -r k_name k_variant k_reason; do
		[[ -z $k_name || $k_name == \#* ]] && continue
		case $k_variant in
		plain | leave-running | dump-twice | '*') ;;
		*)
			known_bad+=("$k_name: unknown variant '$k_variant'")
			continue
			;;
		esac
		[[ -x $BUILD/tests/cr/$k_name ]] ||
			known_bad+=("$k_name: no such test program")
		known["$k_name $k_variant"]=${k_reason:-no reason given}
	done <"$KNOWN_FAILURES"
fi

# known_reason NAME VARIANT: prints why NAME/VARIANT is expected to fail;
# 1 if it is not.
known_reason() {
	local k
	for k in "$1 $2" "$1 *"; do
		if [[ -n ${known[$k]+set} ]]; then
			printf '%s\n' "${known[$k]}"
			return 0
		fi
	done
	return 1
}

if [[ -n ${CR_WORKDIR:-} ]]; then
	BASE=$CR_WORKDIR
	mkdir -p "$BASE" || exit 1
else
	BASE=$(mktemp -d "${TMPDIR:-/tmp}/cryo-cr.XXXXXX") || exit 1
fi

nr_fail=0
cur_dir=   # work dir of the running test, for the cleanup trap
cur_pid=

# Kills what the current test left behind: processes that carry its outfile
# path on their command line (the test was started with it), and the pid it
# wrote if that one carries it too.
cleanup_test() {
	[[ -n $cur_dir ]] || return 0
	if ! kill_marked "$cur_dir/out" ${cur_pid:+"$cur_pid"}; then
		printf 'cr/run.sh: could not kill the processes of %s\n' \
			"$cur_dir" >&2
	fi
}

on_exit() {
	kill_bg
	cleanup_test
	if [[ ${KEEP:-0} != 1 ]] && ((nr_fail == 0)); then
		rm -rf -- "$BASE"
	else
		# drop what passed, keep what failed
		rmdir -- "$BASE" 2>/dev/null
		[[ -d $BASE ]] && printf 'cr/run.sh: work directories kept in %s\n' "$BASE" >&2
	fi
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# The outcome of the current test: set once by pass/fail/skip.
r_status=
r_reason=

fail() { # REASON [LOG]
	r_status=FAIL
	r_reason="$1${2:+ (log: $2)}"
}
skip() {
	r_status=SKIP
	r_reason=$1
}

# launch BIN: runs in the background (a subshell): the test's launcher, in
# its temp dir, which is also its TMPDIR.
launch() {
	cd "$cur_dir/tmp" || exit 1
	TMPDIR="$cur_dir/tmp" exec timeout -k 2 "$START_TIMEOUT" "$1" \
		--pidfile "$cur_dir/pid" --outfile "$cur_dir/out"
}

# start_test BIN: launches the test, sets cur_pid. 1 on failure.
start_test() {
	local bin=$1 rc
	mkdir -p "$cur_dir/tmp" || {
		fail "cannot create $cur_dir/tmp"
		return 1
	}
	run_bg launch "$bin" </dev/null >"$cur_dir/launch.log" 2>&1
	rc=$?
	case $rc in
	0) ;;
	77)
		skip "$(last_line "$cur_dir/out" '^SKIP' | sed 's/^SKIP: //')"
		return 1
		;;
	124 | 137)
		fail "not ready within ${START_TIMEOUT}s" "$cur_dir/out"
		return 1
		;;
	*)
		fail "setup failed (exit $rc): $(last_line "$cur_dir/out" '^FAIL' | sed 's/^FAIL: //')" "$cur_dir/out"
		return 1
		;;
	esac
	if ! wait_for_file "$cur_dir/pid" "$START_TIMEOUT"; then
		fail "no pidfile within ${START_TIMEOUT}s" "$cur_dir/out"
		return 1
	fi
	cur_pid=$(<"$cur_dir/pid")
	if ! [[ $cur_pid =~ ^[0-9]+$ ]] || ! pid_alive "$cur_pid"; then
		fail "pidfile says '$cur_pid', which is not running" "$cur_dir/out"
		return 1
	fi
	return 0
}

# cryo_cmd NAME ARGS...: runs cryo with a timeout, output in $cur_dir/NAME.out.
cryo_cmd() {
	local name=$1
	shift
	run_bg timeout -k 5 "$CMD_TIMEOUT" "$CRYO" "$@" </dev/null \
		>"$cur_dir/$name.out" 2>&1
}

# exit_reason RC OUTPUT: "exit 1: <last line of OUTPUT>", or the timeout.
exit_reason() {
	local l
	if (($1 == 124 || $1 == 137)); then
		printf 'timed out after %ss' "$CMD_TIMEOUT"
		return
	fi
	l=$(last_line "$2")
	printf 'exit %s%s' "$1" "${l:+: $l}"
}

# check_image IMG: cryo show must decode it (and emit JSON lines).
check_image() {
	local img=$1 rc tag=${1##*/}
	cryo_cmd "show-$tag" show "$img"
	rc=$?
	if ((rc)); then
		fail "cryo show $tag failed ($(exit_reason "$rc" "$cur_dir/show-$tag.out"))" "$cur_dir/show-$tag.out"
		return 1
	fi
	if [[ ! -s $cur_dir/show-$tag.out ]]; then
		fail "cryo show $tag printed nothing" "$cur_dir/show-$tag.out"
		return 1
	fi
	if command -v python3 >/dev/null 2>&1 &&
		! python3 -c '
import json, sys
for n, line in enumerate(open(sys.argv[1]), 1):
    if line.strip():
        try:
            json.loads(line)
        except ValueError as e:
            sys.exit("line %d: %s" % (n, e))
' "$cur_dir/show-$tag.out" >"$cur_dir/show-$tag.check" 2>&1; then
		fail "cryo show $tag is not JSON lines: $(last_line "$cur_dir/show-$tag.check")" "$cur_dir/show-$tag.out"
		return 1
	fi
	cryo_cmd "summary-$tag" show --summary "$img"
	rc=$?
	if ((rc)); then
		fail "cryo show --summary $tag failed ($(exit_reason "$rc" "$cur_dir/summary-$tag.out"))" "$cur_dir/summary-$tag.out"
		return 1
	fi
	return 0
}

# dump IMG [-R]: dumps the test into IMG, checks the image, and that the
# test is gone (without -R) or runs on untraced (with -R).
dump() {
	local img=$1 rc tag=${1##*/} log
	shift
	cryo_cmd "dump-$tag" dump -t "$cur_pid" -D "$img" -o dump.log -v4 "$@"
	rc=$?
	log="$img/dump.log"
	[[ -s $log ]] || log="$cur_dir/dump-$tag.out"
	if ((rc)); then
		fail "cryo dump${1:+ $1} failed ($(exit_reason "$rc" "$cur_dir/dump-$tag.out"))" "$log"
		return 1
	fi
	if [[ ${1:-} == -R ]]; then
		if ! pid_alive "$cur_pid"; then
			fail "the test is not running after dump -R" "$log"
			return 1
		fi
		if ! wait_untraced "$cur_pid" 2; then
			fail "still traced or stopped after dump -R: $(pid_tracers "$cur_pid" | tr '\n' ' ')" "$log"
			return 1
		fi
	elif ! wait_pid_gone "$cur_pid" 10; then
		fail "the test still runs 10s after the dump (state $(pid_state "$cur_pid"))" "$log"
		return 1
	fi
	check_image "$img"
}

# restore IMG: restores IMG; sets r_status SKIP while restore does not exist.
restore() {
	local img=$1 rc tag=${1##*/} rpid log
	if ! wait_pid_free "$cur_pid" 10; then
		printf 'cr/run.sh: pid %s is still a zombie, restoring anyway\n' \
			"$cur_pid" >>"$cur_dir/notes"
	fi
	rm -f "$cur_dir/restored.pid"
	cryo_cmd "restore-$tag" restore -D "$img" -d \
		--pidfile "$cur_dir/restored.pid" -o restore.log -v4
	rc=$?
	if ((rc)) && grep -q 'not implemented yet' "$cur_dir/restore-$tag.out"; then
		skip "$NOT_IMPLEMENTED"
		return 1
	fi
	log="$img/restore.log"
	[[ -s $log ]] || log="$cur_dir/restore-$tag.out"
	if ((rc)); then
		fail "cryo restore failed ($(exit_reason "$rc" "$cur_dir/restore-$tag.out"))" "$log"
		return 1
	fi
	if [[ -s $cur_dir/restored.pid ]]; then
		rpid=$(tr -d ' \n' <"$cur_dir/restored.pid")
		if [[ $rpid != "$cur_pid" ]]; then
			fail "restored as pid $rpid, was $cur_pid" "$log"
			return 1
		fi
	fi
	if ! pid_alive "$cur_pid"; then
		fail "pid $cur_pid is not running after restore" "$log"
		return 1
	fi
	if ! wait_untraced "$cur_pid" 2; then
		fail "traced or stopped after restore: $(pid_tracers "$cur_pid" | tr '\n' ' ')" "$log"
		return 1
	fi
	return 0
}

# check: sends the check signal and turns the test's verdict into ours.
check() {
	local v
	if ! kill -TERM "$cur_pid" 2>/dev/null; then
		fail "cannot signal pid $cur_pid" "$cur_dir/out"
		return 1
	fi
	if ! wait_for_line '^(PASS|FAIL|SKIP)' "$cur_dir/out" "$VERDICT_TIMEOUT"; then
		fail "no verdict within ${VERDICT_TIMEOUT}s of the check signal (state $(pid_state "$cur_pid" || echo gone))" "$cur_dir/out"
		return 1
	fi
	v=$(last_line "$cur_dir/out" '^(PASS|FAIL|SKIP)')
	case $v in
	PASS*) r_status=PASS ;;
	SKIP*) skip "${v#SKIP: }" ;;
	*) fail "${v#FAIL: }" "$cur_dir/out" ;;
	esac
	if ! wait_pid_gone "$cur_pid" 5; then
		[[ $r_status == FAIL ]] ||
			fail "still running 5s after its verdict ($v)" "$cur_dir/out"
		return 1
	fi
	[[ $r_status == PASS ]]
}

run_variant() {
	local variant=$1
	case $variant in
	plain)
		dump "$cur_dir/img" || return
		restore "$cur_dir/img" || return
		;;
	leave-running)
		dump "$cur_dir/img" -R || return
		;;
	dump-twice)
		dump "$cur_dir/img" || return
		restore "$cur_dir/img" || return
		dump "$cur_dir/img2" || return
		restore "$cur_dir/img2" || return
		;;
	esac
	check
}

# run_one NAME VARIANT: one result line.
run_one() {
	local name=$1 variant=$2 bin="$BUILD/tests/cr/$1" tname="cr/$1/$2" kreason
	r_status=
	r_reason=
	cur_pid=
	cur_dir="$BASE/$name.$variant"
	rm -rf -- "$cur_dir"
	mkdir -p "$cur_dir" || {
		result FAIL "$tname" "cannot create $cur_dir"
		nr_fail=$((nr_fail + 1))
		cur_dir=
		return
	}
	if [[ ! -x $bin || -d $bin ]]; then
		fail "no test program $bin (run make tests)"
	elif [[ ! -x $CRYO ]]; then
		fail "no cryo binary $CRYO (run make)"
	elif start_test "$bin"; then
		run_variant "$variant"
	fi
	cleanup_test
	[[ -n $r_status ]] || fail "internal error: no outcome" "$cur_dir"
	if kreason=$(known_reason "$name" "$variant"); then
		case $r_status in
		FAIL)
			r_status=XFAIL
			r_reason="$kreason (got: ${r_reason% (log: *})"
			;;
		PASS) r_status=XPASS ;;
		esac
	fi
	case $r_status in
	PASS | XPASS) result "$r_status" "$tname" ;;
	*) result "$r_status" "$tname" "$r_reason" ;;
	esac
	if [[ $r_status == FAIL || $r_status == XPASS ]]; then
		nr_fail=$((nr_fail + 1))
	elif [[ ${KEEP:-0} != 1 ]]; then
		rm -rf -- "$cur_dir"
	fi
	cur_dir=
	cur_pid=
}

for k in "${known_bad[@]}"; do
	result FAIL cr/known-failures "$k"
	nr_fail=$((nr_fail + 1))
done
for name in "${names[@]}"; do
	for variant in "${variants[@]}"; do
		run_one "$name" "$variant"
	done
done
((nr_fail == 0))
