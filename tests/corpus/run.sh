#!/bin/sh
# Corpus tests: convert the third-party HTTP/1.1 vectors (llhttp,
# http-desync-guardian) and run them through tandem's parser.
# usage: sh tests/corpus/run.sh [CORPUS_DIR]   (default tests/corpus/third_party,
# a copy of ../shared/corpus kept with its licence files so a bare clone tests too)
# env: BUILD (default build; libtandem.a must exist there), CC, CFLAGS,
#      SANITIZE=1 to build the runner with ASan/UBSan.
# Prints one PASS/FAIL line per vector; exits non-zero on any FAIL.
set -e
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CORPUS=${1:-tests/corpus/third_party}
if [ "$SANITIZE" = 1 ]; then
	CFLAGS="$CFLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
fi
if [ ! -f "$BUILD/libtandem.a" ]; then
	echo "FAIL corpus: $BUILD/libtandem.a missing (run make first)"
	exit 1
fi
if [ ! -d "$CORPUS/llhttp" ] || [ ! -d "$CORPUS/http-desync-guardian" ]; then
	echo "FAIL corpus: no corpus at $CORPUS"
	exit 1
fi
mkdir -p "$BUILD/tests"
# shellcheck disable=SC2086 # CFLAGS is a list of flags
${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE $CFLAGS -Iinclude \
	-o "$BUILD/tests/run_corpus" tests/corpus/run_corpus.c "$BUILD/libtandem.a" -pthread -lm
python3 tests/corpus/convert.py "$CORPUS" "$BUILD/corpus-vectors"
"$BUILD/tests/run_corpus" "$BUILD/corpus-vectors"
