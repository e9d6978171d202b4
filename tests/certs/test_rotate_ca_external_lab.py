"""`certs rotate-ca` on the external layout (etcd on three dedicated hosts, two control-plane hosts that
hold the etcd CA bundle and the API server's client pair but run no etcd; lab ca-ext, 198.18.27.0/24, one
lab for the module), under the workload: a writer on cp1 using the control plane's own trust file and
client pair, every acknowledged write read back from every member.

Step 1 alone: every host, the control-plane hosts included, trusts the old and the new CA and verify passes.
Then a run is killed (SIGKILL, the tool and the Ansible processes under it) in the middle of step 2's
rollout: one member already restarted with its new certificate, another still waiting for its restart. Run
again, the rotation resumes there and completes: nothing acknowledged is lost, no host trusts the old CA,
verify and `certs` pass."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner.apply.remote_paths import PENDING_RESTART_DIR
from provisioner.cluster.record import certificate_fingerprint
from provisioner.providers.lab import lab_prerequisites_problems
from provisioner.workload import Workload
from tests.apply.labs import LabCluster, topology_of
from tests.backup.labs import backup_lab
from tests.certs.rotation_labs import (
    OLD_CLIENT,
    assert_old_ca_retired,
    assert_resumed_to_the_end,
    certificates_in,
    certs_pass,
    health_with,
    nothing_lost,
    place_old_client,
    rotate_ca,
    verify,
)
from tests.processes import kill_tree, start_provisioner

PROBLEMS = lab_prerequisites_problems()
pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(bool(PROBLEMS), reason="lab cannot run here: " + "; ".join(PROBLEMS)),
]

NAME, SUBNET = "ca-ext", "198.18.27"
CONTROL_PLANE = {f"cp{n}": f"{SUBNET}.{10 + n}" for n in (1, 2)}
MEMBERS = {f"etcd{n}": f"{SUBNET}.{20 + n}" for n in (1, 2, 3)}
HOSTS = {**CONTROL_PLANE, **MEMBERS}
# What each kind of host trusts etcd with (the tree's pki/etcd/ca.crt, or the bundle during a rotation).
TRUST_FILE = {**dict.fromkeys(CONTROL_PLANE, "/etc/kubernetes/pki/etcd/ca.crt"),
              **dict.fromkeys(MEMBERS, "/etc/etcd/pki/ca.crt")}
CLIENT = "/etc/kubernetes/pki/apiserver-etcd-client.crt"
STATE = Path("pki/etcd/ca-rotation.yml")
BUNDLE = Path("pki/etcd/ca-bundle.crt")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
    """The external layout at its smallest: two control-plane hosts, three etcd members, no load balancer
    hosts (the endpoint is an outside address) and no Kubernetes, so apply stays quick."""
    hosts = [{"name": name, "address": address, "roles": ["control_plane" if name in CONTROL_PLANE else "etcd"]}
             for name, address in HOSTS.items()]
    with backup_lab(tmp_path_factory.mktemp("ca-external"), NAME, SUBNET, layout="external", hosts=hosts) as labbed:
        yield labbed


def progress(tree: Path) -> dict[str, Any] | None:
    path = tree / STATE
    return yaml.safe_load(path.read_text()) if path.is_file() else None


def writer(cluster: LabCluster) -> Workload:
    return Workload(topology_of(cluster.cluster_file), cluster.out, writer_host="cp1", probe=False, max_seconds=900)


def snapshots(tree: Path) -> list[Path]:
    return sorted((tree / "snapshots").glob(f"{NAME}-before-ca-rotation-*.db"))


def test_step_one_makes_the_control_plane_hosts_trust_both_cas_and_verify_passes(
        cluster: LabCluster, tmp_path: Path) -> None:
    tree = cluster.out
    client_before = {host: cluster.ssh(host, f"cat {CLIENT}").stdout for host in CONTROL_PLANE}
    place_old_client(cluster, HOSTS)
    with writer(cluster) as workload:
        workload.start()
        workload.wait_for_acknowledged(30, timeout=60)
        started = time.monotonic()
        first = rotate_ca(cluster, "--yes", "--one-step")
        took = time.monotonic() - started
        assert first.exit_code == 0, first.stdout + first.stderr
        assert "step 1 rolled out; stopped there (--one-step)" in first.stdout
        state = progress(tree)
        assert state is not None and (state["step"], state["rolled_out"]) == ("trust-both", True)
        bundle = (tree / BUNDLE).read_text()
        assert bundle.count("BEGIN CERTIFICATE") == 2
        for host, path in TRUST_FILE.items():  # the control-plane hosts' copy too, byte for byte
            assert cluster.ssh(host, f"cat {path}").stdout == bundle, (host, path)
        for host in CONTROL_PLANE:  # their client certificate is still the old CA's until step 2
            assert cluster.ssh(host, f"cat {CLIENT}").stdout == client_before[host], host
        for host, address in MEMBERS.items():
            assert health_with(cluster, host, address, *OLD_CLIENT), host
        # Mid-way, with the writer still writing: verify passes, the recorded CAs found on every host.
        report = tmp_path / "middle.json"
        middle = verify(cluster, "--json", str(report))
        assert middle.exit_code == 0, middle.stdout + middle.stderr
        assert {check["host"] for check in json.loads(report.read_text())["checks"]
                if check["check"] == "installed_cas_are_the_recorded_ones" and check["outcome"] == "passed"
                } == set(HOSTS), middle.stdout
        certs_pass(cluster)  # bundles compared whole
        summary = "; ".join(nothing_lost(workload, MEMBERS, 30).lines()[:3])
    print(f"step 1 on the external layout (2 control-plane hosts, 3 members): {took:.1f} s; {summary}")


def member_progress(cluster: LabCluster, name: str) -> tuple[bool, bool]:
    """(etcd runs with the tree's server certificate: placed, and etcd started since; a restart is pending)."""
    command = ("openssl x509 -in /etc/etcd/pki/server.crt -outform DER | sha256sum; "
               "stat -c %Y /etc/etcd/pki/server.crt; "
               "systemctl show etcd -P ActiveEnterTimestamp --timestamp=unix; "
               f"test -e {PENDING_RESTART_DIR}/etcd && echo pending; true")
    lines = cluster.ssh(name, command).stdout.split()
    tree_fingerprint = certificate_fingerprint(cluster.out / "pki" / "etcd" / "members" / name / "server.crt")
    placed, started = int(lines[2]), int(lines[3].lstrip("@"))
    return f"sha256:{lines[0]}" == tree_fingerprint and started >= placed, "pending" in lines


def members_progress(cluster: LabCluster) -> dict[str, tuple[bool, bool]]:
    with ThreadPoolExecutor(max_workers=len(MEMBERS)) as pool:
        return dict(zip(MEMBERS, pool.map(lambda name: member_progress(cluster, name), MEMBERS), strict=True))


def mid_reissue(cluster: LabCluster) -> bool:
    """Step 2 is being rolled out: at least one member restarted with its new certificate (nothing pending)
    and at least one still waiting for its restart."""
    state = progress(cluster.out)
    if state is None or (state["step"], state["rolled_out"]) != ("reissue", False):
        return False
    members = members_progress(cluster).values()
    return any(running and not pending for running, pending in members) and any(pending for _, pending in members)


def test_a_rotation_killed_while_reissuing_resumes_and_completes_without_losing_a_write(
        cluster: LabCluster, tmp_path: Path) -> None:
    tree = cluster.out
    place_old_client(cluster, HOSTS)  # signed by the tree's CA, still the old one before step 2
    taken_before = len(snapshots(tree))
    log = tmp_path / "killed-run.log"
    with writer(cluster) as workload:
        workload.start()
        workload.wait_for_acknowledged(30, timeout=60)
        with log.open("wb") as sink:
            process = start_provisioner("certs", "rotate-ca", str(cluster.cluster_file), "--build", str(tree), "--yes",
                                        stdout=sink)
        try:
            deadline = time.monotonic() + 600
            while not mid_reissue(cluster):
                assert process.poll() is None, f"rotate-ca ended before step 2 was half rolled out:\n{log.read_text()}"
                assert time.monotonic() < deadline, f"step 2 never got half rolled out:\n{log.read_text()}"
                time.sleep(0.5)
            killed = kill_tree(process)
        finally:
            if process.poll() is None:
                kill_tree(process)
        assert process.returncode == -signal.SIGKILL, log.read_text()
        assert any("ansible-playbook" in line for line in killed), killed
        assert "step 2 of 3" in log.read_text() and "CA rotation done" not in log.read_text()
        # Really killed in the middle: step 2 not rolled out, members on both sides of their restart.
        state = progress(tree)
        assert state is not None and (state["step"], state["rolled_out"]) == ("reissue", False)
        members = members_progress(cluster)
        assert any(running and not pending for running, pending in members.values()), members
        assert any(pending for _, pending in members.values()), members
        old_ca = state["old_ca"]
        assert len(snapshots(tree)) == taken_before + 1

        started = time.monotonic()
        resumed = rotate_ca(cluster, "--yes")
        took = time.monotonic() - started
        assert_resumed_to_the_end(resumed)
        assert "(resumed: its files are in the build folder)" in resumed.stdout
        summary = "; ".join(nothing_lost(workload, MEMBERS, 60).lines()[:3])
    print(f"rotation resumed after a kill in step 2 on the external layout: {took:.1f} s; {summary}")

    # The resumed run took a snapshot of its own before changing anything.
    assert len(snapshots(tree)) == taken_before + 2
    assert str(snapshots(tree)[-1]) in resumed.stdout.replace("\n", "")
    assert_old_ca_retired(tree, old_ca, resumed.stdout)
    assert not (tree / BUNDLE).exists()
    ca_pem = (tree / "pki" / "etcd" / "ca.crt").read_text()
    for host, path in TRUST_FILE.items():  # the control-plane hosts' files too: the new CA alone
        assert cluster.ssh(host, f"cat {path}").stdout == ca_pem, (host, path)
        assert certificates_in(cluster, host, path) == 1, (host, path)
        refused = cluster.ssh(host, f"openssl verify -CAfile {path} {OLD_CLIENT[0]}", check=False)
        assert refused.returncode != 0, (host, path, refused.stdout)
    for host in CONTROL_PLANE:
        assert cluster.ssh(host, f"cat {CLIENT}").stdout == (tree / "pki" / "etcd" / "apiserver-etcd-client.crt"
                                                             ).read_text(), host
        cluster.ssh(host, f"openssl verify -CAfile {TRUST_FILE[host]} {CLIENT}")
    for host, address in MEMBERS.items():
        assert cluster.ssh(host, f"ls -A {PENDING_RESTART_DIR}", check=False).stdout.strip() == "", host
        assert not health_with(cluster, host, address, *OLD_CLIENT), host
        assert health_with(cluster, host, address, "/etc/etcd/pki/healthcheck-client.crt",
                           "/etc/etcd/pki/healthcheck-client.key"), host
    after = verify(cluster)
    assert after.exit_code == 0, after.stdout + after.stderr
    certs_pass(cluster)
