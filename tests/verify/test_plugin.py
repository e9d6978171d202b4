"""How verify runs its checks: hosts by role, checks of the other layout left out, a host without SSH
reported once per check as an error, and a check that breaks reported as an error, not a pass."""

from __future__ import annotations

import json
import re
from pathlib import Path

from provisioner.verify.results import Outcome
from provisioner.verify.session import run_plugin
from tests.verify.fakes import Answer, FakeFleet, FakeInfra, FakeSocket, example_topology


def _units(running: dict[str, set[str]]) -> object:
    """systemctl answers: the units in running[host] are active and enabled, every other one is not."""
    def script(host: str, command: str) -> Answer | None:
        match = re.match(r"for unit in ([\w\s-]+);", command)
        if match:
            lines = [f"{unit} active enabled" if unit in running.get(host, set()) else f"{unit} inactive disabled"
                     for unit in match.group(1).split()]
            return 0, "\n".join(lines) + "\n", ""
        if command.startswith("pgrep"):
            return 1, "", ""
        return None
    return script


def _listen(fleet: FakeFleet, host: str, *sockets: str) -> None:
    infra = fleet[host].infra
    assert isinstance(infra, FakeInfra)
    infra.socket = FakeSocket(list(sockets))


def test_stacked_runs_only_the_stacked_layout_checks_on_control_plane_hosts(tmp_path: Path) -> None:
    topology = example_topology("lab-stacked", tmp_path)
    fleet = FakeFleet(topology, _units({f"cp{i}": {"etcd"} for i in (1, 2, 3)}))  # type: ignore[arg-type]
    for index in (1, 2, 3):
        _listen(fleet, f"cp{index}", f"tcp://198.18.0.1{index}:2379", "tcp://127.0.0.1:2379")
    results, problems = run_plugin(topology, fleet.as_fleet(), ["test_layout.py"])
    assert problems == []
    assert sorted((r.host, r.check, r.outcome) for r in results) == [
        (f"cp{i}", "control_plane_host_runs_an_etcd_member", Outcome.PASSED) for i in (1, 2, 3)]


def test_external_layout_names_an_etcd_host_running_haproxy_and_a_control_plane_host_running_etcd(
        tmp_path: Path) -> None:
    topology = example_topology("lab-external", tmp_path)
    running = {f"etcd{i}": {"etcd"} for i in (1, 2, 3)} | {"etcd2": {"etcd", "haproxy"}, "cp3": {"etcd"}}
    fleet = FakeFleet(topology, _units(running))  # type: ignore[arg-type]
    _listen(fleet, "cp3", "tcp://198.18.0.13:2379")
    results, _ = run_plugin(topology, fleet.as_fleet(), ["test_layout.py"])
    assert {r.check for r in results} == {"control_plane_host_runs_no_etcd", "etcd_host_runs_only_etcd"}
    failed = {(r.host, r.check): r for r in results if r.outcome == Outcome.FAILED}
    assert set(failed) == {("cp3", "control_plane_host_runs_no_etcd"), ("etcd2", "etcd_host_runs_only_etcd")}
    assert failed["cp3", "control_plane_host_runs_no_etcd"].found == "etcd active; listening on 198.18.0.13:2379"
    assert failed["etcd2", "etcd_host_runs_only_etcd"].found == "haproxy"


def test_a_host_without_ssh_fails_reachability_and_errors_its_other_checks(tmp_path: Path) -> None:
    topology = example_topology("lab-stacked", tmp_path)
    fleet = FakeFleet(topology, _units({f"cp{i}": {"etcd"} for i in (1, 2, 3)}),  # type: ignore[arg-type]
                      unreachable={"cp2": "connection refused: nothing listens on port 22"})
    for index in (1, 3):
        _listen(fleet, f"cp{index}", f"tcp://198.18.0.1{index}:2379")
    results, _ = run_plugin(topology, fleet.as_fleet(), ["test_reachability.py", "test_layout.py"])
    by_key = {(r.host, r.check): r for r in results}
    reach = by_key["cp2", "answers_ssh"]
    assert reach.outcome == Outcome.FAILED and "connection refused" in reach.found
    layout = by_key["cp2", "control_plane_host_runs_an_etcd_member"]
    assert layout.outcome == Outcome.ERROR
    assert layout.found == "no SSH connection: connection refused: nothing listens on port 22"
    assert by_key["cp1", "control_plane_host_runs_an_etcd_member"].outcome == Outcome.PASSED
    assert fleet.commands("cp2") == []


def test_a_check_that_cannot_read_the_answer_is_an_error_not_a_pass(tmp_path: Path) -> None:
    topology = example_topology("lab-stacked", tmp_path)
    fleet = FakeFleet(topology, lambda host, command: (0, "garbage", ""))
    results, _ = run_plugin(topology, fleet.as_fleet(), ["test_layout.py"])
    assert results and all(r.outcome == Outcome.ERROR for r in results)
    assert all("systemctl gave no state for etcd" in r.found for r in results)


class _BrokenSocket:
    def get_listening_sockets(self) -> list[str]:
        raise ValueError("ss printed something new")


def test_a_check_that_breaks_is_an_error_with_the_exception(tmp_path: Path) -> None:
    topology = example_topology("lab-stacked", tmp_path)
    fleet = FakeFleet(topology, _units({f"cp{i}": {"etcd"} for i in (1, 2, 3)}))  # type: ignore[arg-type]
    for host in ("cp1", "cp2", "cp3"):
        infra = fleet[host].infra
        assert isinstance(infra, FakeInfra)
        infra.socket = _BrokenSocket()  # type: ignore[assignment]
    results, _ = run_plugin(topology, fleet.as_fleet(), ["test_layout.py"])
    assert {(r.outcome, r.found) for r in results} == {(Outcome.ERROR, "ValueError: ss printed something new")}
    assert all("bug in the check" in r.hint for r in results)


def test_without_load_balancers_of_ours_the_load_balancer_checks_are_skipped_with_the_reason(
        tmp_path: Path) -> None:
    topology = example_topology("lab-stacked", tmp_path, endpoint={"load_balancer": "external"},
                                hosts=[{"name": f"cp{i}", "address": f"198.18.0.1{i}", "roles": ["control_plane"]}
                                       for i in (1, 2, 3)])
    fleet = FakeFleet(topology, lambda host, command: None)
    results, problems = run_plugin(topology, fleet.as_fleet(), ["test_load_balancer.py"])
    assert problems == [] and results
    assert {r.outcome for r in results} == {Outcome.SKIPPED}
    assert {r.found for r in results} == {
        "no host has the load_balancer role (endpoint.load_balancer is not keepalived)",
        "endpoint.load_balancer is external: no VIP held by our hosts"}


def test_each_members_etcd_release_is_reported_and_another_minor_release_fails(tmp_path: Path) -> None:
    topology = example_topology("lab-stacked", tmp_path)
    versions = {"cp1": "3.5.16", "cp2": "3.5.15", "cp3": "3.4.23"}

    def script(host: str, command: str) -> Answer | None:
        if "endpoint status" not in command:
            return None
        status = {"header": {"member_id": 1, "revision": 5}, "leader": 1, "raftTerm": 2, "version": versions[host]}
        return 0, f'[{{"Endpoint": "https://{host}:2379", "Status": {json.dumps(status)}}}]', ""

    results, _ = run_plugin(topology, FakeFleet(topology, script).as_fleet(), ["test_etcd.py"])
    release = {r.host: (r.outcome, r.found) for r in results if r.check == "runs_the_etcd_release_of_the_file"}
    assert release == {"cp1": (Outcome.PASSED, "etcd 3.5.16"), "cp2": (Outcome.PASSED, "etcd 3.5.15"),
                       "cp3": (Outcome.FAILED, "etcd 3.4.23")}
