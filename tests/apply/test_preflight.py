"""Preflight rules: supported systems, the ports each role needs (ours may hold them), clock skew."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from provisioner.apply.preflight import (
    PortNeed,
    clock_skew,
    clock_warning,
    host_problems,
    os_warning,
    ports_needed,
    supported_os,
)
from provisioner.apply.probe import HostProbe, Listener
from provisioner.cluster.load import load_topology
from tests.conftest import EXAMPLES

ETCD = [PortNeed(2379, "etcd"), PortNeed(2380, "etcd"), PortNeed(2381, "etcd")]
MARKER = "# Rendered by provisioner for cluster lab-stacked: etcd member cp1."


def _probe(**changes: object) -> HostProbe:
    values: dict[str, object] = {"os_id": "debian", "os_version": "13", "os_name": "Debian 13",
                                 "python3": "/usr/bin/python3", "systemd": True, "ss_available": True}
    values.update(changes)
    return HostProbe(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("os_id", "os_like", "version", "supported"), [
    ("debian", "", "12", True), ("debian", "", "13", True), ("debian", "", "", True), ("debian", "", "11", False),
    ("ubuntu", "debian", "22.04", True), ("ubuntu", "debian", "24.04", True), ("ubuntu", "debian", "20.04", False),
    # Derivatives: their own release numbers are not Debian's or Ubuntu's, so only the family counts.
    ("raspbian", "debian", "12", True), ("linuxmint", "ubuntu", "21.3", True), ("pop", "ubuntu debian", "22.04", True),
    ("kali", "debian", "2024.1", True),
    ("rocky", "rhel centos fedora", "9.4", False), ("fedora", "", "40", False), ("", "", "", False),
])
def test_debian_and_ubuntu_releases_with_the_needed_packages_and_their_derivatives_are_supported(
        os_id: str, os_like: str, version: str, supported: bool) -> None:
    assert supported_os(_probe(os_id=os_id, os_like=os_like, os_version=version)) is supported


def test_a_derivative_is_accepted_with_a_warning_that_its_release_is_not_checked() -> None:
    mint = _probe(os_id="linuxmint", os_like="ubuntu debian", os_version="21.3", os_name="Linux Mint 21.3")
    assert host_problems(mint, [], "c") == []
    assert os_warning(mint) == ("Linux Mint 21.3 is taken as a derivative of ubuntu; its release is not checked: "
                                "apply needs the packages of Debian 12 or newer, Ubuntu 22.04 or newer "
                                "(etcd-server, haproxy, keepalived)")
    assert os_warning(_probe()) is None and os_warning(_probe(os_id="rocky", os_like="rhel")) is None


def test_an_unsupported_system_is_named_in_the_problem() -> None:
    problems = host_problems(_probe(os_id="rocky", os_version="9.4", os_name="Rocky Linux 9.4"), [], "c")
    assert problems == ["unsupported operating system 'Rocky Linux 9.4': apply supports Debian 12 or newer, "
                        "Ubuntu 22.04 or newer"]


def test_missing_python_and_systemd_are_each_a_problem() -> None:
    problems = host_problems(_probe(python3="", systemd=False), [], "c")
    assert len(problems) == 2 and "python3" in problems[0] and "systemd" in problems[1]


def test_a_port_held_by_another_program_is_a_problem() -> None:
    probe = _probe(listeners=[Listener(2379, (("etcd", 50),))], main_pids={"etcd": 0})
    assert host_problems(probe, ETCD, "lab-stacked") == ["port 2379 is in use by etcd (pid 50); etcd needs it"]


def test_our_own_running_service_may_hold_its_port() -> None:
    probe = _probe(listeners=[Listener(2379, (("etcd", 50),)), Listener(2380, (("etcd", 50),))],
                   main_pids={"etcd": 50}, markers={"etcd": MARKER})
    assert host_problems(probe, ETCD, "lab-stacked") == []


def test_our_service_of_another_cluster_may_not() -> None:
    probe = _probe(listeners=[Listener(2379, (("etcd", 50),))], main_pids={"etcd": 50}, markers={"etcd": MARKER})
    assert host_problems(probe, ETCD, "other-cluster") != []


def test_ports_follow_the_roles_a_host_really_plays() -> None:
    stacked, _ = load_topology(EXAMPLES / "lab-stacked/cluster.yaml")
    assert ports_needed(stacked, stacked.host("cp1")) == ETCD
    assert ports_needed(stacked, stacked.host("lb1")) == [PortNeed(6443, "haproxy")]
    external, _ = load_topology(EXAMPLES / "lab-external/cluster.yaml")
    assert ports_needed(external, external.host("cp1")) == []
    assert ports_needed(external, external.host("etcd1")) == ETCD


def test_clock_skew_is_measured_against_the_middle_of_the_probe() -> None:
    started = datetime(2026, 1, 1, tzinfo=UTC)
    ended = started + timedelta(seconds=0.4)
    in_sync = _probe(time=started.timestamp() + 0.2)
    assert clock_skew(in_sync, started, ended) == pytest.approx(0.0)
    assert clock_warning(clock_skew(in_sync, started, ended), started, ended) is None
    behind = _probe(time=started.timestamp() - 30)
    warning = clock_warning(clock_skew(behind, started, ended), started, ended)
    assert warning is not None and warning.startswith("clock is 30.2s behind")
