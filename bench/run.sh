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
#   BENCH_IDLE idle connections for the memory test [10000]
#   BENCH_IDLE_SETTLE seconds the connections stay idle before memory is read [3]  BENCH_PROXIES [tandem haproxy nginx tandem-rules haproxy-rules
#     tandem-stick haproxy-stick]
#   BENCH_BACKEND nginx|app [nginx]  TANDEM binary [bin/tandem]  APP binary [bin/tandem-app]
#   BENCH_NBTHREAD threads (tandem, HAProxy) and workers (nginx) of the proxies [1]
#   BENCH_SERVERS backend servers balanced over [2]
#   TANDEM_BASE a second tandem binary, measured as the proxy "tandem-base" when listed in
#     BENCH_PROXIES (a change against its baseline in one interleaved run)
#   BENCH_LAT_DURATION seconds per open-loop run [5]  BENCH_LAT_RATE requests/s at 100% [measured]
#   BENCH_DET_N requests of the callgrind and strace runs [20000]  BENCH_DET_CONNS their connections [10]
#   BENCH_DET=0 skips the callgrind and strace runs  LOADGEN [build/bench/loadgen]
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
IDLE_SETTLE=${BENCH_IDLE_SETTLE:-3}
read -r -a PROXIES <<<"${BENCH_PROXIES:-tandem haproxy nginx tandem-rules haproxy-rules tandem-stick haproxy-stick}"
BACKEND=${BENCH_BACKEND:-nginx}
TANDEM=${TANDEM:-bin/tandem}
APP=${APP:-bin/tandem-app}
NBTHREAD=${BENCH_NBTHREAD:-1}
NSERVERS=${BENCH_SERVERS:-2}
TANDEM_BASE=${TANDEM_BASE:-}
LAT_DURATION=${BENCH_LAT_DURATION:-5}
DET_N=${BENCH_DET_N:-20000}
DET_CONNS=${BENCH_DET_CONNS:-10}
DET=${BENCH_DET:-1}
LOADGEN=${LOADGEN:-build/bench/loadgen}
OUT=bench/out

sh tools/deps.sh bench
PATH="$PATH:/usr/sbin:/sbin"
if [ ! -x "$LOADGEN" ]; then
	make --no-print-directory "$LOADGEN" >&2 || { echo "bench: cannot build $LOADGEN" >&2; exit 1; }
fi

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

# wait_http PORT PID [TRIES]: poll http://127.0.0.1:PORT/ until it answers 2xx (TRIES x 50 ms,
# 10 s by default) while PID lives.
wait_http() {
	local i
	for ((i = 0; i < ${3:-200}; i++)); do
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

read -r -a PORTS < <(python3 bench/proc.py ports $((NSERVERS + 9)))
PORT[tandem]=${PORTS[0]} PORT[haproxy]=${PORTS[1]} PORT[nginx]=${PORTS[2]} PORT[tandem-base]=${PORTS[3]}
PORT[callgrind]=${PORTS[4]}   # the proxy being run under callgrind, one at a time
PORT[tandem-rules]=${PORTS[5]} PORT[haproxy-rules]=${PORTS[6]}
PORT[tandem-stick]=${PORTS[7]} PORT[haproxy-stick]=${PORTS[8]}
BE=("${PORTS[@]:9}")   # backend ports; server i answers NODE_<i>

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

# The rules row (tandem-rules, haproxy-rules): the same configuration with 20 ACLs and 10 rules
# in the frontend, as real configurations have them: header rewrites, a map lookup, two regular
# expressions evaluated on every request, conditions that mostly do not match (wrk's requests
# are plain GET /). tandem and HAProxy read the very same text.
lb_cfg_rules() {
	printf '/api premium\n/static basic\n/v1 legacy\n/v2 standard\n/admin internal\n' >"$WORK/tiers.map"
	cat >"$WORK/rules.txt" <<EOF2
    acl a01 path_beg /api
    acl a02 path_beg /static /assets
    acl a03 path_end .png .jpg .css .js
    acl a04 hdr(host) -i www.example.com api.example.com
    acl a05 hdr_beg(host) -i admin.
    acl a06 method POST PUT DELETE
    acl a07 src 10.0.0.0/8 192.168.0.0/16
    acl a08 req.hdr(x-forwarded-proto) https
    acl a09 hdr_sub(user-agent) -i bot crawler spider
    acl a10 path_reg ^/v[0-9]+/users/[0-9]+\$
    acl a11 query -m sub debug=1
    acl a12 req.cook(session) -m found
    acl a13 hdr_cnt(x-forwarded-for) gt 3
    acl a14 path_dir admin
    acl a15 url_param(lang) en fr de
    acl a16 req.hdr(accept) -m sub application/json
    acl a17 req.hdr(x-api-key) -m found
    acl a18 path_len gt 200
    acl a19 req.hdr(host) -m reg -i ^(www|api)[0-9]*\\\\.example\\\\.(com|org)\$
    acl a20 dst_port 443
    http-request deny if a07 a05 a14
    http-request deny if a19 a18 || a09 !a12
    http-request set-header X-Tier %[path,map_beg($WORK/tiers.map,basic)]
    http-request set-header X-Forwarded-Proto http unless a08 a20
    http-request del-header X-Debug unless a11 a13
    http-request set-header X-Client-IP %[src]
    http-request set-var(txn.kind) str(api) if a01 || a10 || a02 a03
    http-request add-header X-Lang %[url_param(lang)] if a15 a04
    http-request set-header X-Json 1 if a16 a17 a06
    http-response set-header X-Served-By lb
EOF2
	lb_cfg "$1" | sed "/default_backend be/r $WORK/rules.txt"
}

# The stick row (tandem-stick, haproxy-stick): every request tracked in a stick table by its
# source address (wrk's: one entry, every request on it) and its request rate checked, as a rate
# limit does; the limit is never reached. tandem and HAProxy read the very same text.
lb_cfg_stick() {
	cat >"$WORK/stick.txt" <<EOF2
    http-request track-sc0 src table st_src
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 1000000000 }
EOF2
	lb_cfg "$1" | sed "/default_backend be/r $WORK/stick.txt"
	printf '\nbackend st_src\n    stick-table type ip size 100k expire 30s store http_req_rate(10s),conn_cur\n'
}

# nginx_proxy_cfg PORT [NAME]: the nginx proxy's config; NAME (proxy) names its work directory.
nginx_proxy_cfg() {
	nginx_common "${2:-proxy}" "$NBTHREAD"
	cat <<EOF
http {
$(nginx_http_common "${2:-proxy}")
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

# proxy_cmd PROXY PORT TAG: write PROXY's configuration listening on PORT (files named after TAG)
# and set CMD to its command line. Returns 1 when the proxy's binary is missing.
proxy_cmd() {
	local p=$1 port=$2 tag=$3 bin
	CMD=()
	case $p in
	tandem | tandem-base)
		bin=$TANDEM
		[ "$p" = tandem ] || bin=$TANDEM_BASE
		lb_cfg "$port" >"$WORK/$tag.cfg"
		[ -n "$bin" ] && [ -x "$bin" ] || return 1
		CMD=("$bin" -f "$WORK/$tag.cfg") ;;
	haproxy)
		lb_cfg "$port" >"$WORK/$tag.cfg"
		CMD=(haproxy -db -f "$WORK/$tag.cfg") ;;
	tandem-rules)
		lb_cfg_rules "$port" >"$WORK/$tag.cfg"
		[ -n "$TANDEM" ] && [ -x "$TANDEM" ] || return 1
		CMD=("$TANDEM" -f "$WORK/$tag.cfg") ;;
	haproxy-rules)
		lb_cfg_rules "$port" >"$WORK/$tag.cfg"
		CMD=(haproxy -db -f "$WORK/$tag.cfg") ;;
	tandem-stick)
		lb_cfg_stick "$port" >"$WORK/$tag.cfg"
		[ -n "$TANDEM" ] && [ -x "$TANDEM" ] || return 1
		CMD=("$TANDEM" -f "$WORK/$tag.cfg") ;;
	haproxy-stick)
		lb_cfg_stick "$port" >"$WORK/$tag.cfg"
		CMD=(haproxy -db -f "$WORK/$tag.cfg") ;;
	nginx)
		nginx_proxy_cfg "$port" "$tag" >"$WORK/$tag.conf"
		CMD=(nginx -e "$WORK/$tag/error.log" -p "$WORK/$tag" -c "$WORK/$tag.conf") ;;
	*) log "unknown proxy $p"; exit 2 ;;
	esac
}

for p in "${PROXIES[@]}"; do
	if ! proxy_cmd "$p" "${PORT[$p]}" "$p"; then
		log "$p: binary missing (tandem-base needs TANDEM_BASE, an executable tandem)"
		STATUS[$p]="not built"; continue
	fi
	start "$p" "${CMD[@]}"
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
# Latency under an open-loop load, in each round right after its wrk runs: one request rate for
# all proxies (the same offered load, side by side), 50% and 80% of the round's lowest wrk req/s
# (the slowest proxy's saturation, so no proxy is driven past 80% of its own; measured again each
# round because what a shared machine gives moves from minute to minute). bench/loadgen sends on
# a fixed schedule and measures from each request's intended send time (see bench/loadgen.c).
LAT_RESULTS="$WORK/latency.tsv"
: >"$LAT_RESULTS"
SATS=()

# open_loop ROUND LEVEL RATE PROXY: one open-loop run, recorded in LAT_RESULTS.
open_loop() {
	local r=$1 level=$2 rate=$3 p=$4 c0 c1 line
	c0=$(python3 bench/proc.py cpu "${PID[$p]}")
	line=$(timeout $((LAT_DURATION + 30)) "$LOADGEN" -a "127.0.0.1:${PORT[$p]}" -c "$CONNS" \
		-r "$rate" -d "$LAT_DURATION" | grep '^LOAD ' || true)
	c1=$(python3 bench/proc.py cpu "${PID[$p]}")
	[ -n "$line" ] || { log "no loadgen result for $p at $level%"; return; }
	printf '%s\tround=%s\tlevel=%s\tcpu_us=%s\t%s\n' "$p" "$r" "$level" "$((c1 - c0))" \
		"${line#LOAD }" >>"$LAT_RESULTS"
	log "open loop $level% round $r $p: ${line#LOAD }"
}

for ((r = 1; r <= ROUNDS; r++)); do
	sat=0
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
		rps=$(awk -v l="$line" 'BEGIN { split(l, f, /[ =]/); for (i = 1; i < length(f); i++) v[f[i]] = f[i + 1];
			if (v["duration_us"] > 0) printf "%d", v["requests"] * 1e6 / v["duration_us"]; else print 0 }')
		if [ "$sat" -eq 0 ] || [ "$rps" -lt "$sat" ]; then sat=$rps; fi
	done
	sat=${BENCH_LAT_RATE:-$sat}
	[ "$sat" -gt 0 ] || continue
	SATS+=("$sat")
	for level in 50 80; do
		for p in "${PROXIES[@]}"; do
			alive "$p" && open_loop "$r" "$level" $((sat * level / 100)) "$p"
		done
	done
done

# ---- deterministic figures: system calls (strace) and instructions (callgrind) per request ------
# Both count work, not time, so they hardly move on a busy machine. A fixed closed-loop run of
# DET_N keep-alive requests on DET_CONNS connections (bench/loadgen -n). System calls: strace -c
# attached to every process and thread of the running proxy, minus what it counts while the
# proxy is idle for as long. Instructions: the proxy is started again under callgrind (one
# process tree, its own port) twice -- once for DET_CONNS requests (one per connection) then idle
# for as long as the load run took, once for DET_CONNS + DET_N requests -- and the difference of
# the two runs' totals (startup, first requests, idle timers and exit cancel out) divided by DET_N.
DET_RESULTS="$WORK/det.tsv"
: >"$DET_RESULTS"

# strace_count SECONDS|load PIDS...: system calls made by PIDS (and their threads) while idle for
# SECONDS, or during the load run; prints "CALLS WALL_MS".
strace_count() {
	local what=$1 args=() pid t0 t1 n i
	shift
	for pid in "$@"; do args+=(-p "$pid"); done
	strace -f -c -o "$WORK/strace.txt" "${args[@]}" 2>"$WORK/strace.err" &
	local spid=$!
	for ((i = 0; i < 100; i++)); do   # until every process is attached (5 s)
		n=$(grep -c attached "$WORK/strace.err" || true)
		[ "${n:-0}" -ge $# ] && break
		sleep 0.05
	done
	t0=$(date +%s%N)
	if [ "$what" = load ]; then
		"$LOADGEN" -a "127.0.0.1:$STRACE_PORT" -c "$DET_CONNS" -n "$DET_N" >"$WORK/strace-load.txt"
	else
		sleep "$what"
	fi
	t1=$(date +%s%N)
	kill -INT "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	n=$(awk '$NF == "total" { print $4 }' "$WORK/strace.txt")
	echo "${n:-0} $(((t1 - t0) / 1000000))"
}

# callgrind_ir PROXY N IDLE_MS: start PROXY under callgrind, send N requests over DET_CONNS
# connections, stay idle IDLE_MS, stop it; prints "IR LOAD_MS" (IR summed over its processes).
callgrind_ir() {
	local p=$1 n=$2 idle=$3 tag="cg-$1-$2" t0 t1 ir pid i t alive_any tree
	mkdir -p "$WORK/$tag.cg"
	# nginx's workers run as another user when started by root: let them reach their file
	chmod o+x "$WORK"
	chmod 1777 "$WORK/$tag.cg"
	proxy_cmd "$p" "${PORT[callgrind]}" "$tag" || return 1
	valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$WORK/$tag.cg/out.%p" "${CMD[@]}" \
		>"$WORK/$tag.out" 2>&1 &
	pid=$!
	ALL_PIDS+=("$pid")
	if ! wait_http "${PORT[callgrind]}" "$pid" 1200; then
		log "$p does not start under callgrind"; tail -n 5 "$WORK/$tag.out" >&2
		kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; return 1
	fi
	t0=$(date +%s%N)
	"$LOADGEN" -a "127.0.0.1:${PORT[callgrind]}" -c "$DET_CONNS" -n "$n" >"$WORK/$tag.load" || true
	t1=$(date +%s%N)
	[ "$idle" -eq 0 ] || sleep "$(awk -v ms="$idle" 'BEGIN { printf "%.3f", ms / 1000 }')"
	# every process writes its counts when it exits: wait for all of them, not only the first
	read -r -a tree < <(python3 bench/proc.py pids "$pid")
	# nginx's master kills workers still running a second after a fast stop (TERM), and a
	# worker under callgrind takes longer to exit: stop it gracefully (QUIT) instead
	kill "-$([ "$p" = nginx ] && echo QUIT || echo TERM)" "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for ((i = 0; i < 600; i++)); do
		alive_any=0
		for t in "${tree[@]}"; do kill -0 "$t" 2>/dev/null && alive_any=1; done
		[ "$alive_any" = 0 ] && break
		sleep 0.05
	done
	ir=$(cat "$WORK/$tag.cg"/out.* | awk '/^totals:/ { s += $2 } END { printf "%.0f", s }')
	echo "$ir $(((t1 - t0) / 1000000))"
}

if [ "$DET" = 1 ]; then
	for p in "${PROXIES[@]}"; do
		alive "$p" || continue
		read -r -a pids < <(python3 bench/proc.py pids "${PID[$p]}")
		STRACE_PORT=${PORT[$p]}
		read -r idle_calls idle_ms < <(strace_count 1 "${pids[@]}")
		read -r load_calls load_ms < <(strace_count load "${pids[@]}")
		line=$(grep '^LOAD ' "$WORK/strace-load.txt" || true)
		read -r ir_load load_ms_cg < <(callgrind_ir "$p" $((DET_CONNS + DET_N)) 0) || true
		read -r ir_base _ < <(callgrind_ir "$p" "$DET_CONNS" "${load_ms_cg:-0}") || true
		printf '%s\tn=%s\tsc_idle=%s\tsc_idle_ms=%s\tsc_load=%s\tsc_load_ms=%s\tir_load=%s\tir_base=%s\t%s\n' \
			"$p" "$DET_N" "$idle_calls" "$idle_ms" "$load_calls" "$load_ms" "${ir_load:-0}" "${ir_base:-0}" \
			"${line#LOAD }" >>"$DET_RESULTS"
		log "deterministic $p: syscalls idle $idle_calls in $idle_ms ms, load $load_calls in $load_ms ms;" \
			"callgrind Ir load ${ir_load:-?} base ${ir_base:-?}"
	done
fi

# ---- memory with idle keep-alive connections ----------------------------------------------------
for p in "${PROXIES[@]}"; do
	alive "$p" || continue
	rss0=$(python3 bench/proc.py rss "${PID[$p]}")
	coproc IDLEC { exec python3 bench/idle.py "${PORT[$p]}" "$IDLE" 60; }
	idle_pid=$IDLEC_PID
	ALL_PIDS+=("$idle_pid")
	ready=""
	read -r -t 90 -u "${IDLEC[0]}" ready || true
	rss_ready=$(python3 bench/proc.py rss "${PID[$p]}")
	# What the connections cost once idle, not the setup's transient: each proxy gets the same
	# IDLE_SETTLE seconds to give back the buffers the first requests used (nginx frees them at
	# once, HAProxy and tandem keep per-thread caches that a timer trims).
	sleep "$IDLE_SETTLE"
	rss1=$(python3 bench/proc.py rss "${PID[$p]}")
	echo stop >&"${IDLEC[1]}"
	done_line=""
	read -r -t 30 -u "${IDLEC[0]}" done_line || true
	wait "$idle_pid" 2>/dev/null || true
	printf '%s\trss_base_kb=%s\trss_ready_kb=%s\trss_idle_kb=%s\t%s\t%s\n' "$p" "$rss0" "$rss_ready" "$rss1" \
		"$ready" "$done_line" >>"$IDLE_RESULTS"
	log "idle $p: rss ${rss0} kB -> ${rss_ready} kB when all were open -> ${rss1} kB ${IDLE_SETTLE}s later; $ready; $done_line"
done

# ---- report -----------------------------------------------------------------------------------
{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "host=$(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), Linux $(uname -r)"
	echo "load=wrk -t1 -c$CONNS -d${DURATION}s, $ROUNDS interleaved rounds, median shown"
	echo "idle=$IDLE idle keep-alive connections"
	echo "latency=bench/loadgen open loop, $CONNS connections, ${LAT_DURATION}s per run, at 50% and 80% of the slowest proxy's wrk req/s in the same round (${SATS[*]:-none} req/s); medians of the rounds"
	echo "det=$DET_N requests on $DET_CONNS keep-alive connections (bench/loadgen -n): strace -c, callgrind"
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
	--latency "$LAT_RESULTS" --det "$DET_RESULTS" \
	--proxies "${PROXIES[*]}" --markdown "$OUT/last.md" "${readme[@]}"

# ---- splice: tandem's CPU for a 1 GiB transfer with and without `option splice-auto` ----------------
if [ "${BENCH_SPLICE:-1}" != 0 ] && [ -x "$TANDEM" ] && [ -x "$APP" ]; then
	echo
	TANDEM="$TANDEM" APP="$APP" bash bench/splice.sh || { log "bench/splice.sh failed"; exit 1; }
fi

for p in "${PROXIES[@]}"; do
	if [ -n "${STATUS[$p]:-}" ]; then log "$p: ${STATUS[$p]}"; exit 1; fi
done
