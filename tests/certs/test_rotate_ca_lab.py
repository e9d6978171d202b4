"""`certs rotate-ca` on a real three-member lab (ca-rotate, 198.18.25.0/24, one lab for the module), under
the workload: a writer on cp1 writing through all three steps, every acknowledged write read back from
every member. Stopped after step 1 (`--one-step`) it shows the bundle on every host and verify passes with
the record naming both CAs; run again it resumes at step 2. Afterwards, checked with openssl and etcdctl on
the hosts: a client certificate signed by the old CA is refused by every member and verifies against no
trust file, while the new health-check certificate is accepted; verify and `certs` pass."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from provisioner.cluster.record import certificate_fingerprint, read_record
from provisioner.providers.lab import lab_prerequisites_problems
from provisioner.workload import Workload
from tests.apply.labs import LabCluster, topology_of
from tests.backup.labs import backup_lab
from tests.certs import rotation_labs
from tests.certs.rotation_labs import (
    assert_old_ca_retired,
    assert_resumed_to_the_end,
    certificates_in,
    certs_pass,
    nothing_lost,
    place_old_client,
    rotate_ca,
    verify,
)

PROBLEMS = lab_prerequisites_problems()
pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(bool(PROBLEMS), reason="lab cannot run here: " + "; ".join(PROBLEMS)),
]

NAME, SUBNET = "ca-rotate", "198.18.25"
MEMBERS = {f"cp{n}": f"{SUBNET}.{10 + n}" for n in (1, 2, 3)}
TRUST_FILES = ("/etc/etcd/pki/ca.crt", "/etc/kubernetes/pki/etcd/ca.crt")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
    with backup_lab(tmp_path_factory.mktemp("rotate"), name=NAME, subnet=SUBNET) as labbed:
        yield labbed


def health_with(cluster: LabCluster, host: str, cert: str, key: str) -> bool:
    return rotation_labs.health_with(cluster, host, MEMBERS[host], cert, key)


def test_without_yes_the_plan_is_shown_and_nothing_changes(cluster: LabCluster) -> None:
    before = cluster.ssh("cp1", "sha256sum /etc/etcd/pki/ca.crt /etc/etcd/pki/server.crt").stdout
    result = rotate_ca(cluster)
    assert result.exit_code == 2 and "re-run with --yes" in result.stderr, result.stdout + result.stderr
    assert "1. issue a new etcd CA beside the old one" in result.stdout
    assert not (cluster.out / "pki" / "etcd" / "ca-rotation.yml").exists()
    assert not (cluster.out / "pki" / "etcd" / "ca-next.crt").exists()
    assert cluster.ssh("cp1", "sha256sum /etc/etcd/pki/ca.crt /etc/etcd/pki/server.crt").stdout == before


def test_rotation_stopped_after_step_one_resumes_loses_no_write_and_the_old_ca_is_trusted_nowhere(
        cluster: LabCluster, tmp_path: Path) -> None:
    tree = cluster.out
    old_ca = certificate_fingerprint(tree / "pki" / "etcd" / "ca.crt")
    place_old_client(cluster, MEMBERS)
    with Workload(topology_of(cluster.cluster_file), tree, writer_host="cp1", probe=False,
                  max_seconds=900) as workload:
        workload.start()
        workload.wait_for_acknowledged(50, timeout=60)
        started = time.monotonic()
        first = rotate_ca(cluster, "--yes", "--one-step")
        assert first.exit_code == 0, first.stdout + first.stderr
        first_took = time.monotonic() - started
        assert "step 1 rolled out; stopped there (--one-step)" in first.stdout
        assert f"{NAME}-before-ca-rotation-" in first.stdout
        progress = yaml.safe_load((tree / "pki" / "etcd" / "ca-rotation.yml").read_text())
        assert (progress["step"], progress["rolled_out"], progress["old_ca"]) == ("trust-both", True, old_ca)
        for host in MEMBERS:  # every trust file holds the old and the new CA; the leaves are still the old CA's
            assert all(certificates_in(cluster, host, path) == 2 for path in TRUST_FILES), host
            assert health_with(cluster, host, "/root/old-client.crt", "/root/old-client.key"), host
        # Mid-way, with the writer still writing: every check passes, the CAs first.
        report = tmp_path / "middle.json"
        middle = verify(cluster, "--json", str(report))
        written = json.loads(report.read_text())
        checks = written["checks"]
        failed = {check["check"] for check in checks if check["outcome"] in ("failed", "error")}
        assert not written["problems"], middle.stdout
        assert middle.exit_code == 0 and failed == set(), middle.stdout
        assert {check["host"] for check in checks if check["check"] == "installed_cas_are_the_recorded_ones"
                and check["outcome"] == "passed"} == set(MEMBERS), middle.stdout

        started = time.monotonic()
        rest = rotate_ca(cluster, "--yes")
        rest_took = time.monotonic() - started
        assert_resumed_to_the_end(rest)
        history = nothing_lost(workload, MEMBERS, 100)
    print(f"CA rotation of 3 members under the workload: step 1 {first_took:.1f} s, steps 2 and 3 "
          f"{rest_took:.1f} s; " + "; ".join(history.lines()[:3]))

    assert old_ca is not None
    assert_old_ca_retired(tree, old_ca, rest.stdout)
    record = read_record(tree)
    assert record is not None
    for host in MEMBERS:
        assert cluster.ssh(host, "cat /var/lib/provisioner/record.yml").stdout == record.to_yaml(), host
        for path in TRUST_FILES:
            assert certificates_in(cluster, host, path) == 1, (host, path)
            refused = cluster.ssh(host, f"openssl verify -CAfile {path} /root/old-client.crt", check=False)
            assert refused.returncode != 0, (host, path, refused.stdout)
        assert not health_with(cluster, host, "/root/old-client.crt", "/root/old-client.key"), host
        assert health_with(cluster, host, "/etc/etcd/pki/healthcheck-client.crt",
                           "/etc/etcd/pki/healthcheck-client.key"), host
    after = verify(cluster)
    assert after.exit_code == 0, after.stdout + after.stderr
    certs_pass(cluster)
