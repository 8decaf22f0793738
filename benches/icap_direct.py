"""Server-side cost of one ICAP REQMOD, without Squid.

Usage: icap_direct.py HOST:PORT SERVICE PIDS N

Sends N REQMOD requests for an allowed URL, one after the other on one
keep-alive connection (`Allow: 204`, no body; a new connection when the
server closes one, as c-icap does after `MaxKeepAliveRequests`), reads each
answer (a 204 or a 200 echo, whose encapsulated head ends the answer), and
prints requests/s, the connections used
and the CPU time (user + system, every thread) that the processes in PIDS
(comma-separated) spent per request. Run by benches/icap_load.sh for
hashwall and for c-icap's echo service.
"""

import os
import socket
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except FileNotFoundError:
            pass
    return total / TICK


def request(host, service):
    http = "GET http://127.0.0.1/page.html HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\n\r\n"
    return (
        f"REQMOD icap://{host}/{service} ICAP/1.0\r\nHost: {host}\r\nAllow: 204\r\n"
        f"Encapsulated: req-hdr=0, null-body={len(http)}\r\n\r\n{http}"
    ).encode()


def read_answer(sock, buf):
    """Reads one ICAP answer; returns (status, rest of the buffer)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    if status == 200:
        # An echo: the encapsulated request head (and no body: null-body).
        while b"\r\n\r\n" not in buf:
            buf += sock.recv(65536)
        buf = buf.split(b"\r\n\r\n", 1)[1]
    return status, buf


class Client:
    """One keep-alive connection at a time; reconnects when the server closes."""

    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.target = (host, int(port))
        self.connections = 0
        self.connect()

    def connect(self):
        self.sock = socket.create_connection(self.target)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.connections += 1

    def exchange(self, req):
        for _ in range(2):
            try:
                self.sock.sendall(req)
                status, self.buf = read_answer(self.sock, self.buf)
                return status
            except (ConnectionError, BrokenPipeError):
                self.sock.close()
                self.connect()
        raise ConnectionError("the server closed a fresh connection")


def main():
    addr, service, pids, n = sys.argv[1], sys.argv[2], sys.argv[3].split(","), int(sys.argv[4])
    client = Client(addr)
    req = request(addr, service)
    for _ in range(200):  # warm up
        client.exchange(req)
    client.connections = 1
    c0, t0 = cpu_seconds(pids), time.perf_counter()
    statuses = {}
    for _ in range(n):
        status = client.exchange(req)
        statuses[status] = statuses.get(status, 0) + 1
    t1, c1 = time.perf_counter(), cpu_seconds(pids)
    answers = ",".join(f"{k}:{v}" for k, v in sorted(statuses.items()))
    print(f"{n / (t1 - t0):.0f} {1e6 * (c1 - c0) / n:.1f} connections:{client.connections} answers:{answers}")


if __name__ == "__main__":
    main()
