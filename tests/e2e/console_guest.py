#!/usr/bin/env python3
"""console_guest.py SOCKET BANNER INPUT_LOG - stands in for a guest on a
pscon port: connects to the port's socket, writes BANNER, then echoes what
it is sent (as a tty would), appends it to INPUT_LOG, and answers each
line: "reply: LINE", or a kernel panic message for the line "panic"."""
import sys

from console_dial import dial

path, banner, log = sys.argv[1], sys.argv[2], sys.argv[3]
s = dial(path, "console_guest")
s.sendall(banner.encode() + b"\r\n")
line = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    with open(log, "ab") as f:
        f.write(b)
    for c in b:
        ch = bytes([c])
        if ch in (b"\r", b"\n"):
            if line == b"panic":
                out = b"\r\nKernel panic - not syncing: test fault\r\n"
            else:
                out = b"\r\nreply: " + line + b"\r\n"
            s.sendall(out)
            line = b""
        else:
            s.sendall(ch)
            line += ch
