"""apply, verify and ping against a lab shaped like a typical fleet (tests/fleet_lab.py): hosts behind a
bastion on a network this machine cannot reach, a sudo login user, sshd on other ports, one host with its
own user and port. Then what operators hit: a wrong bastion, a sudo that wants a password, host keys
unknown or changed. Real sshd, sudo, Ansible and testinfra; outcomes are read on the machines as root
through the lab's own access, never through the tool.

One lab for the whole module; needs root and the lab tools."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from provisioner.providers.lab import lab_prerequisites_problems
from tests.fleet_lab import BASTION, BASTION_INSIDE, FRONT, FleetLab, fleet_lab
from tests.providers.lab.test_lab import leftovers

PROBLEMS = lab_prerequisites_problems()
pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(bool(PROBLEMS), reason="lab cannot run here: " + "; ".join(PROBLEMS)),
]
HOSTS = ["cp1", "cp2", "cp3"]
LOGINS = {"cp1": ("admin", 2222), "cp2": ("admin", 2222), "cp3": ("ops", 2200)}
NEEDS_PASSWORD = "sudo needs a password (become needs passwordless sudo)"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FleetLab]:
    lab = fleet_lab(tmp_path_factory.mktemp("fleet"))
    try:
        lab.lab.up()
        yield lab
    finally:
        lab.lab.down()


@pytest.fixture(scope="module")
def applied(fleet: FleetLab) -> FleetLab:
    result = fleet.run("apply", None, "--report", str(fleet.folder / "apply.json"))
    assert result.exit_code == 0, result.stdout[-3000:] + result.stderr
    return fleet


def test_this_machine_reaches_the_hosts_only_through_the_bastion(fleet: FleetLab) -> None:
    direct = subprocess.run(["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-p", "2222",
                             f"admin@{fleet.address('cp1')}", "true"], capture_output=True, text=True, check=False)
    # Refused on this machine by the lab's unreachable route, never sent out by the default route.
    assert direct.returncode == 255 and "No route to host" in direct.stderr, direct.stderr
    legs = fleet.ssh("bastion", "ip -o -4 address show").stdout
    assert f" {FRONT}.10/24 " in legs and f" {BASTION_INSIDE}/24 " in legs, legs
    # Nor do the hosts reach this machine: the bastion does not forward.
    back = fleet.ssh("cp1", f"timeout 5 bash -c 'echo > /dev/tcp/{FRONT}.254/22'", check=False)
    assert back.returncode != 0


@pytest.mark.parametrize("host", HOSTS)
def test_sshd_listens_on_the_port_the_cluster_file_names_only(fleet: FleetLab, host: str) -> None:
    listening = fleet.ssh(host, "ss -Htln").stdout
    ports = {line.split()[3].rpartition(":")[2] for line in listening.splitlines()}
    assert str(LOGINS[host][1]) in ports and "22" not in ports, listening


def test_ping_reaches_every_host_through_the_bastion_with_its_user_and_sudo(fleet: FleetLab) -> None:
    result = fleet.run("ping")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "All 3 hosts are ready for apply" in result.stdout
    for host, (user, port) in LOGINS.items():
        assert f"{user}@{fleet.address(host)}:{port}" in result.stdout


def test_apply_logs_in_as_the_sudo_user_through_the_bastion(applied: FleetLab) -> None:
    for host, (user, _) in LOGINS.items():
        journal = applied.ssh(host, "journalctl -u ssh.service --no-pager -o cat").stdout
        assert re.search(rf"Accepted publickey for {user} from {re.escape(BASTION_INSIDE)} ", journal), journal[-2000:]
        assert not re.search(r"Accepted publickey for (admin|ops) from (?!" + re.escape(BASTION_INSIDE) + ")", journal)


@pytest.mark.parametrize("host", HOSTS)
def test_every_file_apply_placed_has_its_owner_mode_and_content(applied: FleetLab, host: str) -> None:
    placed = yaml.safe_load((applied.out / "hosts" / host / "files.yml").read_text())["files"]
    assert any(entry["secret"] for entry in placed)
    for entry in placed:
        stat = applied.ssh(host, f"stat -c '%U %G %a' {entry['dest']} && sha256sum {entry['dest']}").stdout.split()
        expected = hashlib.sha256((applied.out / entry["src"]).read_bytes()).hexdigest()
        assert stat[:4] == [entry["owner"], entry["group"], entry["mode"].lstrip("0"), expected], entry["dest"]
    data_dir = applied.ssh(host, "stat -c '%U %G %a' /var/lib/etcd").stdout.split()
    assert data_dir == ["etcd", "etcd", "700"]


def test_etcd_runs_as_one_cluster_of_three(applied: FleetLab) -> None:
    tls = "--cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/healthcheck-client.crt " \
          "--key /etc/etcd/pki/healthcheck-client.key"
    members = applied.ssh("cp1", f"etcdctl --endpoints=https://127.0.0.1:2379 {tls} member list -w json").stdout
    assert sorted(member["name"] for member in json.loads(members)["members"]) == HOSTS


def test_verify_passes_through_the_bastion_with_sudo(applied: FleetLab) -> None:
    report = applied.folder / "verify.json"
    result = applied.run("verify", None, "--json", str(report))
    assert result.exit_code == 0, result.stdout[-3000:]
    counts = json.loads(report.read_text())["counts"]
    assert counts["failed"] == counts["error"] == 0 and counts["passed"] >= 30, counts


def test_a_second_apply_changes_nothing(applied: FleetLab) -> None:
    report = applied.folder / "again.json"
    result = applied.run("apply", None, "--report", str(report))
    assert result.exit_code == 0, result.stdout[-3000:] + result.stderr
    assert {host: counts["changed"] for host, counts in json.loads(report.read_text())["hosts"].items()} == \
        dict.fromkeys(HOSTS, 0)


def test_a_drill_disrupts_the_servers_only_when_told_and_loses_nothing(applied: FleetLab) -> None:
    refused = applied.run("drill", None, "--scenario", "etcd-kill-leader")
    assert refused.exit_code == 2 and "pass --disrupt-servers" in refused.stderr, refused.stderr
    # Real servers get process and service faults only: no power-off, no network cut.
    lab_only = applied.run("drill", None, "--disrupt-servers", "--scenario", "cp-power-off-one")
    assert lab_only.exit_code == 2 and "no scenario cp-power-off-one" in lab_only.stderr, lab_only.stderr
    report = applied.folder / "drill.json"
    result = applied.run("drill", None, "--disrupt-servers", "--scenario", "etcd-kill-leader",
                         "--scenario", "etcd-freeze-leader", "--json", str(report))
    assert result.exit_code == 0, result.stdout[-4000:] + result.stderr
    for scenario in json.loads(report.read_text())["scenarios"]:
        observed = scenario["observed"]
        assert observed["writes"] == "continue" and observed["lost"] == 0 and observed["history_ok"], scenario
        assert observed["acknowledged"] > 20 and observed["election"] is not None, observed
    # The faults went through the bastion as the sudo user, like every other command.
    journal = applied.ssh("cp1", "journalctl -u ssh.service --no-pager -o cat").stdout
    assert not re.search(r"Accepted publickey for (admin|ops) from (?!" + re.escape(BASTION_INSIDE) + ")", journal)


def test_a_wrong_bastion_is_named_by_ping_apply_and_verify(applied: FleetLab) -> None:
    wrong = BASTION + ":2299"
    cluster = applied.variant("wrong-bastion", bastion=wrong)
    said = f"bastion {wrong}: connection refused: nothing listens on port 2299"

    ping = applied.run("ping", cluster)
    assert ping.exit_code == 1
    assert sorted(line.split(":", 1)[1].strip() for line in ping.stderr.splitlines() if line.startswith("error:")) \
        == sorted(f"{host} ({applied.address(host)}:{LOGINS[host][1]}): {said}" for host in HOSTS)

    # apply reads the live state first: every host is named with the reason, before anything changes.
    apply = applied.run("apply", cluster)
    assert apply.exit_code == 1
    errors = sorted(line for line in apply.stderr.splitlines() if line.startswith("error:"))
    assert len(errors) == len(HOSTS), apply.stderr
    for host, error in zip(HOSTS, errors, strict=True):
        assert error.startswith(f"error: {host}: Read the live state: unreachable: {said}"), error

    report = cluster.parent / "verify.json"
    verify = applied.run("verify", cluster, "--json", str(report))
    assert verify.exit_code == 1
    answers = [check for check in json.loads(report.read_text())["checks"] if "answers_ssh" in check["check"]]
    assert sorted(check["host"] for check in answers) == HOSTS
    assert all(check["outcome"] == "failed" and said in check["found"] for check in answers), answers


@pytest.fixture
def sudo_wants_a_password(applied: FleetLab) -> Iterator[str]:
    """cp2's sudo rule for admin without NOPASSWD, as on a host set up by hand; put back afterwards."""
    rule = "/etc/sudoers.d/provisioner-lab"
    applied.ssh("cp2", f"cp {rule} /root/sudoers.saved && echo 'admin ALL=(ALL:ALL) ALL' > {rule}")
    try:
        yield "cp2"
    finally:
        applied.ssh("cp2", f"cp /root/sudoers.saved {rule}")


def test_a_sudo_that_wants_a_password_is_refused_up_front_naming_the_host(
        applied: FleetLab, sudo_wants_a_password: str) -> None:
    host = sudo_wants_a_password
    ping = applied.run("ping")
    assert ping.exit_code == 1
    assert [line for line in ping.stderr.splitlines() if line.startswith("error:")] == [
        f"error: {host} ({applied.address(host)}:2222): {NEEDS_PASSWORD}"]

    before = applied.ssh(host, "stat -c %Y /etc/etcd/etcd.conf.yml").stdout
    report = applied.folder / "refused.json"
    apply = applied.run("apply", None, "--report", str(report))
    assert apply.exit_code == 1
    assert [line for line in apply.stderr.splitlines() if line.startswith("error:")] == [
        f"error: {host}: Check hosts (Probe the host): {NEEDS_PASSWORD}"]
    assert all(counts["changed"] == 0 for counts in json.loads(report.read_text())["hosts"].values())
    assert applied.ssh(host, "stat -c %Y /etc/etcd/etcd.conf.yml").stdout == before

    verify_report = applied.folder / "refused-verify.json"
    verify = applied.run("verify", None, "--json", str(verify_report))
    assert verify.exit_code == 1
    not_ok = [check for check in json.loads(verify_report.read_text())["checks"]
              if check["outcome"] in ("failed", "error")]
    assert {check["host"] for check in not_ok} == {host}
    assert all(NEEDS_PASSWORD in check["found"] for check in not_ok), not_ok


def _known_hosts_without(fleet: FleetLab, name: str, host: str) -> Path:
    """A copy of the lab's known_hosts (the bastion's key included) without `host`'s line."""
    lines = Path(fleet.data["ssh"]["known_hosts"]).read_text().splitlines(keepends=True)
    path = fleet.folder / name
    path.write_text("".join(line for line in lines if f"[{host}]:" not in line.split()[0]))
    return path


def test_an_unknown_host_key_is_refused_and_accept_new_records_it(fleet: FleetLab) -> None:
    unknown = fleet.variant("unknown-key", known_hosts=str(_known_hosts_without(fleet, "unknown", "cp1")))
    ping = fleet.run("ping", unknown)
    assert ping.exit_code == 1
    assert [line for line in ping.stderr.splitlines() if line.startswith("error:")] == [
        f"error: cp1 ({fleet.address('cp1')}:2222): host key unknown: not in known_hosts and checking is strict "
        f"(add it, or set accept_new_host_keys) (via bastion {BASTION}:22)"]
    apply = fleet.run("apply", unknown)
    assert apply.exit_code == 1
    assert "error: cp1: Read the live state: unreachable: host key unknown" in apply.stderr
    assert _not_ok_in_verify(fleet, unknown) == {"cp1": "host key unknown"}

    recorded = _known_hosts_without(fleet, "recorded", "cp1")
    accepting = fleet.variant("accept-new", known_hosts=str(recorded), accept_new_host_keys=True)
    assert fleet.run("ping", accepting).exit_code == 0
    found = subprocess.run(["ssh-keygen", "-F", f"[{fleet.address('cp1')}]:2222", "-f", str(recorded)],
                           capture_output=True, text=True, check=False)
    real = (fleet.lab.paths.host_key("cp1").with_suffix(".pub")).read_text().split()[1]
    assert found.returncode == 0 and real in found.stdout


def test_a_changed_host_key_is_refused_naming_the_host(fleet: FleetLab) -> None:
    impostor = fleet.folder / "impostor"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(impostor)], check=True)
    real = (fleet.lab.paths.host_key("cp3").with_suffix(".pub")).read_text().split()[1]
    changed = fleet.folder / "changed"
    changed.write_text(Path(fleet.data["ssh"]["known_hosts"]).read_text().replace(
        real, impostor.with_suffix(".pub").read_text().split()[1]))
    # accept_new_host_keys does not accept a changed key either.
    cluster = fleet.variant("changed-key", known_hosts=str(changed), accept_new_host_keys=True)
    ping = fleet.run("ping", cluster)
    assert ping.exit_code == 1
    errors = [line for line in ping.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: cp3 ({fleet.address('cp3')}:2200): host key mismatch")
    apply = fleet.run("apply", cluster)
    assert apply.exit_code == 1
    assert "error: cp3: Read the live state: unreachable: host key mismatch" in apply.stderr
    assert _not_ok_in_verify(fleet, cluster) == {"cp3": "host key mismatch"}


def _not_ok_in_verify(fleet: FleetLab, cluster: Path) -> dict[str, str]:
    """Host -> how its SSH check failed, for every host with a check not passed (apply rendered the tree)."""
    report = cluster.parent / "verify.json"
    assert fleet.run("verify", cluster, "--json", str(report)).exit_code == 1
    checks = json.loads(report.read_text())["checks"]
    not_ok = {check["host"] for check in checks if check["outcome"] in ("failed", "error")}
    answers = {check["host"]: check["found"] for check in checks if "answers_ssh" in check["check"]}
    return {host: answers[host].partition(":")[0] for host in not_ok}


def test_down_leaves_nothing_behind(fleet: FleetLab) -> None:
    fleet.lab.down()
    assert leftovers(fleet.lab.cluster, fleet.lab.paths.state_dir) == []
    routes = subprocess.run(["ip", "-4", "route", "show", "type", "unreachable"], capture_output=True, text=True,
                            check=True).stdout
    assert fleet.lab.subnet.with_prefixlen not in routes
