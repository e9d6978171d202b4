"""Hosts that answer from a script instead of SSH, so checks run in-process without machines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from provisioner.cluster.load import load_topology
from provisioner.cluster.topology import Topology
from provisioner.providers.base import cluster_target
from provisioner.verify.fleet import Fleet, Target
from tests.conftest import EXAMPLES

# A command line -> (exit status, stdout, stderr); None when the script has no answer for it.
Answer = tuple[int, str, str]
Script = Callable[[str, str], Answer | None]  # (host name, command) -> answer


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str


@dataclass
class FakeSocket:
    sockets: list[str]

    def get_listening_sockets(self) -> list[str]:
        return self.sockets


@dataclass
class FakeInfra:
    """The part of a testinfra host the checks use: run() and the socket module."""

    name: str
    script: Script
    commands: list[str] = field(default_factory=list)
    socket: FakeSocket = field(default_factory=lambda: FakeSocket([]))

    def run(self, command: str, *args: str) -> Result:
        line = command % args if args else command
        self.commands.append(line)
        answer = self.script(self.name, line)
        if answer is None:
            raise AssertionError(f"{self.name}: the fake has no answer for {line!r}")
        return Result(*answer)


class FakeFleet:
    def __init__(self, topology: Topology, script: Script, unreachable: dict[str, str] | None = None) -> None:
        self.targets: dict[str, Target] = {}
        for host in topology.hosts:
            infra = FakeInfra(host.name, script)
            self.targets[host.name] = Target(host.name, host.address, topology.roles_of(host),
                                             cluster_target(topology, host), infra,
                                             (unreachable or {}).get(host.name))

    def __getitem__(self, name: str) -> Target:
        return self.targets[name]

    def commands(self, host: str) -> list[str]:
        return cast(FakeInfra, self.targets[host].infra).commands

    def as_fleet(self) -> Fleet:
        return cast(Fleet, self)


def example_topology(example: str, folder: Path, **changes: Any) -> Topology:
    """An example cluster file with top-level sections changed (e.g. kubernetes={"install": "kubeadm"})."""
    data = yaml.safe_load((EXAMPLES / example / "cluster.yaml").read_text())
    for key, value in changes.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    path = folder / "cluster.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    topology, _ = load_topology(path)
    return topology
