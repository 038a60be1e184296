#!/usr/bin/env bash
# bench/splice.sh -- part of `make bench`: tandem's CPU for a big transfer with and without
# `option splice-auto` (splice(2) through a pipe instead of copying through tandem's buffers).
#
# One tandem-app backend serves /bytes?n=SIZE (Content-Length); curl downloads it through tandem,
# in `mode http` (the response body is spliced) and in `mode tcp` (the tunnel is spliced), each
# with and without `option splice-auto`, in interleaved rounds. We record tandem's own CPU time
# (user + system, all its processes and threads, from /proc) and the wall time of each transfer,
# and print the medians; the table also goes to bench/out/splice.md.
#
# Environment (defaults in brackets): BENCH_SPLICE_MB size of the transfer in MiB [1024],
#   BENCH_SPLICE_ROUNDS [3], TANDEM [bin/tandem], APP [bin/tandem-app].
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
cd "$(dirname "$0")/.."

MB=${BENCH_SPLICE_MB:-1024}
ROUNDS=${BENCH_SPLICE_ROUNDS:-3}
TANDEM=${TANDEM:-bin/tandem}
APP=${APP:-bin/tandem-app}
BYTES=$((MB * 1024 * 1024))
OUT=bench/out

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tandem-splice.XXXXXX")
declare -a PIDS=()
cleanup() {
	trap - EXIT INT TERM
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "bench-splice: $*" >&2; }

wait_http() {   # PORT PID
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$2" 2>/dev/null || return 1
		curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:$1/bytes?n=1" && return 0
		sleep 0.05
	done
	return 1
}

read -r BE P_HTTP P_HTTP_S P_TCP P_TCP_S < <(python3 bench/proc.py ports 5)
"$APP" --name A --listen "127.0.0.1:$BE" --quiet >"$WORK/app.out" 2>&1 &
APP_PID=$!
PIDS+=("$APP_PID")
wait_http "$BE" "$APP_PID" || { log "tandem-app did not start"; cat "$WORK/app.out" >&2; exit 1; }

# One tandem, four frontends: http and tcp, each without and with splice-auto.
fe() {   # NAME PORT MODE SPLICE
	printf 'listen %s\n    bind 127.0.0.1:%s\n    mode %s\n' "$1" "$2" "$3"
	[ "$4" = 0 ] || printf '    option splice-auto\n'
	printf '    server a 127.0.0.1:%s\n' "$BE"
}
{
	printf 'global\n    nbthread 1\n    tune.pipesize 1m\n'
	printf 'defaults\n    timeout connect 5s\n    timeout client 120s\n    timeout server 120s\n'
	fe http_copy "$P_HTTP" http 0
	fe http_splice "$P_HTTP_S" http 1
	fe tcp_copy "$P_TCP" tcp 0
	fe tcp_splice "$P_TCP_S" tcp 1
} >"$WORK/tandem.cfg"
"$TANDEM" -f "$WORK/tandem.cfg" >"$WORK/tandem.out" 2>&1 &
TPID=$!
PIDS+=("$TPID")
for p in "$P_HTTP" "$P_HTTP_S" "$P_TCP" "$P_TCP_S"; do
	wait_http "$p" "$TPID" || { log "tandem did not start"; cat "$WORK/tandem.out" >&2; exit 1; }
done

declare -A PORT=([http_copy]=$P_HTTP [http_splice]=$P_HTTP_S [tcp_copy]=$P_TCP [tcp_splice]=$P_TCP_S)
RES="$WORK/res.tsv"
: >"$RES"
for ((r = 1; r <= ROUNDS; r++)); do
	for k in http_copy http_splice tcp_copy tcp_splice; do
		c0=$(python3 bench/proc.py cpu "$TPID")
		t0=$(date +%s%N)
		got=$(curl -s -o /dev/null -w '%{size_download}' --max-time 300 "http://127.0.0.1:${PORT[$k]}/bytes?n=$BYTES" || true)
		t1=$(date +%s%N)
		c1=$(python3 bench/proc.py cpu "$TPID")
		if [ "$got" != "$BYTES" ]; then
			log "$k round $r: got $got bytes of $BYTES"; exit 1
		fi
		printf '%s\t%s\t%s\n' "$k" "$((c1 - c0))" "$(((t1 - t0) / 1000))" >>"$RES"
		log "round $r $k: cpu $(((c1 - c0) / 1000)) ms, wall $(((t1 - t0) / 1000000)) ms"
	done
done

mkdir -p "$OUT"
python3 - "$RES" "$MB" "$ROUNDS" <<'EOF' | tee "$OUT/splice.md"
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
med = {}
for k in ("http_copy", "http_splice", "tcp_copy", "tcp_splice"):
    cpu = [int(r[1]) for r in rows if r[0] == k]
    wall = [int(r[2]) for r in rows if r[0] == k]
    med[k] = (statistics.median(cpu) / 1000, statistics.median(wall) / 1000)
mb = int(sys.argv[2])
print(f"tandem, {mb} MiB through one thread, median of {sys.argv[3]} rounds (tandem's own CPU, user + system):\n")
print("| transfer | CPU ms, copy | CPU ms, splice-auto | CPU ratio | wall ms, copy | wall ms, splice-auto |")
print("|---|---|---|---|---|---|")
for mode, label in (("http", "HTTP response body (Content-Length)"), ("tcp", "TCP tunnel")):
    c, s = med[mode + "_copy"], med[mode + "_splice"]
    ratio = s[0] / c[0] if c[0] else float("nan")
    print(f"| {label} | {c[0]:.0f} | {s[0]:.0f} | {ratio:.2f}x | {c[1]:.0f} | {s[1]:.0f} |")
EOF
