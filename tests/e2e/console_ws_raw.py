#!/usr/bin/env python3
"""console_ws_raw.py PORT COOKIE TARGET [stuck GO_FILE | show SECONDS] - hostile WebSocket frames at a
pscon console (for tests/e2e/test_console_web.sh): a length of 2^62, a
reserved opcode, a text frame that is not UTF-8, a
20,000-byte message.  Each must end with the service closing the
connection (a close frame or the end of the stream) within 5 s.  Prints
"ok NAME" or "not ok NAME: why" per case.
With "stuck GO_FILE": a browser that stops reading.  Attaches as a spy,
prints "attached", reads nothing until GO_FILE exists (the guest floods
meanwhile), then reads for 5 s and prints "skip N" for each skip message
(N bytes not sent) and "binary B" for the output bytes it got.
With "show SECONDS": attaches, reads for that long (or until the service
closes), prints "attached", each text message as "text JSON", then
"output " and the output bytes (non-ASCII as '?'), and "closed" when the
service ended the connection."""
import base64
import os
import socket
import ssl
import struct
import sys
import time

port, cookie, target = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def connect(rcvbuf=0):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:   # a small window: the service sees a slow reader soon
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    raw.connect(("127.0.0.1", port))
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /ws/console/{target} HTTP/1.1\r\n"
               f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Protocol: pscon-console\r\n"
               f"Cookie: pscon_session={cookie}\r\n\r\n").encode())
    s.settimeout(5)
    head = b""
    while b"\r\n\r\n" not in head:
        d = s.recv(4096)
        if not d:
            break
        head += d
    return s, head


def frame(op, payload, length=None, fin=True):
    n = len(payload) if length is None else length
    h = bytes([(0x80 if fin else 0) | op])
    if n < 126:
        h += bytes([0x80 | n])
    elif n < 65536:
        h += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        h += bytes([0x80 | 127]) + struct.pack(">Q", n)
    m = os.urandom(4)
    return h + m + bytes(b ^ m[i % 4] for i, b in enumerate(payload))


def closed(s):
    """True when the service ends the connection within 5 s."""
    end = time.time() + 5
    buf = b""
    try:
        while time.time() < end:
            d = s.recv(65536)
            if not d:
                return True
            buf += d
            if b"\x88" in buf:   # a close frame (opcode 8, FIN)
                return True
    except (socket.timeout, ssl.SSLError, OSError):
        return False
    return False


def frames(buf):
    """(opcode, payload) of the complete server frames in buf, and the rest."""
    out = []
    while len(buf) >= 2:
        n, at = buf[1] & 0x7f, 2
        if n == 126:
            if len(buf) < 4:
                break
            n, at = struct.unpack(">H", buf[2:4])[0], 4
        elif n == 127:
            if len(buf) < 10:
                break
            n, at = struct.unpack(">Q", buf[2:10])[0], 10
        if len(buf) < at + n:
            break
        out.append((buf[0] & 0x0f, buf[at:at + n]))
        buf = buf[at + n:]
    return out, buf


if len(sys.argv) > 5 and sys.argv[4] == "stuck":
    s, head = connect(16384)
    print("attached" if b" 101 " in head else "no upgrade", flush=True)
    while not os.path.exists(sys.argv[5]):
        time.sleep(0.1)
    buf, binary, end = head.split(b"\r\n\r\n", 1)[1], 0, time.time() + 5
    s.settimeout(0.5)
    while time.time() < end:
        try:
            d = s.recv(1 << 20)
        except (socket.timeout, ssl.SSLError):
            continue
        if not d:
            break
        fs, buf = frames(buf + d)
        for op, p in fs:
            if op == 2:
                binary += len(p)
            elif op == 1 and b'"skip"' in p:
                print("skip", p.split(b'"count":')[1].rstrip(b"}").decode())
    print("binary", binary)
    sys.exit(0)

if len(sys.argv) > 5 and sys.argv[4] == "show":
    s, head = connect()
    print("attached" if b" 101 " in head else "no upgrade", flush=True)
    buf, out, end = head.split(b"\r\n\r\n", 1)[1], b"", \
        time.time() + float(sys.argv[5])
    s.settimeout(0.2)
    gone = False
    while time.time() < end and not gone:
        try:
            d = s.recv(1 << 16)
        except (socket.timeout, ssl.SSLError):
            continue
        except OSError:
            d = b""
        gone = not d
        fs, buf = frames(buf + d)
        for op, p in fs:
            if op == 2:
                out += p
            elif op == 1:
                print("text", p.decode(errors="replace"), flush=True)
            elif op == 8:
                gone = True
    print("output", "".join(chr(b) if 32 <= b < 127 else "?" for b in out))
    if gone:
        print("closed")
    sys.exit(0)

cases = [
    ("a frame claiming 2^62 bytes", frame(2, b"abc", length=1 << 62)),
    ("a reserved opcode", frame(5, b"abc")),
    ("a text frame that is not UTF-8", frame(1, b"\xff\xfe")),
    ("a message of 20,000 bytes in fragments",
     frame(2, b"x" * 10000, fin=False) + frame(0, b"x" * 10000)),
]

def flood_unread(s):
    """Bad messages without reading the answers: cut off (or the
    connection ends) before 400,000 of them (44 MB of answers) are sent."""
    blob = b"".join(frame(1, b"{}") for _ in range(10000))
    s.settimeout(10)
    try:
        for _ in range(40):
            s.sendall(blob)
    except (OSError, ssl.SSLError, socket.timeout):
        return True
    return closed(s)


for name, data in cases + [("bad messages sent without reading the answers",
                            None)]:
    s, head = connect(16384)
    if b" 101 " not in head.split(b"\r\n")[0]:
        print(f"not ok ws: {name}: no upgrade: {head[:80]!r}")
        continue
    if data is None:
        ok = flood_unread(s)
    else:
        s.sendall(data)
        ok = closed(s)
    if ok:
        print(f"ok ws: {name}: the service closed the connection")
    else:
        print(f"not ok ws: {name}: still open after 5 s")
    s.close()
