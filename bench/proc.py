#!/usr/bin/env python3
"""Process-tree measurements for bench/run.sh (Linux /proc only, standard library only).

  proc.py cpu PID     print CPU time (user + system) of PID and all its descendants, in microseconds
  proc.py rss PID     print the summed VmRSS of PID and all its descendants, in kB
  proc.py pids PID    print PID and all its descendants (processes, not threads)
  proc.py ports N     print N distinct TCP ports that were free on 127.0.0.1 a moment ago

A process's /proc/PID/stat times already include all of its threads (live and exited), so summing
over the process tree counts every thread of a master/worker proxy. Times of children that exited
and were reaped are not counted; the proxies measured here do not fork during a run.
"""
import os
import socket
import sys

TICK_US = 1_000_000 // os.sysconf("SC_CLK_TCK")


def stat_fields(pid):
    """Return the /proc/PID/stat fields after the command name (index 0 = state), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode("ascii", "replace")
    except OSError:
        return None
    return raw[raw.rfind(")") + 2:].split()


def tree(root):
    """Return root and every descendant pid, found through each process's parent pid."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            f = stat_fields(name)
            if f:
                children.setdefault(int(f[1]), []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def cpu_us(root):
    total = 0
    for pid in tree(root):
        f = stat_fields(pid)
        if f:
            total += (int(f[11]) + int(f[12])) * TICK_US  # utime, stime (fields 14 and 15)
    return total


def rss_kb(root):
    total = 0
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):  # hold all sockets until the end so the kernel hands out distinct ports
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def main(argv):
    if len(argv) != 3 or argv[1] not in ("cpu", "rss", "pids", "ports"):
        sys.exit(__doc__)
    arg = int(argv[2])
    if argv[1] == "cpu":
        print(cpu_us(arg))
    elif argv[1] == "rss":
        print(rss_kb(arg))
    elif argv[1] == "pids":
        print(" ".join(map(str, tree(arg))))
    else:
        print(" ".join(map(str, free_ports(arg))))


if __name__ == "__main__":
    main(sys.argv)
