"""Lab clusters for the etcd membership tests: one lab holds every machine a test may need, and the
cluster file names the members of the moment. Labs are named ls-<layout> on 198.18.10.0/24.

Checks read the machines with etcdctl and systemctl over SSH, not with apply's own code."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from provisioner.cluster.load import load_topology
from provisioner.providers.lab import Lab, LabHost
from provisioner.workload import HistoryReport, Workload, check_history
from tests.conftest import CliResult, run_cli
from tests.processes import kill_tree, start_provisioner

SUBNET = "198.18.10"
ETCDCTL = ("etcdctl --endpoints=https://127.0.0.1:2379 --cacert /etc/etcd/pki/ca.crt "
           "--cert /etc/etcd/pki/healthcheck-client.crt --key /etc/etcd/pki/healthcheck-client.key "
           "--dial-timeout=2s --command-timeout=5s")


@dataclass
class MembershipLab:
    name: str
    layout: str
    # Every machine of the lab, name -> address; the cluster file lists some of them.
    machines: dict[str, str]
    folder: Path
    lab: Lab = field(init=False)

    def __post_init__(self) -> None:
        hosts = [LabHost(name, ipaddress.IPv4Address(address)) for name, address in self.machines.items()]
        self.lab = Lab(self.name, hosts, state_root=self.folder / "labs")

    @property
    def cluster_file(self) -> Path:
        return self.folder / "cluster.yaml"

    @property
    def out(self) -> Path:
        return self.folder / "build"

    def write(self, members: list[str], **overrides: Any) -> Path:
        """The cluster file with these etcd members (control-plane hosts in the stacked layout)."""
        state = self.folder / "labs" / self.name
        roles = ["control_plane"] if self.layout == "stacked" else ["etcd"]
        hosts = [{"name": n, "address": self.machines[n], "roles": roles} for n in members]
        if self.layout == "external":
            hosts.insert(0, {"name": "cp1", "address": self.machines["cp1"], "roles": ["control_plane"]})
        data: dict[str, Any] = {
            "name": self.name, "layout": self.layout,
            "ssh": {"user": "root", "private_key": str(state / "id_ed25519"),
                    "known_hosts": str(state / "known_hosts")},
            "etcd": {"install": "package"}, "kubernetes": {"install": "none"}, "hosts": hosts,
        }
        if sum("control_plane" in h["roles"] for h in hosts) > 1:
            data["endpoint"] = {"address": f"{SUBNET}.100", "load_balancer": "external"}
        data.update(overrides)
        self.cluster_file.write_text(yaml.safe_dump(data, sort_keys=False))
        return self.cluster_file

    def cli(self, *arguments: str) -> CliResult:
        return run_cli(*arguments[:1], str(self.cluster_file), *arguments[1:], "--out", str(self.out))

    def ssh(self, host: str, command: str, check: bool = True) -> str:
        done = subprocess.run(self.lab.ssh_command(host, [command]), capture_output=True, text=True, timeout=60,
                              check=False)
        if check:
            assert done.returncode == 0, f"{host}: `{command}` failed: {done.stderr.strip()}"
        return done.stdout

    def status(self, host: str) -> dict[str, Any] | None:
        """etcd's own endpoint status of the host's member, or None when it does not answer."""
        answer = self.ssh(host, f"{ETCDCTL} endpoint status -w json", check=False).strip()
        statuses = json.loads(answer) if answer else []
        if not statuses:  # etcdctl prints [] for an endpoint that does not answer
            return None
        entry = statuses[0]["Status"]
        return {"cluster_id": entry["header"]["cluster_id"], "member_id": entry["header"]["member_id"],
                "leader": entry["leader"], "learner": bool(entry.get("isLearner"))}

    def members(self, host: str) -> list[dict[str, Any]]:
        return list(json.loads(self.ssh(host, f"{ETCDCTL} member list -w json"))["members"])

    def main_pid(self, host: str) -> int:
        return int(self.ssh(host, "systemctl show --property MainPID --value etcd").strip())

    def unit(self, host: str) -> tuple[str, str]:
        active = self.ssh(host, "systemctl is-active etcd", check=False).strip()
        enabled = self.ssh(host, "systemctl is-enabled etcd", check=False).strip()
        return active, enabled

    def put(self, host: str, key: str, value: str) -> None:
        self.ssh(host, f"{ETCDCTL} put {key} {value}")

    def get(self, host: str, key: str) -> str:
        return self.ssh(host, f"{ETCDCTL} get {key} --print-value-only --consistency=s").strip()

    def move_leader(self, to: str, among: list[str]) -> None:
        target = next(m["ID"] for m in self.members(among[0]) if m["name"] == to)
        leader = next(s["leader"] for n in among if (s := self.status(n)))
        leader_name = next(m["name"] for m in self.members(among[0]) if m["ID"] == leader)
        if leader_name != to:
            self.ssh(leader_name, f"{ETCDCTL} move-leader {target:x}")

    def one_cluster(self, hosts: list[str]) -> int:
        """Every host's member answers, they name one cluster ID and one leader; returns the ID."""
        statuses = {host: self.status(host) for host in hosts}
        assert all(statuses.values()), statuses
        assert len({s["cluster_id"] for s in statuses.values() if s}) == 1, statuses
        assert len({s["leader"] for s in statuses.values() if s}) == 1, statuses
        return next(s["cluster_id"] for s in statuses.values() if s)


@contextmanager
def polling(poll: Callable[[], None], every: float = 0.5) -> Iterator[None]:
    """Calls `poll` every `every` seconds in a thread while the block runs."""
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            poll()
            stop.wait(every)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=60)


@contextmanager
def cluster_ids_seen(lab: MembershipLab, hosts: list[str]) -> Iterator[set[int]]:
    """Polls every host's member while the block runs; the set of cluster IDs any of them reported."""
    seen: set[int] = set()

    def poll() -> None:
        for host in hosts:
            status = lab.status(host)
            if status:
                seen.add(status["cluster_id"])

    with polling(poll):
        yield seen


class BuiltCluster(Protocol):
    """A cluster file and the build folder apply uses for it (a MembershipLab, a LabCluster)."""

    @property
    def cluster_file(self) -> Path: ...

    @property
    def out(self) -> Path: ...


def apply_killed_at(lab: BuiltCluster, line_part: str, *extra: str) -> str:
    """Runs apply in its own process group and kills it (SIGKILL, with the Ansible processes it started) as
    soon as it announces the step holding `line_part` ("(2/4) [etcd4] start etcd on etcd4 …", not the
    plan's line for it); returns what it printed. Fails when apply finished without starting that step."""
    process = start_provisioner("apply", str(lab.cluster_file), "--out", str(lab.out), *extra,
                                stdout=subprocess.PIPE, text=True)
    printed: list[str] = []
    assert process.stdout is not None
    try:
        for line in process.stdout:
            printed.append(line)
            if line.lstrip().startswith("(") and line_part in line:
                kill_tree(process)
                break
    finally:
        process.wait(timeout=60)
    text = "".join(printed)
    assert printed and line_part in printed[-1], f"apply never started {line_part!r}:\n{text}"
    return text


@contextmanager
def writing(lab: MembershipLab) -> Iterator[Workload]:
    """The workload writing from cp1 through the members of the cluster file as it is now (the API
    server's certificate and endpoint list), while the block changes the membership."""
    topology, _ = load_topology(lab.cluster_file)
    with Workload(topology, lab.out) as workload:
        workload.start()
        workload.wait_for_acknowledged(20, timeout=60)
        yield workload


def nothing_lost(workload: Workload, lab: MembershipLab, members: list[str]) -> HistoryReport:
    """Stops the writer and reads every key back from each of `members` (the membership after the change)."""
    attempts = workload.stop()
    reads = workload.read_back({name: f"https://{lab.machines[name]}:2379" for name in members})
    report = check_history(attempts, reads)
    assert report.ok and report.acknowledged > 20, "\n".join(report.lines())
    return report
