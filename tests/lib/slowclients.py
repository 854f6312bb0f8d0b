"""Slow clients for connection tests and benchmarks (tests/api, bench/conn).

Drippers opens sockets to a server and sends a request header one byte at
a time, every `every` seconds, on one thread, the way a slowloris client
holds connections; it records what each socket received and whether the
server closed it.
"""

import selectors
import socket
import threading
import time

HEADER = b"GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Slow: " + b"a" * 10000


class Drippers:
    def __init__(self, port, n, sources, every=1.0, per_source=None):
        """n sockets to 127.0.0.1:port, bound to the addresses in sources
        (per_source on each in turn; all on the first when None)."""
        self.socks = []
        for i in range(n):
            src = sources[i // per_source] if per_source else sources[0]
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((src, 0))
            s.settimeout(10)
            s.connect(("127.0.0.1", port))
            s.setblocking(False)
            self.socks.append(s)
        self.got = [b""] * n
        self.closed = [False] * n
        self.every = every
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def n_closed(self):
        return sum(self.closed)

    def _run(self):
        sel = selectors.DefaultSelector()
        for i, s in enumerate(self.socks):
            sel.register(s, selectors.EVENT_READ, i)
        pos, next_send = 0, 0.0
        while not self.stop and not all(self.closed):
            for key, _ in sel.select(timeout=0.05):
                i = key.data
                try:
                    d = self.socks[i].recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    d = b""
                if d:
                    self.got[i] += d
                else:
                    self.closed[i] = True
                    sel.unregister(self.socks[i])
            if time.monotonic() >= next_send:
                for i, s in enumerate(self.socks):
                    if not self.closed[i]:
                        try:
                            s.send(HEADER[pos:pos + 1])
                        except OSError:
                            pass
                pos = (pos + 1) % len(HEADER)
                next_send = time.monotonic() + self.every

    def close(self):
        self.stop = True
        self.thread.join(10)
        for s in self.socks:
            s.close()
