#!/usr/bin/env python3
"""The pool concurrency test's plan and verdict (tests/e2e/pool_stress.sh).

  pool_stress.py host NAME VMS            a host store's text: VMS VMs with
                                          one NIC each (random UUIDs, MACs)
  pool_stress.py plan WORKERS OPS PROFILES HOSTS VMS SEED DIR
                                          DIR/planN: one op a line
  pool_stress.py verdict DIR              reads DIR/logN (one line per op:
      worker start_ns end_ns rc op profile-or-failed target, then the
      command's output lines prefixed by '> '), DIR/cleanup (the moves
      finished after the workers, the same form), DIR/final.json (profile
      list --json), DIR/hosts/*.txt (export of each host):
      every acknowledged move present unless a later acknowledged or
      completed operation superseded it (settled()), no identifier live
      twice.
  pool_stress.py selftest                 the verdict on made-up runs
                                          (SELFTEST): the cases it must
                                          accept and refuse
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
NAMED = re.compile(r"profile '([^']+)'")


class Op:
    """One psctl command of the run: a worker's, or the cleanup's."""

    def __init__(self, line, who):
        w, s, e, rc, op, a, b = line.split(" ")
        self.who, self.s, self.e, self.rc = who, int(s), int(e), int(rc)
        self.op, self.a, self.b = op, a, (None if b == "-" else b)
        self.out = []
        self.acked = None       # (profile, target) it acknowledged

    def profiles(self):
        """The profiles it may have moved: a move's own; a failover's, by
        its acknowledgement or, when it failed, by the names its output
        gives (None: it names none, so any)."""
        if self.op != "failover":
            return {self.a}
        if self.acked:
            return {self.acked[0]}
        named = {m.group(1) for o in self.out for m in NAMED.finditer(o)}
        return named or None

    def wrote_nothing(self):
        """A refusal that says so: it committed nothing."""
        return any("nothing written" in o or "nothing changed" in o for o in self.out)

    def text(self):
        return "%s %d..%d rc %d %s %s %s%s" % (
            self.who, self.s, self.e, self.rc, self.op, self.a, self.b or "-",
            "".join("\n      " + o for o in self.out[:3]))


def read_ops(path, who):
    ops = []
    for line in open(path):
        line = line.rstrip("\n")
        if not line.startswith("> "):
            ops.append(Op(line, who))
            continue
        if not ops:
            continue
        cur = ops[-1]
        cur.out.append(line[2:])
        m = ACK.match(line)
        if m and cur.rc == 0:
            cur.acked = (m.group(1), m.group(2))
    return ops


def settled(p, ft, ops, cleanup):
    """Whether the pool's target ft for profile p is the one its
    operations leave.  The rule: every acknowledged move is present
    unless a later acknowledged or completed operation superseded it.

    - A move the cleanup finished (the profile was in transit after the
      workers) is the last operation on p: the transit was begun after
      every acknowledged operation's last commit (a commit that settles
      a profile ends its transit), so it supersedes them all.
    - Otherwise the last acknowledged operation is one that no other
      acknowledged operation on p began after the end of (two that
      overlap in time may have committed in either order).
    - An unacknowledged operation superseded them when it may have
      completed after they began (a request that failed after its last
      commit reached etcd): it could move p, its target is ft, it does
      not say it wrote nothing, and it ended after the first of them
      began.
    Returns None when settled, else what is wrong."""
    fin = [o for o in cleanup if o.a == p]
    if fin:
        o = fin[-1]
        if o.rc != 0:
            return "profile %s: the cleanup's %s failed: %s" % (p, o.op, " ".join(o.out))
        return None if ft == o.b else \
            "profile %s: the cleanup finished its move to %s, the pool has %s" % (p, o.b, ft)
    acked = [o for o in ops if o.acked and o.acked[0] == p]
    if not acked:
        return None
    last = [o for o in acked if not any(y.s > o.e for y in acked)]
    if any(o.acked[1] == ft for o in last):
        return None
    begun = min(o.s for o in last)
    for o in ops:
        if o.rc != 0 and o.b == ft and o.e > begun and not o.wrote_nothing() and \
                (o.profiles() is None or p in o.profiles()):
            return None
    return "profile %s: acknowledged on %s, the pool has %s" % (
        p, " or ".join(sorted({o.acked[1] for o in last})), ft)


def verdict(d):
    bad, ops = [], []
    for path in sorted(glob.glob(os.path.join(d, "log*"))):
        ops += read_ops(path, os.path.basename(path))
    cp = os.path.join(d, "cleanup")
    cleanup = read_ops(cp, "cleanup") if os.path.exists(cp) else []
    final = {p["name"]: p for p in json.load(open(os.path.join(d, "final.json")))["items"]}
    acked = sum(1 for o in ops if o.acked)
    names = {o.acked[0] for o in ops if o.acked} | {o.a for o in cleanup}
    for p in sorted(names):
        f = final.get(p)
        why = settled(p, f and f.get("target"), ops, cleanup)
        if why:
            # The profile's history, for whoever reads the failure.
            bad.append(why + "".join(
                "\n    " + o.text() for o in sorted(ops + cleanup, key=lambda o: o.s)
                if o.profiles() is None or p in o.profiles()))
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
    print("pool stress: %d ops acknowledged, %d finished by the cleanup, %d profiles checked, "
          "%d identifiers on targets, %d problems"
          % (acked, sum(1 for o in cleanup if o.rc == 0), len(names), len(seen), len(bad)))
    for b in bad[:20]:
        print("  " + b)
    return 1 if bad else 0


# The checker's own cases: (name, logs, cleanup, final targets, problems).
# A log line: worker start end rc op a b, then "> " output lines.
SELFTEST = [
    ("an unacknowledged failover the cleanup finished",
     {"log0": ["0 100 200 0 assign p1 h1#vm2", "> profile 'p1' assigned to h1#vm2"],
      "log1": ["1 300 400 4 failover h1#vm2 h3#vm8",
               "> psctl: profile failover: image:/x/h3.img#vm8: timed out"]},
     ["cleanup 500 600 0 move p1 h3#vm8"], {"p1": "h3#vm8"}, 0),
    ("an acknowledged move lost",
     {"log0": ["0 100 200 0 assign p1 h1#vm2", "> profile 'p1' assigned to h1#vm2"]},
     [], {"p1": "h2#vm5"}, 1),
    ("two acknowledged moves that overlap: either may be the last",
     {"log0": ["0 100 300 0 move p1 h1#vm1", "> profile 'p1' moved to h1#vm1"],
      "log1": ["1 150 250 0 move p1 h2#vm2", "> profile 'p1' moved to h2#vm2"]},
     [], {"p1": "h2#vm2"}, 0),
    ("an acknowledged move after another one ended is the last",
     {"log0": ["0 100 200 0 move p1 h1#vm1", "> profile 'p1' moved to h1#vm1"],
      "log1": ["1 250 300 0 move p1 h2#vm2", "> profile 'p1' moved to h2#vm2"]},
     [], {"p1": "h1#vm1"}, 1),
    ("a later refusal that wrote nothing supersedes nothing",
     {"log0": ["0 100 200 0 assign p1 h1#vm1", "> profile 'p1' assigned to h1#vm1"],
      "log1": ["1 300 400 4 move p1 h2#vm2",
               "> psctl: profile move: profile 'p1': another operator is moving it; nothing written"]},
     [], {"p1": "h2#vm2"}, 1),
    ("a failed request that may have committed after the acknowledgement",
     {"log0": ["0 100 200 0 assign p1 h1#vm1", "> profile 'p1' assigned to h1#vm1"],
      "log1": ["1 150 400 1 move p1 h2#vm2", "> psctl: profile move: the pool: timed out"]},
     [], {"p1": "h2#vm2"}, 0),
    ("a cleanup that failed",
     {"log0": ["0 100 200 0 assign p1 h1#vm2", "> profile 'p1' assigned to h1#vm2"]},
     ["cleanup 500 600 4 move p1 h3#vm8", "> psctl: profile move: h3#vm8 already carries profile 'p2'"],
     {"p1": "h3#vm8"}, 1),
]


def selftest():
    import io
    import shutil
    import tempfile
    bad = 0
    for name, logs, cleanup, final, want in SELFTEST:
        d = tempfile.mkdtemp()
        try:
            for f, lines in logs.items():
                with open(os.path.join(d, f), "w") as o:
                    o.write("\n".join(lines) + "\n")
            if cleanup:
                with open(os.path.join(d, "cleanup"), "w") as o:
                    o.write("\n".join(cleanup) + "\n")
            with open(os.path.join(d, "final.json"), "w") as o:
                json.dump({"items": [{"name": p, "target": t} for p, t in final.items()]}, o)
            out, old = io.StringIO(), sys.stdout
            sys.stdout = out
            try:
                verdict(d)
            finally:
                sys.stdout = old
            got = int(re.search(r"(\d+) problems", out.getvalue()).group(1))
            if got != want:
                bad += 1
                print("pool stress checker: %s: %d problems, want %d\n%s"
                      % (name, got, want, out.getvalue()))
        finally:
            shutil.rmtree(d)
    print("pool stress checker: %d of %d cases right" % (len(SELFTEST) - bad, len(SELFTEST)))
    return 1 if bad else 0


def main():
    a = sys.argv[1:]
    if a[0] == "host":
        host(a[1], int(a[2]))
    elif a[0] == "plan":
        plan(*(int(x) for x in a[1:7]), a[7])
    elif a[0] == "verdict":
        sys.exit(verdict(a[1]))
    elif a[0] == "selftest":
        sys.exit(selftest())


if __name__ == "__main__":
    main()
