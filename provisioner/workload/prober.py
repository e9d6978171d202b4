"""Connect to the API endpoint (VIP:port) every 100 ms and record each try as a JSON line.

Runs on a host (session.py starts it beside the writer), standard library only, no imports from this
package. A TCP connect proves the balancer holding the address accepts: haproxy accepts even while no API
server is live, which is what the VIP failover is about.

Which balancer answered cannot be read from a TCP connection to haproxy (nothing it sends identifies it).
What can be read, when the prober shares a network segment with the balancers, is the link-layer address
the VIP resolves to in this host's neighbour table (/proc/net/arp) right after the connect: keepalived
moves the VIP with gratuitous ARP, so it is the holder's interface address. The session maps it to a
balancer name; through a router, with IPv6, or without the table the field stays null. The neighbour
table can lag a takeover by an ARP refresh, so the balancer shown at a moment is a good guess, not proof.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
from typing import Any, TextIO

INTERVAL_SECONDS = 0.1
TIMEOUT_SECONDS = 1.0
ARP_TABLE = "/proc/net/arp"


def neighbor_mac(address: str, table: str = ARP_TABLE) -> str | None:
    """The hardware address `address` resolves to here, or None when the table has no complete entry."""
    try:
        with open(table, encoding="ascii") as arp:
            rows = arp.read().splitlines()[1:]
    except OSError:
        return None
    for row in rows:
        fields = row.split()
        # IP address, HW type, Flags, HW address, Mask, Device; flag 0x2 marks a complete entry.
        if len(fields) >= 4 and fields[0] == address and int(fields[2], 16) & 0x2:
            return fields[3].lower()
    return None


def probe_once(address: str, port: int, timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
    started = time.time()
    clock = time.monotonic()
    try:
        with socket.create_connection((address, port), timeout=timeout):
            latency: float | None = time.monotonic() - clock
        ok, error = True, ""
    except OSError as failure:
        ok, error, latency = False, f"{type(failure).__name__}: {failure}", None
    return {"time": started, "ok": ok, "latency": latency, "error": error,
            "neighbor_mac": neighbor_mac(address), "balancer": None}


def run(address: str, port: int, out: TextIO, stop_file: str, max_seconds: float,
        interval: float = INTERVAL_SECONDS) -> None:
    deadline = time.monotonic() + max_seconds
    next_probe = time.monotonic()
    while time.monotonic() < deadline and not os.path.exists(stop_file):
        out.write(json.dumps(probe_once(address, port), separators=(",", ":")) + "\n")
        out.flush()
        # A fixed schedule: a slow connect delays the next probe, it does not shift every later one.
        next_probe += interval
        time.sleep(max(0.0, next_probe - time.monotonic()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Probe VIP:port every 100 ms, one JSON line per try.")
    parser.add_argument("--address", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True, help="JSON lines file, appended to")
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--max-seconds", type=float, required=True)
    parser.add_argument("--interval", type=float, default=INTERVAL_SECONDS)
    arguments = parser.parse_args(sys.argv[1:] if argv is None else argv)
    with open(arguments.out, "a", encoding="utf-8") as out:
        run(arguments.address, arguments.port, out, arguments.stop_file, arguments.max_seconds, arguments.interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
