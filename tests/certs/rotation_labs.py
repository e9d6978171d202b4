"""What the CA rotation lab tests share: on the hosts, a client certificate the old CA signs, the certificates
of a trust file, a member's health asked with a given client certificate; the end of a rotation as the
command, the build folder and the writer show it."""

from __future__ import annotations

import shlex
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from provisioner.cluster.record import certificate_fingerprint, read_record
from provisioner.render.pki import store
from provisioner.render.pki.issue import LeafProfile, issue_leaf
from provisioner.render.secrets import pki_folders
from provisioner.workload import HistoryReport, Workload, check_history
from tests.apply.labs import LabCluster
from tests.conftest import CliResult, run_cli

ETCDCTL = "ETCDCTL_API=3 etcdctl --dial-timeout=3s --command-timeout=5s"
OLD_CLIENT = ("/root/old-client.crt", "/root/old-client.key")


def rotate_ca(cluster: LabCluster, *words: str) -> CliResult:
    return run_cli("certs", "rotate-ca", str(cluster.cluster_file), "--build", str(cluster.out), *words)


def verify(cluster: LabCluster, *words: str) -> CliResult:
    return run_cli("verify", str(cluster.cluster_file), "--out", str(cluster.out), *words)


def certs_pass(cluster: LabCluster) -> None:
    """`certs` finds every certificate on every host as the tree has it, none expiring soon."""
    listed = run_cli("certs", str(cluster.cluster_file), "--build", str(cluster.out))
    assert listed.exit_code == 0, listed.stdout + listed.stderr


def place_old_client(cluster: LabCluster, hosts: Iterable[str]) -> None:
    """A client certificate the tree's etcd CA (the one about to be replaced) signs, on every host as
    /root/old-client.{crt,key}."""
    ca = store.read_pair(*pki_folders(cluster.out).pair("etcd/ca"), required=True)
    assert ca is not None
    pair = issue_leaf(LeafProfile("old-client", "old-ca-client"), ca, "ecdsa-p256", datetime.now(UTC))
    certificate = pair.certificate.public_bytes(Encoding.PEM).decode()
    key = store.key_pem(pair.key).decode()
    for host in hosts:
        cluster.ssh(host, f"umask 077; printf %s {shlex.quote(certificate)} > {OLD_CLIENT[0]}; "
                          f"printf %s {shlex.quote(key)} > {OLD_CLIENT[1]}")


def certificates_in(cluster: LabCluster, host: str, path: str) -> int:
    return int(cluster.ssh(host, f"grep -c 'BEGIN CERTIFICATE' {path}").stdout.strip())


def health_with(cluster: LabCluster, host: str, address: str, cert: str, key: str) -> bool:
    """Whether the member at `address` answers a health request from `host` made with this client pair."""
    command = (f"{ETCDCTL} --cacert /etc/etcd/pki/ca.crt --cert {cert} --key {key} "
               f"--endpoints https://{address}:2379 endpoint health")
    return cluster.ssh(host, command, check=False).returncode == 0


def assert_resumed_to_the_end(result: CliResult) -> None:
    """`rotate-ca --yes` run again after a stop in step 1 or 2: its plan starts at step 2 and the rotation ends."""
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "2. re-issue every etcd leaf" in result.stdout and "1. issue a new etcd CA" not in result.stdout
    assert "CA rotation done; the old CA is kept in" in result.stdout


def assert_old_ca_retired(tree: Path, old_ca: str, output: str) -> str:
    """The build folder after the rotation: the old CA (key 0600) in retired/ and named in `output`, no
    progress file, the record naming the new CA alone; returns the new CA's fingerprint."""
    new_ca = certificate_fingerprint(tree / "pki" / "etcd" / "ca.crt")
    assert new_ca and new_ca != old_ca
    retired = list((tree / "pki" / "etcd" / "retired").glob("ca-*.crt"))
    assert [certificate_fingerprint(path) for path in retired] == [old_ca]
    key = tree / "secrets" / "pki" / "etcd" / "retired" / retired[0].with_suffix(".key").name
    assert key.stat().st_mode & 0o777 == 0o600
    assert str(retired[0]) in output.replace("\n", "") and str(key) in output.replace("\n", "")
    assert not (tree / "pki" / "etcd" / "ca-rotation.yml").exists()
    record = read_record(tree)
    assert record is not None and (record.ca.etcd, record.ca.etcd_rotation) == (new_ca, None)
    return new_ca


def nothing_lost(workload: Workload, members: dict[str, str], minimum: int) -> HistoryReport:
    """Stops the writer, reads its keys back from every member (name -> address) and removes them: every
    acknowledged write is there."""
    time.sleep(1)
    attempts = workload.stop()
    reads = workload.read_back({name: f"https://{address}:2379" for name, address in members.items()})
    workload.remove_keys()
    report = check_history(attempts, reads)
    assert report.ok and report.acknowledged > minimum, "\n".join(report.lines())
    assert not report.lost
    return report
