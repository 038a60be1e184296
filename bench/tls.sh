#!/usr/bin/env bash
# bench/tls.sh -- the TLS part of `make bench`: tandem, HAProxy and nginx terminating TLS in front of
# the same plain backend (nginx, fixed 7-byte body), on the same certificates, one thread or worker
# each, in interleaved rounds:
#   - full handshakes per second (bench/hsload.c: a new connection, a full handshake without session
#     reuse, one request with Connection: close), with an RSA 2048 and an ECDSA P-256 certificate;
#   - keep-alive requests per second over TLS (wrk -t1 -c50 against https://);
# and the proxy's own CPU time (all its processes and threads, /proc) per handshake and per request.
# tandem also runs with `ktls on`: kernel TLS (SSL_OP_ENABLE_KTLS) needs the kernel's "tls" upper
# layer protocol; when this kernel has none, the table says so and the kTLS rows are skipped.
# Certificates are made at run time in a temporary directory. Writes bench/out/tls.md.
#
# Environment: BENCH_ROUNDS [3]  BENCH_DURATION [5]  BENCH_CONNS [50]  BENCH_HS_THREADS [2]
#              BENCH_PROXIES [tandem haproxy nginx]  TANDEM [bin/tandem]  BENCH_KEEP=1 keeps the files.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-5}
CONNS=${BENCH_CONNS:-50}
HST=${BENCH_HS_THREADS:-2}
read -r -a PROXIES <<<"${BENCH_PROXIES:-tandem haproxy nginx}"
TANDEM=${TANDEM:-bin/tandem}
OUT=bench/out
PATH="$PATH:/usr/sbin:/sbin"
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tandem-bench-tls.XXXXXX")
declare -a ALL_PIDS=()
cleanup() {
	trap - EXIT INT TERM
	local p
	for p in "${ALL_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${ALL_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -n "${BENCH_KEEP:-}" ]; then echo "bench-tls: work files kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "bench-tls: $*" >&2; }

cc -O2 -o "$WORK/hsload" bench/hsload.c -lssl -lcrypto -pthread

# ---- certificates (made here, never committed) --------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/rsa.key" -out "$WORK/rsa.crt" -days 7 \
	-subj /CN=bench.test -addext subjectAltName=DNS:bench.test 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/ec.key" \
	-out "$WORK/ec.crt" -days 7 -subj /CN=bench.test -addext subjectAltName=DNS:bench.test 2>/dev/null
cat "$WORK/rsa.crt" "$WORK/rsa.key" >"$WORK/rsa.pem"
cat "$WORK/ec.crt" "$WORK/ec.key" >"$WORK/ec.pem"

KTLS=no
if grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null; then KTLS=yes; fi

read -r BE T_RSA T_EC H_RSA H_EC N_RSA N_EC K_RSA K_EC < <(python3 bench/proc.py ports 9)

# ---- backend ----------------------------------------------------------------------------------------
mkdir -p "$WORK/be" "$WORK/ng"
cat >"$WORK/be.conf" <<EOF
worker_processes 1; daemon off; pid $WORK/be/nginx.pid; error_log $WORK/be/error.log warn;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $WORK/be/b; proxy_temp_path $WORK/be/p;
  fastcgi_temp_path $WORK/be/f; uwsgi_temp_path $WORK/be/u; scgi_temp_path $WORK/be/s;
  keepalive_requests 1000000; keepalive_timeout 120s;
  server { listen 127.0.0.1:$BE; location / { return 200 "NODE_A\n"; } } }
EOF
nginx -e "$WORK/be/error.log" -p "$WORK/be" -c "$WORK/be.conf" >"$WORK/be.out" 2>&1 &
ALL_PIDS+=($!)

# ---- proxies -----------------------------------------------------------------------------------------
lb_cfg() { # lb_cfg RSA_PORT EC_PORT [bind options]
	cat <<EOF
global
    nbthread 1
    maxconn 5000
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend rsa
    bind 127.0.0.1:$1 ssl crt $WORK/rsa.pem ${3:-}
    default_backend be
frontend ec
    bind 127.0.0.1:$2 ssl crt $WORK/ec.pem ${3:-}
    default_backend be
backend be
    server s1 127.0.0.1:$BE
EOF
}
cat >"$WORK/nginx.conf" <<EOF
worker_processes 1; daemon off; pid $WORK/ng/nginx.pid; error_log $WORK/ng/error.log warn;
events { worker_connections 20000; }
http { access_log off; client_body_temp_path $WORK/ng/b; proxy_temp_path $WORK/ng/p;
  fastcgi_temp_path $WORK/ng/f; uwsgi_temp_path $WORK/ng/u; scgi_temp_path $WORK/ng/s;
  keepalive_requests 1000000; keepalive_timeout 120s;
  upstream be { server 127.0.0.1:$BE; keepalive 256; }
  server { listen 127.0.0.1:$N_RSA ssl; ssl_certificate $WORK/rsa.crt; ssl_certificate_key $WORK/rsa.key;
    location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  server { listen 127.0.0.1:$N_EC ssl; ssl_certificate $WORK/ec.crt; ssl_certificate_key $WORK/ec.key;
    location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
EOF
declare -A PID=() RSA=() EC=()
VARIANTS=()
start() { # start NAME CMD...
	local name=$1; shift
	"$@" >"$WORK/$name.out" 2>&1 &
	PID[$name]=$!
	ALL_PIDS+=($!)
}
for p in "${PROXIES[@]}"; do
	case $p in
	tandem)
		lb_cfg "$T_RSA" "$T_EC" >"$WORK/tandem.cfg"
		start tandem "$TANDEM" -f "$WORK/tandem.cfg"; RSA[tandem]=$T_RSA; EC[tandem]=$T_EC; VARIANTS+=(tandem)
		if [ "$KTLS" = yes ]; then
			lb_cfg "$K_RSA" "$K_EC" "ktls on" >"$WORK/tandem-ktls.cfg"
			start tandem-ktls "$TANDEM" -f "$WORK/tandem-ktls.cfg"; RSA[tandem-ktls]=$K_RSA; EC[tandem-ktls]=$K_EC
			VARIANTS+=(tandem-ktls)
		fi ;;
	haproxy)
		lb_cfg "$H_RSA" "$H_EC" >"$WORK/haproxy.cfg"
		start haproxy haproxy -db -f "$WORK/haproxy.cfg"; RSA[haproxy]=$H_RSA; EC[haproxy]=$H_EC; VARIANTS+=(haproxy) ;;
	nginx)
		start nginx nginx -e "$WORK/ng/error.log" -p "$WORK/ng" -c "$WORK/nginx.conf"
		RSA[nginx]=$N_RSA; EC[nginx]=$N_EC; VARIANTS+=(nginx) ;;
	esac
done
for v in "${VARIANTS[@]}"; do
	for i in $(seq 200); do
		curl -sk -o /dev/null --max-time 1 "https://127.0.0.1:${EC[$v]}/" && break
		kill -0 "${PID[$v]}" 2>/dev/null || { log "$v did not start"; tail "$WORK/$v.out" >&2; exit 1; }
		sleep 0.05
	done
done

# ---- rounds -----------------------------------------------------------------------------------------------
RES="$WORK/tls.tsv"
: >"$RES"
cpu() { python3 bench/proc.py cpu "$1"; }
for ((r = 1; r <= ROUNDS; r++)); do
	for v in "${VARIANTS[@]}"; do
		for kind in rsa ec; do
			port=${RSA[$v]}; [ "$kind" = ec ] && port=${EC[$v]}
			c0=$(cpu "${PID[$v]}")
			line=$("$WORK/hsload" 127.0.0.1 "$port" "$HST" "$DURATION")
			c1=$(cpu "${PID[$v]}")
			printf '%s\tkind=hs_%s\tcpu_us=%s\t%s\n' "$v" "$kind" "$((c1 - c0))" "${line#HS }" >>"$RES"
			log "round $r $v handshakes $kind: ${line#HS }"
		done
		c0=$(cpu "${PID[$v]}")
		line=$(timeout $((DURATION + 30)) wrk -t1 -c"$CONNS" -d"$DURATION"s --timeout 5s -s bench/report.lua \
			"https://127.0.0.1:${EC[$v]}/" | grep '^BENCH ' || true)
		c1=$(cpu "${PID[$v]}")
		printf '%s\tkind=ka\tcpu_us=%s\t%s\n' "$v" "$((c1 - c0))" "${line#BENCH }" >>"$RES"
		log "round $r $v keep-alive: ${line#BENCH }"
	done
done

# ---- report ------------------------------------------------------------------------------------------------
mkdir -p "$OUT"
python3 - "$RES" "$KTLS" "$ROUNDS" "$DURATION" "$CONNS" "$HST" "${VARIANTS[*]}" >"$OUT/tls.md" <<'EOF'
import statistics, sys
res, ktls, rounds, dur, conns, hst, variants = sys.argv[1:8]
rows = {}
for line in open(res):
    t = line.split()
    rec = dict(x.split("=", 1) for x in t[1:] if "=" in x)
    rows.setdefault((t[0], rec["kind"]), []).append(rec)
def med(v):
    return statistics.median(v) if v else None
def rate(recs, key):
    return med([int(r.get(key, 0)) / (int(r["duration_us"]) / 1e6) for r in recs if int(r.get("duration_us", 0)) > 0])
def cpu_per(recs, key):
    return med([int(r["cpu_us"]) / int(r[key]) for r in recs if int(r.get(key, 0)) > 0])
print("## TLS (make bench)\n")
print("%s rounds of %ss; handshakes: bench/hsload.c, %s client threads, a full handshake per connection; "
      "keep-alive: wrk -t1 -c%s over TLS (ECDSA P-256). One thread or worker per proxy.\n" % (rounds, dur, hst, conns))
print("| proxy | RSA 2048 handshakes/s | CPU us/handshake | ECDSA P-256 handshakes/s | CPU us/handshake | keep-alive req/s | CPU us/req |")
print("|---|---:|---:|---:|---:|---:|---:|")
fmt = lambda v, f="%.0f": (f % v) if v is not None else "-"
for v in variants.split():
    rsa, ec, ka = rows.get((v, "hs_rsa"), []), rows.get((v, "hs_ec"), []), rows.get((v, "ka"), [])
    print("| %s | %s | %s | %s | %s | %s | %s |" % (v, fmt(rate(rsa, "handshakes")), fmt(cpu_per(rsa, "handshakes")),
          fmt(rate(ec, "handshakes")), fmt(cpu_per(ec, "handshakes")), fmt(rate(ka, "requests")),
          fmt(cpu_per(ka, "requests"), "%.1f")))
print()
if ktls == "yes":
    print("kTLS: the kernel offers it; `tandem-ktls` is tandem with `ktls on` on its binds.")
else:
    print("kTLS: not measured: this kernel has no \"tls\" upper layer protocol "
          "(/proc/sys/net/ipv4/tcp_available_ulp). tandem keeps `ktls off` by default; `ktls on` falls back "
          "to OpenSSL's record layer with a warning where the kernel has none.")
EOF
cat "$OUT/tls.md"
