#!/usr/bin/env python3
"""Start a command with listening sockets as fd 3 onwards, as systemd does for
a socket unit with ReusePort=yes: each socket has SO_REUSEPORT set, so several
processes started this way can listen on the same port.

Usage: reuseport-activate.py HOST:PORT [HOST:PORT ...] -- COMMAND [ARG ...]
systemd-socket-activate cannot set SO_REUSEPORT, hence this stand-in.
"""
import os
import socket
import sys


def listen(address):
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, int(port)))
    sock.listen(128)
    return sock


def main():
    separator = sys.argv.index("--")
    sockets = [listen(address) for address in sys.argv[1:separator]]
    command = sys.argv[separator + 1:]
    for number, sock in enumerate(sockets, start=3):
        os.dup2(sock.fileno(), number)
        os.set_inheritable(number, True)
    os.environ["LISTEN_FDS"] = str(len(sockets))
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
