#!/bin/sh
# Short libFuzzer runs of the HTTP/1.x head parser, the chunked decoder,
# the VRRP advertisement parser, the configuration parser (with its
# post-parse checks), tandem-app's JSON body reader and BIRD's control
# socket replies, and the PROXY protocol header parser.
# usage: sh tests/fuzz/run.sh        env: BUILD (default build),
#        FUZZ_SECONDS (per fuzzer, default 20), CLANG (default clang).
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
for t in h1 chunk vrrp_pkt cfg app_json bird_reply proxy_proto; do
	seeds="tests/fuzz/seeds/$t"
	case $t in
	vrrp_pkt) tsrc="src/vrrp/pkt.c"; dict="" ;;
	# the whole library but the entry point (the parser reaches the
	# server, check and VRRP types); seeds: the test configurations and
	# the shipped ones
	cfg) tsrc=$(ls src/*/*.c); dict="-dict=tests/fuzz/cfg.dict"; seeds="$seeds contrib" ;;
	app_json) tsrc="tools/app/json.c"; dict="" ;;
	bird_reply) tsrc="src/bgp/birdc.c"; dict="" ;;
	proxy_proto) tsrc="src/net/proxy_proto.c"; dict="" ;;
	*) tsrc=$SRC; dict="-dict=tests/fuzz/h1.dict" ;;
	esac
	# shellcheck disable=SC2086 # FLAGS and tsrc are lists
	if ! $CLANG $FLAGS -o "$OUT/fuzz_$t" "tests/fuzz/fuzz_$t.c" $tsrc 2>"$OUT/fuzz_$t.build.log"; then
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
exit $rc
