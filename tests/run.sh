#!/bin/sh
# tandem's whole test suite, as run by `make test` (and `make test SANITIZE=1`).
#
#   BUILD=build BIN=bin SANITIZE=0 sh tests/run.sh
#
# Stages, in order: (a) every unit test binary $BUILD/tests/test_*,
# (b) tests/corpus/run.sh, (c) tests/fuzz/run.sh (short run), (d) the
# black-box tests python3 tests/integ/run.py, (e) the VRRP and anycast tests in
# network namespaces python3 tests/netns/run.py (root). Every stage prints "PASS name"
# and "FAIL name ..." lines; this script counts them over all stages, keeps
# the full output in tests/out/ (one log per stage and all.log), repeats the
# FAIL lines at the end and ends with exactly "N passed, N failed".
# Exit status 1 if anything failed. A stage that exits non-zero without
# saying FAIL, crashes, times out or reports nothing adds its own FAIL line;
# a missing prerequisite (python3, curl, clang) is a FAIL, never a skip.
#
# Knobs: TANDEM_BIG_MB (size of the big-transfer tests, default 1024, 128
# under SANITIZE=1), INTEG_ARGS (extra arguments for tests/integ/run.py,
# e.g. "-k basic."), STAGE_TIMEOUT_INTEG (seconds, default 2700),
# STAGE_TIMEOUT_NETNS (seconds, default 900), SKIP_STAGES (stages left out, e.g.
# "netns": CI runs the slow real-server suites in one build only; each one
# left out is said on a line of its own).
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
BIN=${BIN:-bin}
SANITIZE=${SANITIZE:-0}
OUT=tests/out
mkdir -p "$OUT" || exit 1
ALL=$OUT/all.log
: > "$ALL"
PASSED=0
FAILED=0

if [ "$SANITIZE" = 1 ]; then
	# Keep ASan's freed-memory quarantine small so RSS checks stay meaningful.
	ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16:detect_leaks=1:abort_on_error=0}
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	TANDEM_BIG_MB=${TANDEM_BIG_MB:-128}
	export ASAN_OPTIONS UBSAN_OPTIONS
fi
TANDEM_BIG_MB=${TANDEM_BIG_MB:-1024}
export TANDEM_BIG_MB

# Bound each stage when coreutils' timeout exists (it does on Debian).
if command -v timeout >/dev/null 2>&1; then
	TIMEOUT="timeout -k 10"
else
	TIMEOUT=""
fi

# note TEXT: a line for the terminal and all.log that counts as nothing.
note() {
	echo "$*"
	echo "$*" >> "$ALL"
}

# fail_line TEXT: a FAIL line that this script adds itself (missing
# prerequisite, crashed stage): to the terminal and all.log.
fail_line() {
	echo "FAIL $*"
	echo "FAIL $*" >> "$ALL"
}

# stage NAME SECONDS CMD...: run CMD bounded by SECONDS, its stdout live on
# the terminal and in $OUT/NAME.log, its stderr in $OUT/NAME.err (shown
# after it); then count the PASS/FAIL lines of both. The two streams are
# kept apart so an unflushed stdout and stderr cannot splice a FAIL line
# into the middle of another line, where it would not be counted.
stage() {
	name=$1
	secs=$2
	shift 2
	log="$OUT/$(echo "$name" | tr '/ ' '__').log"
	err="${log%.log}.err"
	rcf="$log.rc"
	echo "== $name" >> "$ALL"
	t0=$(date +%s)
	if [ -n "$TIMEOUT" ]; then
		{ $TIMEOUT "$secs" "$@" 2>"$err"; echo $? > "$rcf"; } | tee "$log"
	else
		{ "$@" 2>"$err"; echo $? > "$rcf"; } | tee "$log"
	fi
	rc=$(cat "$rcf" 2>/dev/null || echo 255)
	rm -f "$rcf"
	cat "$err"
	cat "$log" "$err" >> "$ALL"
	p=$(cat "$log" "$err" | grep -c '^PASS ')
	f=$(cat "$log" "$err" | grep -c '^FAIL ')
	if [ "$rc" = 124 ] || [ "$rc" = 137 ] && [ -n "$TIMEOUT" ]; then
		fail_line "$name: timed out after ${secs}s or was killed (exit $rc)"
		f=$((f + 1))
	elif [ "$rc" -ne 0 ] && { [ "$f" -eq 0 ] || [ "$rc" -gt 1 ]; }; then
		# a non-zero exit the stage did not explain with a FAIL line, or a crash
		fail_line "$name: exited $rc"
		f=$((f + 1))
	elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		fail_line "$name: reported no results"
		f=1
	fi
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	note "== $name: $p passed, $f failed ($(( $(date +%s) - t0 ))s)"
}

# skipped STAGE: STAGE is listed in SKIP_STAGES.
skipped() {
	case " ${SKIP_STAGES:-} " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# ---- prerequisites: a missing tool fails, it is never skipped ----
for tool in python3 curl clang; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		fail_line "prerequisite: $tool not found (tools/deps.sh installs it)"
		FAILED=$((FAILED + 1))
	fi
done

# ---- (a) unit tests: one binary per tests/unit/test_*.c ----
for src in tests/unit/test_*.c; do
	[ -e "$src" ] || continue
	t=$(basename "$src" .c)
	if [ -x "$BUILD/tests/$t" ]; then
		stage "unit/$t" "${STAGE_TIMEOUT_UNIT:-300}" "$BUILD/tests/$t"
	else
		fail_line "unit/$t: $BUILD/tests/$t not built"
		FAILED=$((FAILED + 1))
	fi
done

# ---- (b) corpus ----
if [ -f tests/corpus/run.sh ]; then
	stage corpus 600 env BUILD="$BUILD" SANITIZE="$SANITIZE" sh tests/corpus/run.sh
else
	note "== corpus: tests/corpus/run.sh not present"
fi

# ---- (c) short fuzz run ----
if [ -f tests/fuzz/run.sh ]; then
	stage fuzz 900 env BUILD="$BUILD" BIN="$BIN" SANITIZE="$SANITIZE" sh tests/fuzz/run.sh
else
	note "== fuzz: tests/fuzz/run.sh not present"
fi

# ---- (d) black-box tests ----
if command -v python3 >/dev/null 2>&1; then
	# shellcheck disable=SC2086 # INTEG_ARGS is a list of arguments
	stage integ "${STAGE_TIMEOUT_INTEG:-2700}" env TANDEM_BIN_DIR="$BIN" python3 tests/integ/run.py $INTEG_ARGS
else
	fail_line "integ: python3 not found"
	FAILED=$((FAILED + 1))
fi

# ---- (e) VRRP and anycast (BGP through BIRD) in network namespaces ----
if skipped netns; then
	note "== netns: left out (SKIP_STAGES): it runs in the other build"
elif command -v python3 >/dev/null 2>&1; then
	stage netns "${STAGE_TIMEOUT_NETNS:-900}" env TANDEM_BIN_DIR="$BIN" python3 tests/netns/run.py
else
	fail_line "netns: python3 not found"
	FAILED=$((FAILED + 1))
fi

# ---- summary ----
if [ "$FAILED" -gt 0 ]; then
	echo
	echo "Failures (full output in $OUT/):"
	grep '^FAIL ' "$ALL"
fi
echo "$PASSED passed, $FAILED failed"
echo "$PASSED passed, $FAILED failed" >> "$ALL"
[ "$FAILED" -eq 0 ]
