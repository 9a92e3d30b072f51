#!/usr/bin/env python3
"""The pool concurrency test's plan and verdict (tests/e2e/pool_stress.sh).

  pool_stress.py host NAME VMS            a host store's text: VMS VMs with
                                          one NIC each (random UUIDs, MACs)
  pool_stress.py plan WORKERS OPS PROFILES HOSTS VMS SEED DIR
                                          DIR/planN: one op a line
  pool_stress.py verdict DIR              reads DIR/logN (one line per op:
      worker start_ns end_ns rc op profile-or-failed target, then the
      command's output lines prefixed by '> '), DIR/final.json (profile
      list --json), DIR/hosts/*.txt (export of each host):
      every acknowledged move present, no identifier live twice.
"""
import glob
import json
import os
import random
import re
import sys
import uuid


def host(name, vms):
    rnd = random.Random(name)
    out = ["psf 1.0 schema 1 flags 0x00000000;", "root {", "\tvms {"]
    for v in range(1, vms + 1):
        mac = "0a:%02x:%02x:%02x:%02x:%02x" % tuple(rnd.randrange(256) for _ in range(5))
        out += ["\t\tvm {", '\t\t\tname = "vm%d";' % v, "\t\t\tvm-config {",
                "\t\t\t\tuuid = %s;" % uuid.UUID(int=rnd.getrandbits(128), version=4),
                "\t\t\t\tmemory-kib = 262144;", "\t\t\t\tvcpus = 1;", "\t\t\t}",
                "\t\t\tnics {", "\t\t\t\tnic {", '\t\t\t\t\tname = "eth0";',
                "\t\t\t\t\tnic-config {", "\t\t\t\t\t\tmac = %s;" % mac,
                "\t\t\t\t\t}", "\t\t\t\t}", "\t\t\t}", "\t\t}"]
    out += ["\t}", "}"]
    print("\n".join(out))


def plan(workers, ops, profiles, hosts, vms, seed, d):
    rnd = random.Random(seed)
    for w in range(workers):
        with open(os.path.join(d, "plan%d" % w), "w") as f:
            for _ in range(ops):
                p = "p%d" % rnd.randrange(profiles)
                t = "h%d#vm%d" % (rnd.randrange(hosts) + 1, rnd.randrange(vms) + 1)
                u = "h%d#vm%d" % (rnd.randrange(hosts) + 1, rnd.randrange(vms) + 1)
                k = rnd.random()
                if k < 0.25:
                    f.write("assign %s %s\n" % (p, t))
                elif k < 0.7:
                    f.write("move %s %s\n" % (p, t))
                else:
                    f.write("failover %s %s\n" % (u, t))


ACK = re.compile(r"^> profile '([^']+)' (?:assigned to|moved to) (\S+)$")


def verdict(d):
    events, bad = [], []
    starts = {}
    for path in glob.glob(os.path.join(d, "log*")):
        cur = None
        for line in open(path):
            line = line.rstrip("\n")
            if not line.startswith("> "):
                w, s, e, rc, op, a, b = line.split(" ")
                cur = (int(s), int(e), int(rc), op, a, b)
                if op != "failover":
                    starts.setdefault(a, []).append(int(s))
                continue
            m = ACK.match(line)
            if m and cur and cur[2] == 0:
                events.append((cur[1], m.group(1), m.group(2)))
                if cur[3] == "failover":
                    starts.setdefault(m.group(1), []).append(cur[0])
    final = {p["name"]: p for p in json.load(open(os.path.join(d, "final.json")))["items"]}
    last = {}
    for e, p, t in sorted(events):
        last[p] = (e, t)
    acked = len(events)
    for p, (e, t) in last.items():
        f = final.get(p)
        ft = f and f.get("target")
        if ft == t:
            continue
        # A later operation on the profile (begun after this one ended,
        # refused or interrupted) may have taken it on.
        if any(s > e for s in starts.get(p, [])):
            continue
        bad.append("profile %s: acknowledged on %s, the pool has %s" % (p, t, ft))
    # Identifiers live: every VM's UUID and NIC MACs across all hosts
    # (their text form: export).
    seen = {}
    for path in glob.glob(os.path.join(d, "hosts", "*.txt")):
        vm, in_vms = None, False
        for line in open(path):
            # Only the VMs carry identifiers live (profile copies are
            # records of what they carry).
            if line.startswith("\t") and not line.startswith("\t\t"):
                in_vms = line.strip() == "vms {"
            if not in_vms:
                continue
            m = re.match(r'^\t\t\tname = "([^"]*)";', line)
            if m:
                vm = m.group(1)
            m = re.match(r"^\t+(uuid|mac) = ([0-9a-f:-]+);", line)
            if not m:
                continue
            k, v = m.group(1), m.group(2)
            where = "%s#%s" % (os.path.basename(path), vm)
            if (k, v) in seen:
                bad.append("%s %s live twice: %s and %s" % (k, v, seen[(k, v)], where))
            seen[(k, v)] = where
    print("pool stress: %d ops acknowledged, %d profiles checked, %d identifiers on targets, %d problems"
          % (acked, len(last), len(seen), len(bad)))
    for b in bad[:20]:
        print("  " + b)
    return 1 if bad else 0


def main():
    a = sys.argv[1:]
    if a[0] == "host":
        host(a[1], int(a[2]))
    elif a[0] == "plan":
        plan(*(int(x) for x in a[1:7]), a[7])
    elif a[0] == "verdict":
        sys.exit(verdict(a[1]))


if __name__ == "__main__":
    main()
