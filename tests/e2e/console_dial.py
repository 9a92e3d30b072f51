"""console_dial.py - shared by the guest stand-ins of the console tests
(console_guest.py, console_counter.py): connect to a pscon port's socket
as its guest, waiting up to 10 s for the service to make it."""
import socket
import sys
import time


def dial(path, who):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    for _ in range(100):
        try:
            s.connect(path)
            return s
        except OSError:
            time.sleep(0.1)
    sys.exit(who + ": cannot connect to " + path)
