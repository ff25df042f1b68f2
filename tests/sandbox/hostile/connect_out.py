# Hostile submission: tries to reach a server the test listens on at 127.0.0.1 and the broker's,
# database's and web server's usual ports. Loopback only, on purpose: if the sandbox were broken,
# this test must still never send traffic off the machine.
# answer: 42
import socket

PORTS = list(range(47011, 47021)) + [6379, 6390, 5432, 8000]
reached = []
for host in ("127.0.0.1", "::1", "localhost"):
    for port in PORTS:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                reached.append((host, port))
        except OSError:
            pass
print("reached:", reached)
