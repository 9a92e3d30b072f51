#!/usr/bin/env python3
"""setup_drive.py - drive pstate-setup.efi over QEMU's serial console.

Usage: setup_drive.py SCRIPT -- QEMU-COMMAND...

Starts QEMU (its serial console on stdio), then runs SCRIPT, one step a
line:
    expect TEXT       wait (up to $SETUP_TIMEOUT s, default 120) for TEXT
                      in the console output since the last expect
    send TEXT         type TEXT and Enter
    kill-after-ms N   SIGKILL QEMU N ms from now (a power cut)
    wait-exit         wait for QEMU to end
    kill              end QEMU now
The console output (ANSI escapes removed) goes to $SETUP_LOG when set.
Exit 0 when every step passed, 1 with the step and the screen otherwise.
"""
import os
import re
import select
import signal
import subprocess
import sys
import time

ANSI = re.compile(rb'\x1b\[[0-9;?=]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]')


def main():
    sep = sys.argv.index('--')
    script = open(sys.argv[1]).read().splitlines()
    cmd = sys.argv[sep + 1:]
    timeout = float(os.environ.get('SETUP_TIMEOUT', '120'))
    log = open(os.environ['SETUP_LOG'], 'ab') if 'SETUP_LOG' in os.environ else None
    q = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    seen = b''      # output not yet consumed by an expect
    kill_at = None
    carry = b''

    def pump(until):
        nonlocal seen, kill_at, carry
        while True:
            now = time.monotonic()
            if kill_at is not None and now >= kill_at:
                q.send_signal(signal.SIGKILL)
                kill_at = None
            wait = max(0.0, min(until - now, 0.05))
            r, _, _ = select.select([q.stdout], [], [], wait)
            if r:
                data = os.read(q.stdout.fileno(), 65536)
                if not data:
                    return False
                # An escape sequence split across two reads waits for
                # the rest before the escapes are removed.
                data = carry + data
                cut = data.rfind(b'\x1b')
                carry = b''
                if cut >= 0 and len(data) - cut < 16 and \
                        not ANSI.match(data, cut):
                    data, carry = data[:cut], data[cut:]
                data = ANSI.sub(b'', data).replace(b'\r', b'')
                seen += data
                if log:
                    log.write(data)
                    log.flush()
                return True
            if time.monotonic() >= until:
                return True

    def fail(msg):
        sys.stderr.write('setup_drive: %s\n--- screen ---\n%s\n' %
                         (msg, seen[-3000:].decode('latin-1')))
        if q.poll() is None:
            q.kill()
        sys.exit(1)

    for step in script:
        if not step.strip() or step.startswith('#'):
            continue
        verb, _, arg = step.partition(' ')
        if verb == 'expect':
            end = time.monotonic() + timeout
            want = arg.encode()
            while want not in seen:
                if time.monotonic() >= end:
                    fail('timed out waiting for %r' % arg)
                if not pump(end) and want not in seen:
                    fail('QEMU ended before %r' % arg)
            seen = seen[seen.index(want) + len(want):]
        elif verb == 'send':
            # One key at a time: the firmware's serial terminal reads a
            # small FIFO, so a burst could drop keys.
            for ch in arg.encode() + b'\r':
                q.stdin.write(bytes([ch]))
                q.stdin.flush()
                pump(time.monotonic() + 0.02)
        elif verb == 'kill-after-ms':
            kill_at = time.monotonic() + int(arg) / 1000.0
        elif verb == 'kill':
            q.kill()
            q.wait()
        elif verb == 'wait-exit':
            end = time.monotonic() + timeout
            while q.poll() is None and time.monotonic() < end:
                pump(end)
            if q.poll() is None:
                fail('QEMU still running')
        else:
            fail('bad step %r' % step)
    if q.poll() is None:
        q.kill()
        q.wait()
    return 0


if __name__ == '__main__':
    sys.exit(main())
