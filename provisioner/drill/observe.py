"""What a drill sees of the cluster while it breaks it: etcd members' status rounds, who holds the VIP.

etcd is asked from a control-plane host with the API server's certificate (etcd_status.py, through the
JSON gateway), so nothing beyond what apply placed is needed there. Balancers are watched with a small
shell loop each that prints, every 100 ms, whether the VIP is on one of its interfaces.
"""

from __future__ import annotations

import ipaddress
import json
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path

from provisioner.cluster.topology import Topology
from provisioner.drill import etcd_status
from provisioner.drill.remote import Stream
from provisioner.hostpaths import (
    APISERVER_ETCD_CLIENT_CERT,
    APISERVER_ETCD_CLIENT_KEY,
    KUBE_ETCD_CA,
    PYTHON_INTERPRETER,
)
from provisioner.providers import SshTarget
from provisioner.reach.remote import run_on

WATCH_INTERVAL = 0.2
# Seconds a member gets to answer one status or hash request with etcd's default timing (see status_timeout).
STATUS_TIMEOUT = 0.8
VIP_INTERVAL = 0.1
MAX_WATCH_SECONDS = 900


@dataclass(frozen=True)
class MemberStatus:
    member_id: str
    leader: str  # the member id this member says leads; "" or "0" while it knows none
    raft_term: int
    revision: int
    error: str = ""
    hash: int | None = None

    @property
    def answered(self) -> bool:
        return not self.error


@dataclass(frozen=True)
class Round:
    """One status round: every member asked at about `time`."""

    time: float
    members: dict[str, MemberStatus]

    def leaders(self) -> set[str]:
        """Member ids the answering members name as leader (no leader known is left out)."""
        return {status.leader for status in self.members.values() if status.answered and status.leader not in ("", "0")}


@dataclass(frozen=True)
class ClusterCheck:
    members: dict[str, MemberStatus]
    agreed_leader: bool
    hashes_equal: bool
    revision: int | None
    leader: str | None  # name of the leading member when they agree

    @property
    def healthy(self) -> bool:
        """Every member answers, they name one leader, and their data is the same up to one revision."""
        return self.agreed_leader and self.hashes_equal

    def problems(self) -> str:
        down = [f"{name}: {status.error}" for name, status in self.members.items() if status.error]
        if down:
            return "; ".join(down)
        if not self.agreed_leader:
            return "members do not agree on a leader"
        return "" if self.hashes_equal else f"members hold different data at revision {self.revision}"


def status_timeout(topology: Topology) -> float:
    """How long a member may take to answer: 0.8 s, or the cluster's election timeout where that is longer.
    A cluster file that gives etcd slower timers says its hosts or network are slow (emulated VMs answered
    in more than 0.8 s while the workload wrote, and the cluster was never seen healthy again); a member
    slower than an election timeout is not healthy by etcd's own measure either."""
    return max(STATUS_TIMEOUT, topology.cluster.etcd.election_timeout / 1000)


@dataclass
class EtcdObserver:
    topology: Topology
    targets: dict[str, SshTarget]
    names_by_url: dict[str, str] = field(init=False)
    names_by_id: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.names_by_url = {member.client_url: member.name for member in self.topology.etcd_members}

    def _arguments(self, mode: str) -> list[str]:
        return [mode, *(f"--endpoint={url}" for url in self.names_by_url), f"--cacert={KUBE_ETCD_CA}",
                f"--cert={APISERVER_ETCD_CLIENT_CERT}", f"--key={APISERVER_ETCD_CLIENT_KEY}",
                f"--timeout={status_timeout(self.topology):g}"]

    def check(self, from_host: str) -> ClusterCheck:
        command = f"{PYTHON_INTERPRETER} - {shlex.join(self._arguments('check'))}"
        answer = json.loads(run_on(self.targets[from_host], command, step="Read the etcd members' status",
                                   stdin=_script(), timeout=60))
        members = self._members(answer["members"])
        leader_ids = {status.leader for status in members.values() if status.answered}
        leader = self.names_by_id.get(next(iter(leader_ids))) if answer["agreed_leader"] else None
        return ClusterCheck(members, bool(answer["agreed_leader"]), bool(answer["hashes_equal"]), answer["revision"],
                            leader)

    def wait_healthy(self, from_host: str, timeout: float) -> ClusterCheck:
        deadline = time.monotonic() + timeout
        while True:
            found = self.check(from_host)
            if found.healthy or time.monotonic() > deadline:
                return found
            time.sleep(0.3)

    def watch(self, from_host: str) -> Stream:
        arguments = [*self._arguments("watch"), f"--interval={WATCH_INTERVAL}", f"--max-seconds={MAX_WATCH_SECONDS}"]
        command = f"{PYTHON_INTERPRETER} - {shlex.join(arguments)}"
        return Stream(self.targets[from_host], command, stdin=_script())

    def rounds(self, lines: list[tuple[float, str]]) -> list[Round]:
        rounds = []
        for _, line in lines:
            try:
                data = json.loads(line)
            except ValueError:
                continue
            rounds.append(Round(float(data["time"]), self._members(data["members"])))
        return rounds

    def _members(self, by_url: dict[str, dict[str, object]]) -> dict[str, MemberStatus]:
        members = {}
        for url, data in by_url.items():
            name = self.names_by_url.get(url, url)
            status = MemberStatus(member_id=str(data.get("member_id", "")), leader=str(data.get("leader", "")),
                                  raft_term=int(str(data.get("raft_term", 0) or 0)),
                                  revision=int(str(data.get("revision", 0) or 0)), error=str(data.get("error", "")),
                                  hash=int(str(data["hash"])) if data.get("hash") is not None else None)
            if status.member_id:
                self.names_by_id[status.member_id] = name
            members[name] = status
        return members


def _script() -> str:
    return Path(etcd_status.__file__).read_text()


@dataclass(frozen=True)
class VipSample:
    time: float
    holds: bool


def holds_vip_test(address: str) -> str:
    """A shell test, true on a host that has the VIP on one of its interfaces (as `ip` prints it)."""
    return f"ip -o addr show | grep -qF {shlex.quote(' ' + ipaddress.ip_address(address).compressed + '/')}"


def vip_watch_command(address: str, seconds: int = MAX_WATCH_SECONDS) -> str:
    """A bounded shell loop printing `<unix time> 1|0` every 100 ms: does this host hold the VIP?"""
    return (f"end=$(( $(date +%s) + {seconds} )); while [ $(date +%s) -lt $end ]; do "
            f"if {holds_vip_test(address)}; then h=1; else h=0; fi; "
            f"echo \"$(date +%s.%N) $h\" || exit 0; sleep {VIP_INTERVAL}; done")


def vip_samples(lines: list[tuple[float, str]]) -> list[VipSample]:
    samples = []
    for _, line in lines:
        parts = line.split()
        if len(parts) == 2 and parts[1] in ("0", "1"):
            try:
                samples.append(VipSample(float(parts[0]), parts[1] == "1"))
            except ValueError:
                continue
    return samples


class VipWatch:
    """One streaming loop per balancer; `holder()` names who holds the VIP according to the newest samples."""

    def __init__(self, topology: Topology, targets: dict[str, SshTarget]) -> None:
        self.balancers = [host.name for host in topology.load_balancer_hosts]
        command = vip_watch_command(topology.endpoint.address)
        # Reading the addresses needs no privileges: no sudo on hosts reached as another user.
        self.streams = {name: Stream(targets[name], command, root=False) for name in self.balancers}
        for stream in self.streams.values():
            stream.wait_for_lines(1, timeout=15)

    def holder(self) -> str | None:
        holding = [name for name, stream in self.streams.items()
                   if (samples := vip_samples(stream.lines[-1:])) and samples[-1].holds]
        return holding[0] if len(holding) == 1 else None

    def close(self) -> dict[str, list[VipSample]]:
        return {name: vip_samples(stream.close()) for name, stream in self.streams.items()}
