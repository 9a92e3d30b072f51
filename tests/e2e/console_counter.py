#!/usr/bin/env python3
"""console_counter.py SOCKET LINES MS SENT IN GO [STEP] - a guest on a
pscon port for a terminal: once the file GO exists, "counter NNNNNN\\r\\n"
every MS ms, LINES of them (a copy of each appended to SENT), then stays
connected; what the port sends it is appended to IN.  With STEP, it
holds after each STEP lines until the file GO.K exists (K = 1, 2, ...):
a test's events then fall inside the stream however slow the machine."""
import os
import select
import sys
import time

from console_dial import dial

path, lines, ms, sent, inp, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
step = int(sys.argv[7]) if len(sys.argv) > 7 else 0
s = dial(path, "console_counter")
while not os.path.exists(go):
    time.sleep(0.02)
n, due = 0, time.monotonic()
with open(sent, "ab", buffering=0) as so, open(inp, "ab", buffering=0) as io:
    while True:
        held = (step and 0 < n < lines and n % step == 0 and
                not os.path.exists("%s.%d" % (go, n // step)))
        if held:
            due = time.monotonic()  # released: on at the pace, no burst
        wait = 0.02 if held else max(0.0, due - time.monotonic()) if n < lines else None
        r, _, _ = select.select([s], [], [], wait)
        if r:
            b = s.recv(4096)
            if not b:
                break
            io.write(b)
        if n < lines and not held and time.monotonic() >= due:
            line = b"counter %06d\r\n" % n
            s.sendall(line)
            so.write(line)
            n += 1
            due += ms / 1000.0
