#!/usr/bin/env bash
# bench/run.sh -- `make bench`: tandem, HAProxy and nginx side by side as HTTP/1.1 reverse proxies.
#
# All three proxy the same two backends on 127.0.0.1 with equivalent settings (one thread or worker
# each, keep-alive on both sides, no logging, round-robin). For each proxy, in interleaved rounds,
# wrk drives keep-alive load and we record req/s, the proxy's own CPU time per request (all of its
# processes and threads, from /proc), p99 latency and errors; then bench/idle.py holds many idle
# keep-alive connections open and we record the proxy's resident memory. Prints a table with
# ratios and writes it as markdown to bench/out/last.md. See bench/README.md for the method.
#
# Environment (defaults in brackets):
#   BENCH_ROUNDS [3]  BENCH_DURATION seconds per wrk run [5]  BENCH_CONNS wrk connections [50]
#   BENCH_IDLE idle connections for the memory test [10000]  BENCH_PROXIES [tandem haproxy nginx]
#   BENCH_BACKEND nginx|app [nginx]  TANDEM binary [bin/tandem]  APP binary [bin/tandem-app]
#   BENCH_NBTHREAD threads (tandem, HAProxy) and workers (nginx) of the proxies [1]
#   BENCH_SERVERS backend servers balanced over [2]
#   TANDEM_BASE a second tandem binary, measured as the proxy "tandem-base" when listed in
#     BENCH_PROXIES (a change against its baseline in one interleaved run)
#   BENCH_README=1 also replaces the table between the bench markers in README.md.
#   BENCH_SPLICE=0 skips bench/splice.sh (tandem's CPU for 1 GiB with and without splice-auto).
# `make bench` runs this with sh: switch to bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-5}
CONNS=${BENCH_CONNS:-50}
IDLE=${BENCH_IDLE:-10000}
read -r -a PROXIES <<<"${BENCH_PROXIES:-tandem haproxy nginx}"
BACKEND=${BENCH_BACKEND:-nginx}
TANDEM=${TANDEM:-bin/tandem}
APP=${APP:-bin/tandem-app}
NBTHREAD=${BENCH_NBTHREAD:-1}
NSERVERS=${BENCH_SERVERS:-2}
TANDEM_BASE=${TANDEM_BASE:-}
OUT=bench/out

sh tools/deps.sh bench
PATH="$PATH:/usr/sbin:/sbin"

# Raise the descriptor limit for this script and every process it starts (they inherit it).
NOFILE=65536
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$NOFILE" ] && ! ulimit -Hn "$NOFILE" 2>/dev/null; then
	NOFILE=$hard
fi
ulimit -Sn "$NOFILE"
# HAProxy refuses to start unless the limit covers two descriptors per connection (client and
# server side) plus a few; give every proxy the same maxconn, and hold fewer idle connections
# when the hard limit (raisable only with CAP_SYS_RESOURCE) is too low for the full count.
MAXCONN=$((IDLE + 100))
if [ $((MAXCONN * 2 + 100)) -gt "$NOFILE" ]; then
	MAXCONN=$(((NOFILE - 100) / 2))
	IDLE=$((MAXCONN - 100))
	echo "bench: descriptor limit is $NOFILE; holding only $IDLE idle connections" >&2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tandem-bench.XXXXXX")
declare -A PID=() PORT=() STATUS=()
declare -a ALL_PIDS=()
cleanup() {
	trap - EXIT INT TERM
	local p
	for p in "${ALL_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${ALL_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -n "${BENCH_KEEP:-}" ]; then echo "bench: work files kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }

# wait_http PORT PID: poll http://127.0.0.1:PORT/ until it answers 2xx (10 s) while PID lives.
wait_http() {
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$2" 2>/dev/null || return 1
		curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:$1/" && return 0
		sleep 0.05
	done
	return 1
}

# nginx_common NAME [WORKERS]: the part of an nginx config shared by backends and the nginx
# proxy: WORKERS workers (1), in the foreground, all files under $WORK, no access log, long keep-alive. nginx counts
# server-side connections in worker_connections and HAProxy's maxconn does not, so nginx gets
# twice maxconn: the same descriptor budget HAProxy reserves for itself.
nginx_common() {
	mkdir -p "$WORK/$1"
	cat <<EOF
worker_processes ${2:-1};
daemon off;
pid $WORK/$1/nginx.pid;
error_log $WORK/$1/error.log warn;
worker_rlimit_nofile $NOFILE;
events { worker_connections $((MAXCONN * 2)); }
EOF
}
nginx_http_common() {
	cat <<EOF
    access_log off;
    client_body_temp_path $WORK/$1/body;
    proxy_temp_path $WORK/$1/proxy;
    fastcgi_temp_path $WORK/$1/fastcgi;
    uwsgi_temp_path $WORK/$1/uwsgi;
    scgi_temp_path $WORK/$1/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
EOF
}

# start NAME CMD...: start a long-running process, remember its PID.
start() {
	local name=$1; shift
	"$@" >"$WORK/$name.out" 2>&1 &
	PID[$name]=$!
	ALL_PIDS+=($!)
}

read -r -a PORTS < <(python3 bench/proc.py ports $((NSERVERS + 4)))
PORT[tandem]=${PORTS[0]} PORT[haproxy]=${PORTS[1]} PORT[nginx]=${PORTS[2]} PORT[tandem-base]=${PORTS[3]}
BE=("${PORTS[@]:4}")   # backend ports; server i answers NODE_<i>

# ---- backends -------------------------------------------------------------------------------
if [ "$BACKEND" = app ]; then
	extra=()
	"$APP" --help 2>&1 | grep -q -- --read-delay-ms && extra=(--read-delay-ms 0)
	for i in "${!BE[@]}"; do
		start "be$i" "$APP" --name "$i" --listen "127.0.0.1:${BE[$i]}" --quiet "${extra[@]}"
	done
	for i in "${!BE[@]}"; do
		if ! wait_http "${BE[$i]}" "${PID[be$i]}"; then
			log "tandem-app backends did not start"; cat "$WORK"/be*.out >&2; exit 1
		fi
	done
else
	{
		nginx_common backend
		echo "http {"
		nginx_http_common backend
		echo "    default_type text/plain;"
		for i in "${!BE[@]}"; do
			printf '    server { listen 127.0.0.1:%s; location / { return 200 "NODE_%s\\n"; } }\n' "${BE[$i]}" "$i"
		done
		echo "}"
	} >"$WORK/backend.conf"
	start backend nginx -e "$WORK/backend/error.log" -p "$WORK/backend" -c "$WORK/backend.conf"
	for i in "${!BE[@]}"; do
		if ! wait_http "${BE[$i]}" "${PID[backend]}"; then
			log "nginx backends did not start"
			cat "$WORK/backend.out" "$WORK/backend/error.log" >&2
			exit 1
		fi
	done
fi

# ---- proxies ----------------------------------------------------------------------------------
# tandem and HAProxy read the very same configuration text.
lb_cfg() {
	cat <<EOF
global
    nbthread $NBTHREAD
    maxconn $MAXCONN

defaults
    mode http
    maxconn $MAXCONN
    timeout connect 5s
    timeout client 120s
    timeout server 120s

frontend fe
    bind 127.0.0.1:$1
    default_backend be

backend be
    balance roundrobin
EOF
	for i in "${!BE[@]}"; do
		echo "    server s$i 127.0.0.1:${BE[$i]}"
	done
}

nginx_proxy_cfg() {
	nginx_common proxy "$NBTHREAD"
	cat <<EOF
http {
$(nginx_http_common proxy)
    upstream be {
$(for i in "${!BE[@]}"; do echo "        server 127.0.0.1:${BE[$i]};"; done)
        keepalive 256;
        keepalive_requests 1000000;
        keepalive_timeout 120s;
    }
    server {
        listen 127.0.0.1:$1;
        location / {
            proxy_pass http://be;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
}

for p in "${PROXIES[@]}"; do
	case $p in
	tandem)
		lb_cfg "${PORT[$p]}" >"$WORK/tandem.cfg"
		if [ ! -x "$TANDEM" ]; then
			log "$TANDEM is missing"; STATUS[$p]="not built"; continue
		fi
		start tandem "$TANDEM" -f "$WORK/tandem.cfg" ;;
	tandem-base)
		lb_cfg "${PORT[$p]}" >"$WORK/tandem-base.cfg"
		if [ -z "$TANDEM_BASE" ] || [ ! -x "$TANDEM_BASE" ]; then
			log "tandem-base needs TANDEM_BASE, an executable tandem"; STATUS[$p]="not built"; continue
		fi
		start tandem-base "$TANDEM_BASE" -f "$WORK/tandem-base.cfg" ;;
	haproxy)
		lb_cfg "${PORT[$p]}" >"$WORK/haproxy.cfg"
		start haproxy haproxy -db -f "$WORK/haproxy.cfg" ;;
	nginx)
		nginx_proxy_cfg "${PORT[$p]}" >"$WORK/nginx.conf"
		start nginx nginx -e "$WORK/proxy/error.log" -p "$WORK/proxy" -c "$WORK/nginx.conf" ;;
	*) log "unknown proxy $p"; exit 2 ;;
	esac
	if ! wait_http "${PORT[$p]}" "${PID[$p]}"; then
		log "$p did not start or does not proxy:"
		tail -n 20 "$WORK/$p.out" >&2
		STATUS[$p]="failed to start"
	fi
done

# ---- load rounds ------------------------------------------------------------------------------
RESULTS="$WORK/results.tsv"
IDLE_RESULTS="$WORK/idle.tsv"
: >"$RESULTS"
: >"$IDLE_RESULTS"

# load NAME SECONDS: one wrk run against proxy NAME; print the BENCH line of bench/report.lua.
load() {
	timeout $(($2 + 30)) wrk -t1 -c"$CONNS" -d"$2"s --timeout 5s --latency -s bench/report.lua \
		"http://127.0.0.1:${PORT[$1]}/" | tee -a "$WORK/wrk-$1.txt" | grep '^BENCH ' || true
}
alive() { [ -z "${STATUS[$1]:-}" ] && kill -0 "${PID[$1]}" 2>/dev/null; }

for p in "${PROXIES[@]}"; do
	alive "$p" && load "$p" 1 >/dev/null # warm-up: caches, pools, backend connections
done
for ((r = 1; r <= ROUNDS; r++)); do
	for p in "${PROXIES[@]}"; do
		alive "$p" || continue
		c0=$(python3 bench/proc.py cpu "${PID[$p]}")
		line=$(load "$p" "$DURATION")
		c1=$(python3 bench/proc.py cpu "${PID[$p]}")
		if ! alive "$p"; then
			log "$p died during round $r"; STATUS[$p]="crashed"; continue
		fi
		[ -n "$line" ] || { log "no wrk result for $p in round $r"; continue; }
		printf '%s\tround=%s\tcpu_us=%s\t%s\n' "$p" "$r" "$((c1 - c0))" "${line#BENCH }" >>"$RESULTS"
		log "round $r $p: ${line#BENCH }"
	done
done

# ---- memory with idle keep-alive connections ----------------------------------------------------
for p in "${PROXIES[@]}"; do
	alive "$p" || continue
	rss0=$(python3 bench/proc.py rss "${PID[$p]}")
	coproc IDLEC { exec python3 bench/idle.py "${PORT[$p]}" "$IDLE" 60; }
	idle_pid=$IDLEC_PID
	ALL_PIDS+=("$idle_pid")
	ready=""
	read -r -t 90 -u "${IDLEC[0]}" ready || true
	rss1=$(python3 bench/proc.py rss "${PID[$p]}")
	echo stop >&"${IDLEC[1]}"
	done_line=""
	read -r -t 30 -u "${IDLEC[0]}" done_line || true
	wait "$idle_pid" 2>/dev/null || true
	printf '%s\trss_base_kb=%s\trss_idle_kb=%s\t%s\t%s\n' "$p" "$rss0" "$rss1" "$ready" "$done_line" >>"$IDLE_RESULTS"
	log "idle $p: rss ${rss0} kB -> ${rss1} kB; $ready; $done_line"
done

# ---- report -----------------------------------------------------------------------------------
{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "host=$(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), Linux $(uname -r)"
	echo "load=wrk -t1 -c$CONNS -d${DURATION}s, $ROUNDS interleaved rounds, median shown"
	echo "idle=$IDLE idle keep-alive connections"
	echo "backend=$BACKEND, $NSERVERS servers; proxies with $NBTHREAD thread(s)/worker(s)"
	[ -z "$TANDEM_BASE" ] || echo "tandem_base=$TANDEM_BASE"
	[ -x "$TANDEM" ] && echo "version_tandem=$("$TANDEM" -v 2>&1 | head -n 1)"
	echo "version_haproxy=$(haproxy -v 2>&1 | head -n 1)"
	echo "version_nginx=$(nginx -v 2>&1 | head -n 1)"
	for p in "${PROXIES[@]}"; do [ -z "${STATUS[$p]:-}" ] || echo "status_$p=${STATUS[$p]}"; done
} >"$WORK/meta.txt"
mkdir -p "$OUT"
readme=()
[ -z "${BENCH_README:-}" ] || readme=(--readme README.md)
python3 bench/report.py --results "$RESULTS" --idle "$IDLE_RESULTS" --meta "$WORK/meta.txt" \
	--proxies "${PROXIES[*]}" --markdown "$OUT/last.md" "${readme[@]}"

# ---- splice: tandem's CPU for a 1 GiB transfer with and without `option splice-auto` ----------------
if [ "${BENCH_SPLICE:-1}" != 0 ] && [ -x "$TANDEM" ] && [ -x "$APP" ]; then
	echo
	TANDEM="$TANDEM" APP="$APP" bash bench/splice.sh || { log "bench/splice.sh failed"; exit 1; }
fi

for p in "${PROXIES[@]}"; do
	if [ -n "${STATUS[$p]:-}" ]; then log "$p: ${STATUS[$p]}"; exit 1; fi
done
