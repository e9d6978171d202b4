"""Per-host task counts over every phase of one apply: the table at the end and `--report FILE`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from provisioner.apply.events import HostCounts


@dataclass
class Recap:
    hosts: dict[str, HostCounts] = field(default_factory=dict)

    @classmethod
    def for_hosts(cls, names: Iterable[str]) -> Recap:
        """Every host of the cluster is listed, even one that no phase reached."""
        return cls({name: HostCounts() for name in names})

    def add(self, stats: Mapping[str, HostCounts]) -> None:
        for host, counts in stats.items():
            self.hosts[host] = self.hosts.get(host, HostCounts()) + counts

    def as_dict(self) -> dict[str, dict[str, dict[str, int]]]:
        return {"hosts": {host: asdict(counts) for host, counts in self.hosts.items()}}

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), indent=2) + "\n")

    @property
    def changed(self) -> int:
        return sum(counts.changed for counts in self.hosts.values())
