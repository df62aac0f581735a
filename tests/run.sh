#!/usr/bin/env bash
# cryo's test runner (make test runs it after make tests):
#
#   BUILD=build bash tests/run.sh [unit|cli|fuzz|inject|cr|apps]...
#
# Sections (default: all, in this order):
#   unit    every executable in $BUILD/tests/unit
#   cli     every tests/cli/*.sh (the command line contract, bad input)
#   fuzz    the image reader's libFuzzer target for FUZZ_TIME (30) seconds
#   inject  every executable in $BUILD/tests/inject and tests/inject/*.sh
#   cr      tests/cr/run.sh with the variants plain, leave-running, dump-twice
#   apps    every tests/apps/*.sh (real programs)
# A test program or script passes with exit 0, skips with 77 (its last
# "SKIP: reason" or last output line is the reason) and fails otherwise.
# Every test prints one line (PASS name | FAIL name: reason | SKIP name:
# reason; tests/cr also XFAIL name: reason and XPASS name, see
# tests/cr/known-failures); the output of a failed one follows it,
# indented. The run ends with one line "N passed, N failed, N skipped,
# N xfail" (an XPASS counts as failed) and exits 1 if anything failed. No stdin or tty is needed and every test runs under a timeout:
# UNIT_TIMEOUT (120 s each), APP_TIMEOUT (300 s each), CR_SUITE_TIMEOUT
# (1800 s for all of tests/cr/run.sh).
set -u

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD=$(resolve_build "${BUILD:-build}")
CRYO=${CRYO:-$BUILD/cryo}
export BUILD CRYO
UNIT_TIMEOUT=${UNIT_TIMEOUT:-120}
APP_TIMEOUT=${APP_TIMEOUT:-300}
CR_SUITE_TIMEOUT=${CR_SUITE_TIMEOUT:-1800}

sections=("$@")
((${#sections[@]})) || sections=(unit cli fuzz inject cr apps)
for s in "${sections[@]}"; do
	case $s in
	unit | cli | fuzz | inject | cr | apps) ;;
	-h | --help)
		sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*)
		printf 'tests/run.sh: unknown section %s (unit cli fuzz inject cr apps)\n' "$s" >&2
		exit 2
		;;
	esac
done

RESULTS_FILE=$(mktemp "${TMPDIR:-/tmp}/cryo-results.XXXXXX") || exit 1
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/cryo-test-logs.XXXXXX") || exit 1
export RESULTS_FILE
trap 'kill_bg; rm -f -- "$RESULTS_FILE"; rm -rf -- "$LOGDIR"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

cd "$TESTS_ROOT" || exit 1

count() { # STATUS: how many result lines of that status so far
	grep -c "^$1 " "$RESULTS_FILE"
}

# Failures: FAIL lines, and XPASS ones (an expected failure that passed).
count_failed() {
	echo $(($(count FAIL) + $(count XPASS)))
}

# run_prog NAME TIMEOUT COMMAND...: one test program or script.
run_prog() {
	local name=$1 secs=$2 log rc reason
	shift 2
	log="$LOGDIR/${name//\//_}.log"
	run_bg timeout -k 5 "$secs" "$@" </dev/null >"$log" 2>&1
	rc=$?
	case $rc in
	0) result PASS "$name" ;;
	77)
		reason=$(last_line "$log" '^SKIP')
		reason=${reason#SKIP}
		reason=${reason#:}
		reason=${reason# }
		[[ -n $reason ]] || reason=$(last_line "$log")
		result SKIP "$name" "${reason:-skipped}"
		;;
	124 | 137)
		result FAIL "$name" "timed out after ${secs}s"
		show_tail "$log" 20
		;;
	*)
		reason=$(last_line "$log" '^(FAIL|not ok|Assertion|ERROR|error)')
		result FAIL "$name" "exit $rc${reason:+: $reason}"
		show_tail "$log" 20
		;;
	esac
}

# run_dir SECTION DIR [SCRIPTDIR]: every executable file in DIR and every
# *.sh in SCRIPTDIR.
run_dir() {
	local section=$1 dir=$2 sdir=${3:-} f n=0
	for f in "$dir"/*; do
		[[ -f $f && -x $f ]] || continue
		n=$((n + 1))
		run_prog "$section/${f##*/}" "$UNIT_TIMEOUT" "$f"
	done
	if [[ -n $sdir ]]; then
		for f in "$sdir"/*.sh; do
			[[ -f $f ]] || continue
			n=$((n + 1))
			local b=${f##*/}
			run_prog "$section/${b%.sh}" "$UNIT_TIMEOUT" bash "$f"
		done
	fi
	((n)) || printf '# %s: no tests yet (%s)\n' "$section" "$dir"
}

run_cr() {
	local before rc
	before=$(count_failed)
	run_bg timeout -k 10 "$CR_SUITE_TIMEOUT" bash tests/cr/run.sh \
		--variant plain --variant leave-running --variant dump-twice \
		</dev/null
	rc=$?
	if ((rc == 124 || rc == 137)); then
		result FAIL cr "tests/cr/run.sh timed out after ${CR_SUITE_TIMEOUT}s"
	elif ((rc)) && (($(count_failed) == before)); then
		result FAIL cr "tests/cr/run.sh exited $rc without a failed test"
	fi
}

run_apps() {
	local f n=0
	for f in tests/apps/*.sh; do
		[[ -f $f ]] || continue
		n=$((n + 1))
		f=${f##*/}
		run_prog "apps/${f%.sh}" "$APP_TIMEOUT" bash "tests/apps/$f"
	done
	((n)) || printf '# apps: no tests in tests/apps\n'
}

run_cli() {
	local f b
	for f in tests/cli/*.sh; do
		b=${f##*/}
		[[ $b == common.sh ]] && continue
		run_prog "cli/${b%.sh}" "$UNIT_TIMEOUT" bash "$f"
	done
}

# A short fuzzing run over the image reader, seeded with the golden images;
# `make fuzz FUZZ_TIME=600` runs it longer by hand.
run_fuzz() {
	local bin=$BUILD/fuzz/img_reader corpus=$LOGDIR/fuzz-corpus
	if [[ ! -x $bin ]]; then
		result SKIP fuzz/img_reader "not built (needs clang with libFuzzer)"
		return
	fi
	mkdir -p "$corpus" && cp tests/data/*.img "$corpus/" 2>/dev/null
	run_prog fuzz/img_reader "$((${FUZZ_TIME:-30} + 60))" "$bin" \
		-max_total_time="${FUZZ_TIME:-30}" -max_len=65536 -timeout=10 \
		-artifact_prefix="$LOGDIR/" "$corpus"
}

for s in "${sections[@]}"; do
	case $s in
	unit) run_dir unit "$BUILD/tests/unit" ;;
	cli) run_cli ;;
	fuzz) run_fuzz ;;
	inject) run_dir inject "$BUILD/tests/inject" tests/inject ;;
	cr) run_cr ;;
	apps) run_apps ;;
	esac
done

passed=$(count PASS)
failed=$(count_failed)
skipped=$(count SKIP)
xfail=$(count XFAIL)
printf '%d passed, %d failed, %d skipped, %d xfail\n' "$passed" "$failed" \
	"$skipped" "$xfail"
((failed == 0))
