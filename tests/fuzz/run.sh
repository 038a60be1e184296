#!/bin/sh
# Short libFuzzer runs of every driver tests/fuzz/fuzz_*.c (each parser of
# tandem: HTTP/1 heads and chunks, configuration, keepalived.conf, VRRP
# packets, BIRD replies, rules, DNS answers, TLS input...), then the
# response-side mutation run (tests/fuzz/resp_mutate.py: tandem between
# keep-alive clients and a backend serving mutated responses; no client may
# see another request's bytes, nothing may crash or spin).
#
# usage: sh tests/fuzz/run.sh        env: BUILD (default build),
#        FUZZ_SECONDS (per fuzzer, default 10), CLANG (default clang),
#        FUZZ_ONLY (space-separated driver names: only those),
#        BIN (tandem for the mutation run; default bin, build-san/bin with
#        SANITIZE=1), RESP_FUZZ_SECONDS (default 40), RESP_FUZZ_SEED.
#
# A driver says what it needs in its first comment, one tag per line:
#   fuzz-src: FILES   the sources it links (LIB: the whole library, built
#                     once per run with coverage instrumentation)
#   fuzz-dict: FILE   a libFuzzer dictionary          (optional)
#   fuzz-seeds: DIRS  seed directories beside tests/fuzz/seeds/NAME (optional)
# so that adding a driver is adding a file. Builds with clang
# -fsanitize=fuzzer,address,undefined into $BUILD/fuzz/ (the library of
# `make` is built by gcc, without coverage). Needs clang's libFuzzer runtime
# (Debian: libclang-rt-14-dev). Prints PASS/FAIL per driver; exits 1 when
# one fails.
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SECS=${FUZZ_SECONDS:-10}
CLANG=${CLANG:-clang}
OUT=$BUILD/fuzz
FLAGS="-std=gnu11 -g -O1 -Wall -Wextra -Werror -Iinclude -D_GNU_SOURCE -pthread
 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
LIBFLAGS=$(echo "$FLAGS" | sed 's/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,/')
LDLIBS=$(make -s --no-print-directory print-ldlibs 2>/dev/null)

if ! command -v "$CLANG" >/dev/null 2>&1; then
	if command -v clang-14 >/dev/null 2>&1; then CLANG=clang-14; else
		echo "FAIL fuzz: clang not found"; exit 1; fi
fi
mkdir -p "$OUT/lib"
rc=0

# tag FILE NAME: the value of "fuzz-NAME:" in FILE's first comment
tag() {
	sed -n '1,/\*\//{s/^.*fuzz-'"$2"': *//p}' "$1" | sed 's/ *\*\/.*$//' | head -n 1
}

# The whole library, instrumented, once: src/*/*.c but the entry point.
lib_built=0
build_lib() {
	[ "$lib_built" = 1 ] && return 0
	objs=""
	for c in src/*/*.c; do
		o="$OUT/lib/$(echo "$c" | tr '/' '_' | sed 's/\.c$/.o/')"
		# shellcheck disable=SC2086 # LIBFLAGS is a list
		if [ ! -e "$o" ] || [ "$c" -nt "$o" ] || [ -n "$(find include -newer "$o" -name '*.h' | head -n 1)" ]; then
			$CLANG $LIBFLAGS -c "$c" -o "$o" 2>>"$OUT/lib.build.log" || return 1
		fi
		objs="$objs $o"
	done
	rm -f "$OUT/libtandem-fuzz.a"
	# shellcheck disable=SC2086 # objs is a list
	ar rcs "$OUT/libtandem-fuzz.a" $objs || return 1
	lib_built=1
}

for drv in tests/fuzz/fuzz_*.c; do
	t=$(basename "$drv" .c)
	t=${t#fuzz_}
	if [ -n "${FUZZ_ONLY:-}" ]; then
		case " $FUZZ_ONLY " in *" $t "*) ;; *) continue ;; esac
	fi
	src=$(tag "$drv" src)
	dict=$(tag "$drv" dict)
	seeds="tests/fuzz/seeds/$t $(tag "$drv" seeds)"
	if [ -z "$src" ]; then
		echo "FAIL fuzz_$t: no 'fuzz-src:' line in the driver's first comment"
		rc=1
		continue
	fi
	if [ "$src" = LIB ]; then
		: > "$OUT/lib.build.log"
		if ! build_lib; then
			echo "FAIL fuzz_$t: building the instrumented library failed"
			tail -n 30 "$OUT/lib.build.log"
			rc=1
			continue
		fi
		src="$OUT/libtandem-fuzz.a"
	fi
	# shellcheck disable=SC2086 # FLAGS, src and LDLIBS are lists
	if ! $CLANG $FLAGS -o "$OUT/fuzz_$t" "$drv" $src $LDLIBS 2>"$OUT/fuzz_$t.build.log"; then
		echo "FAIL fuzz_$t: build failed (libFuzzer runtime missing? Debian: libclang-rt-14-dev)"
		cat "$OUT/fuzz_$t.build.log"
		rc=1
		continue
	fi
	# New inputs go to the scratch corpus; the seeds in the tree stay as they are.
	mkdir -p "$OUT/corpus-$t"
	existing=""
	for d in $seeds; do [ -d "$d" ] && existing="$existing $d"; done
	# shellcheck disable=SC2086 # existing is a list
	if "$OUT/fuzz_$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=1024 \
		${dict:+-dict=$dict} -artifact_prefix="$OUT/crash-$t-" \
		"$OUT/corpus-$t" $existing >"$OUT/fuzz_$t.log" 2>&1; then
		echo "PASS fuzz_$t ($(grep -o 'Done [0-9]* runs' "$OUT/fuzz_$t.log" | tail -1) in ${SECS}s)"
	else
		echo "FAIL fuzz_$t: crash or invariant failure, log $OUT/fuzz_$t.log"
		grep -E 'invariant failed|ERROR|SUMMARY|Test unit written' "$OUT/fuzz_$t.log" | head -20
		rc=1
	fi
done

# Response-side mutation run against the built tandem.
if ! command -v python3 >/dev/null 2>&1; then
	echo "FAIL resp_mutate: python3 not found"
	exit 1
fi
if ! python3 tests/fuzz/resp_mutate.py; then
	rc=1
fi
exit $rc
