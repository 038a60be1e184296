#!/bin/sh
# Short libFuzzer runs of the HTTP/1.x head parser, the chunked decoder,
# the VRRP advertisement parser (v2, v3, IPv6), the configuration parser
# (with its post-parse checks), the keepalived.conf reader, the rules
# language (expressions, ACLs, rules, log-format strings, pattern files),
# tandem-app's JSON body reader and BIRD's control socket replies, then the
# response-side mutation run (tests/fuzz/resp_mutate.py: tandem between
# keep-alive clients and a backend serving mutated responses; no client may
# see another request's bytes, nothing may crash or spin).
# usage: sh tests/fuzz/run.sh        env: BUILD (default build),
#        FUZZ_SECONDS (per fuzzer, default 20), CLANG (default clang),
#        BIN (tandem for the mutation run; default bin, build-san/bin with
#        SANITIZE=1), RESP_FUZZ_SECONDS (default 40), RESP_FUZZ_SEED.
# Builds with clang -fsanitize=fuzzer,address,undefined into $BUILD/fuzz/,
# linking the parser sources directly (libtandem.a is built by gcc, without
# coverage instrumentation). Needs clang's libFuzzer runtime (Debian:
# libclang-rt-14-dev). Prints PASS/FAIL per fuzzer; exits 1 on a crash.
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SECS=${FUZZ_SECONDS:-20}
CLANG=${CLANG:-clang}
OUT=$BUILD/fuzz
SRC="src/http/h1_parse.c src/http/h1_chunk.c"
FLAGS="-std=gnu11 -g -O1 -Wall -Wextra -Werror -Iinclude -D_GNU_SOURCE
 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

if ! command -v "$CLANG" >/dev/null 2>&1; then
	if command -v clang-14 >/dev/null 2>&1; then CLANG=clang-14; else
		echo "FAIL fuzz: clang not found"; exit 1; fi
fi
mkdir -p "$OUT"
rc=0
for t in h1 chunk vrrp_pkt cfg kaconf rules app_json bird_reply; do
	seeds="tests/fuzz/seeds/$t"
	libs=""
	case $t in
	vrrp_pkt) tsrc="src/vrrp/pkt.c"; dict="" ;;
	# the whole library but the entry point (the parser reaches the
	# server, check and VRRP types); seeds: the test configurations and
	# the shipped ones
	cfg) tsrc=$(ls src/*/*.c); dict="-dict=tests/fuzz/cfg.dict"; seeds="$seeds contrib"
		libs="-lpcre2-8 -lcrypt -pthread" ;;
	rules)
		# the engine and what it uses; the configuration parser is not linked
		tsrc="$(echo src/rules/*.c) src/http/h1_parse.c src/http/errors.c src/core/buf.c src/core/clock.c
		 src/core/log.c src/core/shm.c src/cfg/value.c src/cfg/lexer.c"
		dict="-dict=tests/fuzz/rules.dict"
		libs="-lpcre2-8 -lcrypt -pthread" ;;
	kaconf) tsrc="src/vrrp/kaconf.c src/vrrp/conf.c"; dict="-dict=tests/fuzz/kaconf.dict" ;;
	app_json) tsrc="tools/app/json.c"; dict="" ;;
	bird_reply) tsrc="src/bgp/birdc.c"; dict="" ;;
	*) tsrc=$SRC; dict="-dict=tests/fuzz/h1.dict" ;;
	esac
	# shellcheck disable=SC2086 # FLAGS, tsrc and libs are lists
	if ! $CLANG $FLAGS -o "$OUT/fuzz_$t" "tests/fuzz/fuzz_$t.c" $tsrc $libs 2>"$OUT/fuzz_$t.build.log"; then
		echo "FAIL fuzz_$t: build failed (libFuzzer runtime missing? Debian: libclang-rt-14-dev)"
		cat "$OUT/fuzz_$t.build.log"
		rc=1
		continue
	fi
	# New inputs go to the scratch corpus; the seeds in the tree stay as they are.
	mkdir -p "$OUT/corpus-$t"
	# shellcheck disable=SC2086 # dict is empty or one argument, seeds a list
	if "$OUT/fuzz_$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=1024 \
		$dict -artifact_prefix="$OUT/crash-$t-" \
		"$OUT/corpus-$t" $seeds >"$OUT/fuzz_$t.log" 2>&1; then
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
