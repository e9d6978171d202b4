"""haproxy's runtime view of the API backend, read from its stats socket rather than its config file:
a config edited but not reloaded is not what serves traffic."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from provisioner import hostpaths

# The backend name in templates/haproxy.cfg.j2.
BACKEND = hostpaths.HAPROXY_BACKEND
STATS_SOCKET = hostpaths.HAPROXY_STATS_SOCKET

_ASK = (
    "import socket, sys\n"
    "s = socket.socket(socket.AF_UNIX)\n"
    "s.settimeout(5)\n"
    "s.connect(sys.argv[1])\n"
    "s.sendall(sys.argv[2].encode() + b'\\n')\n"
    "chunks = []\n"
    "while True:\n"
    "    chunks.append(s.recv(65536))\n"
    "    if not chunks[-1]:\n"
    "        break\n"
    "sys.stdout.write(b''.join(chunks).decode())\n"
)


@dataclass(frozen=True)
class Server:
    name: str
    address: str
    port: int


def servers_state_command(backend: str = BACKEND, socket: str = STATS_SOCKET) -> str:
    # python3 rather than socat: Ansible already needs python3 on every host.
    return f"python3 -c {shlex.quote(_ASK)} {shlex.quote(socket)} {shlex.quote(f'show servers state {backend}')}"


def servers(text: str, backend: str = BACKEND) -> list[Server]:
    """Rows of `show servers state`: a version line, a `# column ...` header, then one line per server."""
    columns: list[str] = []
    found: list[Server] = []
    for line in text.splitlines():
        if line.startswith("# "):
            columns = line[2:].split()
            continue
        words = line.split()
        if not columns or len(words) < len(columns):
            continue
        row = dict(zip(columns, words, strict=False))
        if row.get("be_name") == backend:
            found.append(Server(row["srv_name"], row["srv_addr"], int(row.get("srv_port", "0"))))
    return found
