#!/usr/bin/env python3
"""sd_fdstore.py - stands in for systemd's side of pscon's fd store in
tests/e2e/test_console_restart_sd.sh: a NOTIFY_SOCKET that takes
FDSTORE=1 / FDSTOREREMOVE=1 messages with their fds as systemd does, and
starts the service again with the stored fds as LISTEN_FDS /
LISTEN_FDNAMES (LISTEN_PID set to the new process) after a SIGKILL.

Usage: sd_fdstore.py WORK -- PSCON ARGS...   Commands on stdin, one a
line: "kill" (SIGKILL the service, wait, start it again with the store),
"names" (print the stored names), "stop" (SIGTERM, wait, exit).
Prints "pid N" after each start and "ready" on each READY=1.
"""
import array
import os
import signal
import socket
import subprocess
import sys
import threading

work, argv = sys.argv[1], sys.argv[sys.argv.index("--") + 1:]
path = os.path.join(work, "notify.sock")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
store = {}  # name -> fd
lock = threading.Lock()


def receive():
    while True:
        msg, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(64))
        fds = array.array("i")
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
        fields = dict(l.split("=", 1) for l in msg.decode().split("\n") if "=" in l)
        name = fields.get("FDNAME", "stored")
        with lock:
            if fields.get("FDSTORE") == "1" and fds:
                if name in store:
                    os.close(store[name])
                store[name] = fds[0]
                for extra in fds[1:]:
                    os.close(extra)
            elif fields.get("FDSTOREREMOVE") == "1" and name in store:
                os.close(store.pop(name))
            else:
                for fd in fds:
                    os.close(fd)
        if fields.get("READY") == "1":
            print("ready", flush=True)


def start():
    with lock:
        names = sorted(store)
        fds = [store[n] for n in names]
    env = dict(os.environ, NOTIFY_SOCKET=path)
    if names:
        env["LISTEN_FDS"] = str(len(fds))
        env["LISTEN_FDNAMES"] = ":".join(names)

    def place():  # in the child: the fds at 3.. (systemd's layout)
        tmp = [os.dup(fd) for fd in fds]
        for i, fd in enumerate(tmp):
            os.dup2(fd, 3 + i)
    # LISTEN_PID must name the service: a shell that sets it and execs.
    cmd = ["/bin/sh", "-c", 'LISTEN_PID=$$ exec "$@"', "sh"] + argv
    p = subprocess.Popen(cmd, env=env, preexec_fn=place if fds else None,
                         pass_fds=list(range(3, 3 + len(fds))) if fds else (),
                         stderr=open(os.path.join(work, "svc.log"), "a"))
    print("pid", p.pid, flush=True)
    return p


threading.Thread(target=receive, daemon=True).start()
proc = start()
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "kill":
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc = start()
    elif cmd == "names":
        with lock:
            print("names", " ".join(sorted(store)), flush=True)
    elif cmd == "stop":
        proc.send_signal(signal.SIGTERM)
        proc.wait()
        with lock:
            print("names", " ".join(sorted(store)), flush=True)
        break
