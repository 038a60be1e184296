#!/usr/bin/env bash
# tools/demo.sh -- `make demo`: three demo nodes behind tandem, in the foreground until Ctrl-C.
# `make demo LAB=NNN` (LAB in the environment): a lab of the seeds instead, contrib/labs/NNN/,
# started, explained and held by `tandem-chaos --demo NNN` (doc/labs.md); lab 003 in network
# namespaces (root; `tests/netns/lab003.py demo`), or its Part 1 alone with PART=1.
#
# Starts bin/tandem-app nodes A, B and C (ports 9001-9003, or the next free ones), runs bin/tandem
# with contrib/demo.cfg (ports rewritten to the ones actually used) and prints what to try. On exit,
# however it happens, stops the nodes this script started, by PID, and removes its temporary files.
# Environment: BIN (default bin) is where tandem and tandem-app are.
# `make demo` runs this with sh: switch to bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-bin}
CFG_SRC=contrib/demo.cfg

if [ -n "${LAB:-}" ]; then
	labs=$(cd contrib/labs && ls -d [0-9][0-9][0-9] 2>/dev/null | tr '\n' ' ')
	labs=${labs% }
	if [[ ! $LAB =~ ^[0-9]{3}$ ]] || [ ! -d "contrib/labs/$LAB" ]; then
		echo "demo: no lab '$LAB' (there are: ${labs:-none}; see doc/labs.md)" >&2
		exit 2
	fi
	# Lab 003 has two balancers sharing a virtual IP: hosts of their own, i.e. network namespaces
	# the demo creates and removes (tests/netns/lab003.py), which needs root. PART=1 is its first
	# part alone (one balancer, DNS), on loopback like the other labs.
	if [ "$LAB" = 003 ] && [ "${PART:-}" != 1 ]; then
		if [ "$(id -u)" -ne 0 ]; then
			cat >&2 <<-EOT
			demo: lab 003 needs root: its Part 2 (two balancers sharing the virtual IP 172.20.0.100
			demo: with keepalived's VRRP) runs in network namespaces, with a bridge and raw sockets,
			demo: which only root can create. Run:   sudo make demo LAB=003
			demo: Part 1 alone (one balancer over three nginx found by DNS) needs no root:
			demo:                                      make demo LAB=003 PART=1
			EOT
			exit 1
		fi
		[ -x "$BIN/tandem" ] || { echo "demo: $BIN/tandem is missing; run make first" >&2; exit 1; }
		sh tools/deps.sh demo netns
		TANDEM_BIN_DIR=$BIN exec python3 tests/netns/lab003.py demo
	fi
	[ -x "$BIN/tandem-chaos" ] || { echo "demo: $BIN/tandem-chaos is missing; run make first" >&2; exit 1; }
	sh tools/deps.sh demo lab
	exec "$BIN/tandem-chaos" --demo "$LAB" --labs-dir contrib/labs
fi

for b in tandem tandem-app; do
	[ -x "$BIN/$b" ] || { echo "demo: $BIN/$b is missing; run make first" >&2; exit 1; }
done
sh tools/deps.sh demo

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tandem-demo.XXXXXX")
declare -a PIDS=()
cleanup() {
	trap - EXIT INT TERM
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$WORK"
	echo "demo: stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# in_use PORT: true when something accepts connections on 127.0.0.1:PORT.
in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# pick PORT: set PICKED to PORT if it is free, else to the next free port above it that is not
# already chosen. (Sets a variable rather than printing: a $(...) subshell would lose CHOSEN.)
CHOSEN=" "
PICKED=
pick() {
	local p=$1
	while in_use "$p" || [[ $CHOSEN == *" $p "* ]]; do
		p=$((p + 1))
		[ "$p" -lt 65000 ] || { echo "demo: no free port near $1" >&2; exit 1; }
	done
	CHOSEN+="$p "
	PICKED=$p
}
# wait_up URL PID: poll URL until it answers, up to 5 s, while PID lives; return 1 otherwise.
wait_up() {
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$2" 2>/dev/null || return 1
		curl -fs -o /dev/null --max-time 1 "$1" && return 0
		sleep 0.05
	done
	return 1
}

pick 8080; FE=$PICKED
pick 8404; ST=$PICKED
declare -A NODE_PORT=()
sed_args=(-e "s/127\.0\.0\.1:8080\b/127.0.0.1:$FE/" -e "s/127\.0\.0\.1:8404\b/127.0.0.1:$ST/")
port=9001
for n in A B C; do
	pick "$port"; NODE_PORT[$n]=$PICKED
	sed_args+=(-e "s/127\.0\.0\.1:$port\b/127.0.0.1:${NODE_PORT[$n]}/")
	port=$((port + 1))
done
CFG="$WORK/demo.cfg"
sed "${sed_args[@]}" "$CFG_SRC" >"$CFG"

for n in A B C; do
	"$BIN/tandem-app" --name "$n" --listen "127.0.0.1:${NODE_PORT[$n]}" --quiet \
		>"$WORK/node-$n.log" 2>&1 &
	PIDS+=($!)
	if ! wait_up "http://127.0.0.1:${NODE_PORT[$n]}/health" "$!"; then
		echo "demo: node $n did not start:" >&2
		cat "$WORK/node-$n.log" >&2
		exit 1
	fi
done

NOTE=""
if ! "$BIN/tandem" -c -f "$CFG" >"$WORK/check.log" 2>&1; then
	echo "demo: tandem rejected the demo config:" >&2
	cat "$WORK/check.log" >&2
	exit 1
fi

A=${NODE_PORT[A]} B=${NODE_PORT[B]} C=${NODE_PORT[C]}
cat <<EOT

  tandem demo
  -----------
  load balancer   http://127.0.0.1:$FE/     (round-robin over A, B, C)
  stats page      http://127.0.0.1:$ST/
  nodes           A http://127.0.0.1:$A/  B http://127.0.0.1:$B/  C http://127.0.0.1:$C/
  config          $CFG (from $CFG_SRC)
$NOTE

  Try, in another terminal:
    for i in 1 2 3 4 5 6; do curl -s http://127.0.0.1:$FE/; echo; done
    curl -s -X POST --data 'hello' http://127.0.0.1:$FE/write; echo
    curl -s http://127.0.0.1:$FE/read; echo

  Break node B and watch the stats page, then heal it:
    curl -s 'http://127.0.0.1:$B/admin/fault?mode=zombie'           # /health fails: B goes DOWN
    curl -s 'http://127.0.0.1:$B/admin/fault?mode=error500'         # every request gets a 500
    curl -s 'http://127.0.0.1:$B/admin/fault?mode=slow&ms=2000'     # answers 2 s late
    curl -s 'http://127.0.0.1:$B/admin/fault?mode=reset'            # connections are reset
    curl -s 'http://127.0.0.1:$B/admin/fault?mode=hang'             # accepts, never answers
    curl -s 'http://127.0.0.1:$B/admin/fault?mode=off'              # back to normal
  (doc/tandem-app.md lists every fault mode.)

  Access log follows. Ctrl-C stops tandem and the nodes.

EOT

set +e
"$BIN/tandem" -f "$CFG"
rc=$?
set -e
# Ctrl-C (130) or SIGTERM (143) is the normal way out of the demo.
case $rc in 0 | 130 | 143) exit 0 ;; *) echo "demo: tandem exited with status $rc" >&2; exit "$rc" ;; esac
