"""What the preflight probe (playbooks/files/probe.sh) reports about a host, parsed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PROCESS = re.compile(r'\("([^"]+)",pid=(\d+)')


@dataclass(frozen=True)
class Listener:
    port: int
    # (name, pid) of every process holding the socket; empty when ss could not tell.
    processes: tuple[tuple[str, int], ...]

    @property
    def names(self) -> list[str]:
        return sorted({name for name, _ in self.processes})


@dataclass(frozen=True)
class HostProbe:
    os_id: str = ""
    os_like: str = ""
    os_version: str = ""
    os_name: str = "unknown"
    python3: str = ""
    systemd: bool = False
    time: float | None = None
    ss_available: bool = False
    listeners: list[Listener] = field(default_factory=list)
    # Main PID of the etcd and haproxy units (0 when not running), and the first line of their
    # configuration, which names the cluster when it was written by this tool.
    main_pids: dict[str, int] = field(default_factory=dict)
    markers: dict[str, str] = field(default_factory=dict)

    def holders(self, port: int) -> list[Listener]:
        return [listener for listener in self.listeners if listener.port == port]


def parse_probe(stdout: str) -> HostProbe:
    values: dict[str, str] = {}
    listeners: list[Listener] = []
    main_pids: dict[str, int] = {}
    markers: dict[str, str] = {}
    for line in stdout.splitlines():
        key, _, value = line.strip().partition("=")
        if key == "listen":
            listener = _listener(value)
            if listener:
                listeners.append(listener)
        elif key.startswith("main_pid_"):
            main_pids[key.removeprefix("main_pid_")] = int(value) if value.isdigit() else 0
        elif key.startswith("marker_"):
            markers[key.removeprefix("marker_")] = value
        elif key:
            values[key] = value
    return HostProbe(
        os_id=values.get("os_id", ""),
        os_like=values.get("os_like", ""),
        os_version=values.get("os_version", ""),
        os_name=values.get("os_name", "unknown") or "unknown",
        python3=values.get("python3", ""),
        systemd=values.get("systemd") == "yes",
        time=_float(values.get("time", "")),
        ss_available=values.get("ss") == "yes",
        listeners=listeners,
        main_pids=main_pids,
        markers=markers,
    )


def _listener(line: str) -> Listener | None:
    """One line of `ss -Htlnp`: state, queues, local address:port, peer, process."""
    columns = line.split()
    if len(columns) < 4:
        return None
    port = columns[3].rpartition(":")[2]
    if not port.isdigit():
        return None
    return Listener(int(port), tuple((name, int(pid)) for name, pid in _PROCESS.findall(line)))


def _float(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None
