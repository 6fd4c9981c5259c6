"""Two linked pseudo-terminals for serial tests (like `socat pty pty`, with only Python's standard library).

Prints the two slave paths on one line, then relays bytes between the masters until stdin closes or it is killed.
"""
import os
import pty
import select
import sys
import termios
import tty


def open_raw():
    master, slave = pty.openpty()
    tty.setraw(slave)
    attrs = termios.tcgetattr(slave)
    attrs[3] &= ~termios.ECHO
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    return master, slave, os.ttyname(slave)


def main():
    m1, s1, p1 = open_raw()
    m2, s2, p2 = open_raw()
    sys.stdout.write(f"{p1} {p2}\n")
    sys.stdout.flush()
    peers = {m1: m2, m2: m1}
    stdin = sys.stdin.fileno()
    while True:
        ready, _, _ = select.select([m1, m2, stdin], [], [])
        for fd in ready:
            if fd == stdin:
                if not os.read(stdin, 1024):
                    return
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if data:
                os.write(peers[fd], data)


if __name__ == "__main__":
    main()
