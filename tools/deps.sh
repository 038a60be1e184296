#!/bin/sh
# tools/deps.sh [build|test|bench|demo]...  -- make sure the Debian packages a use needs are present.
#
# Contract: for each named use (default: build) check every needed tool or file; if all are there,
# print nothing and exit 0 (so callers may run this every time). Otherwise run `apt-get update`
# once and `apt-get install` only the missing packages, non-interactively, as root or through sudo.
# Exit non-zero (with apt's log) when something cannot be installed.
#
# Uses: build = gcc make libssl-dev (OpenSSL 3: TLS) libhiredis-dev (tandem-app's Redis client)
# libc-ares-dev (DNS discovery) libpcre2-dev libcrypt-dev (the rules language: regular
# expressions, userlist passwords);
# test = build + python3 curl clang, libFuzzer runtime, haproxy, nginx (the comparison tests run
# them), keepalived, bird2 and iproute2 (the VRRP and anycast tests in network namespaces),
# prometheus (promtool and a real scrape of /metrics), chromium, nodejs and npm (the dashboard
# test), socat, tmux and hatop (the runtime API tests drive hatop in tmux), redis-server
# (tandem-app's dependency in its tests and the labs), dnsmasq (DNS discovery tests), openssl and
# testssl.sh (the TLS tests), mariadb-server, postgresql, exim4-daemon-light and slapd (the servers
# the protocol health checks are tested against);
# bench = build + wrk haproxy nginx python3 curl openssl valgrind (callgrind: instructions per
# request) strace (system calls per request); demo = build + curl;
# lab = demo + redis-server socat dnsmasq (`make demo LAB=NNN`: Redis of the labs, `show stat`
# commands, lab 003's DNS server); netns = demo + iproute2 python3 nginx dnsmasq socat (lab 003 in
# network namespaces: `make demo LAB=003` as root).
# Packages installed only as tools (haproxy, nginx, keepalived, bird2, prometheus) are not started:
# a temporary policy-rc.d tells the package scripts to leave their services alone, as in container
# images.
set -eu

missing=""
add() { # add PACKAGE: queue a package once
	case " $missing " in *" $1 "*) ;; *) missing="$missing $1" ;; esac
}
need_cmd() { # need_cmd COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 || add "$2"
}
need_file() { # need_file PATH PACKAGE (headers of -dev packages)
	[ -e "$1" ] || add "$2"
}
need_glob() { # need_glob PATTERN PACKAGE (a versioned path, e.g. PostgreSQL's)
	for f in $1; do [ -e "$f" ] && return; done
	add "$2"
}

# The libFuzzer runtime ships apart from clang on Debian (bookworm: libclang-rt-14-dev; older
# releases: libclang-common-N-dev). Ask clang where its runtime lives rather than guess a version.
need_fuzzer() {
	if ! command -v clang >/dev/null 2>&1; then
		add clang; add libclang-rt-dev; return
	fi
	dir=$(clang -print-resource-dir 2>/dev/null || true)
	if [ -n "$dir" ] && [ -e "$dir/lib/linux/libclang_rt.fuzzer-$(uname -m).a" ]; then
		return
	fi
	ver=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n 1)
	add "fuzzer-runtime:$ver" # resolved after apt-get update, when apt-cache knows the names
}

# PCRE2 (regular expressions, JIT) and libcrypt (crypt(3) for userlist passwords).
use_build() {
	need_cmd gcc gcc; need_cmd make make; need_cmd cc gcc
	need_file /usr/include/pcre2.h libpcre2-dev
	need_file /usr/include/crypt.h libcrypt-dev
	need_file /usr/include/openssl/ssl.h libssl-dev         # OpenSSL 3: TLS (-lssl -lcrypto)
	need_file /usr/include/hiredis/async.h libhiredis-dev   # tandem-app links -lhiredis
	need_file /usr/include/ares.h libc-ares-dev   # DNS service discovery (src/dns/)
}
use_test() {
	use_build
	need_cmd python3 python3; need_cmd curl curl
	need_fuzzer
	need_cmd haproxy haproxy; need_cmd nginx nginx
	need_cmd keepalived keepalived; need_cmd ip iproute2
	need_cmd bird bird2; need_cmd birdc bird2   # the anycast tests (tests/netns/test_bgp.py)
	need_cmd promtool prometheus; need_cmd prometheus prometheus
	need_cmd chromium chromium; need_cmd node nodejs; need_cmd npm npm
	need_cmd socat socat; need_cmd tmux tmux; need_cmd hatop hatop   # runtime API tests (test_admin.py)
	need_cmd redis-server redis-server   # tandem-app's Redis (test_app*.py, test_labs.py)
	need_cmd dnsmasq dnsmasq-base   # the DNS server of the discovery tests (test_dns*.py)
	need_cmd openssl openssl                     # test_tls*.py: certificates made at test time, s_client
	need_cmd testssl testssl.sh                  # test_tls_scan.py: no finding rated high or critical
	# the real servers the protocol health checks check (test_checks_proto.py)
	need_cmd mariadbd mariadb-server; need_cmd mariadb-install-db mariadb-server; need_cmd mariadb mariadb-client
	need_glob '/usr/lib/postgresql/*/bin/postgres' postgresql
	need_cmd exim4 exim4-daemon-light; need_cmd slapd slapd
	need_cmd setpriv util-linux
}
use_bench() {
	use_build
	need_cmd wrk wrk; need_cmd haproxy haproxy; need_cmd nginx nginx
	need_cmd python3 python3; need_cmd curl curl; need_cmd prlimit util-linux
	need_cmd openssl openssl   # bench/tls.sh: certificates
	need_cmd valgrind valgrind; need_cmd strace strace
}
use_demo() { use_build; need_cmd curl curl; }
use_lab() { use_demo; need_cmd redis-server redis-server; need_cmd socat socat; need_cmd dnsmasq dnsmasq-base; }
use_netns() {
	use_demo; need_cmd ip iproute2; need_cmd python3 python3; need_cmd nginx nginx
	need_cmd dnsmasq dnsmasq-base; need_cmd socat socat
}

# nginx and haproxy install to /usr/sbin, which a non-root PATH may lack.
PATH="$PATH:/usr/sbin:/sbin"
[ $# -gt 0 ] || set -- build
for use in "$@"; do
	case "$use" in
	build | test | bench | demo | lab | netns) "use_$use" ;;
	*) echo "usage: $0 [build|test|bench|demo|lab|netns]..." >&2; exit 2 ;;
	esac
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: missing packages:$missing; run as root or install sudo" >&2
	exit 1
fi

log=$(mktemp "${TMPDIR:-/tmp}/tandem-deps.XXXXXX")
policy=/usr/sbin/policy-rc.d
made_policy=0
cleanup() {
	[ "$made_policy" = 0 ] || $SUDO rm -f "$policy"
	rm -f "$log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

apt() { # apt ARGS...: run apt-get quietly; on failure show its log and stop
	if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -y -q \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >>"$log" 2>&1; then
		cat "$log" >&2
		echo "deps: apt-get $* failed" >&2
		exit 1
	fi
}

echo "deps: installing:$missing" >&2
apt update

# Resolve the fuzzer runtime to the package this release really has for that clang version.
pkgs=""
for p in $missing; do
	case "$p" in
	fuzzer-runtime:*)
		ver=${p#fuzzer-runtime:}
		p=""
		for cand in "libclang-rt-$ver-dev" "libclang-common-$ver-dev" libclang-rt-dev; do
			if apt-cache show "$cand" >/dev/null 2>&1; then p=$cand; break; fi
		done
		[ -n "$p" ] || { echo "deps: no libFuzzer runtime package for clang $ver" >&2; exit 1; }
		;;
	esac
	pkgs="$pkgs $p"
done

if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	made_policy=1
fi
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt install --no-install-recommends $pkgs
echo "deps: done" >&2
