"""`provisioner apply` on real lab machines, both layouts: etcd forms one TLS-only cluster, every
control-plane host reaches it with its client certificate, haproxy and the VIP serve the endpoint, and a
second apply changes nothing. On the external layout also: switching etcd to a release tarball from a
local mirror restarts members one at a time and keeps the data; an unreachable host fails the run with
one line, and the run completes once the host is back. Checks use etcdctl, curl, ss and ip on the
machines, and TLS from this machine, never apply's own code.

One lab per layout, shared by the tests of that layout; needs root and the lab tools."""

from __future__ import annotations

import http.client
import itertools
import json
import ssl
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner.providers.lab import lab_prerequisites_problems
from provisioner.providers.lab.image import DEFAULT_CACHE_ROOT, ImageSpec, image_rootfs
from tests.apply.labs import LabCluster, changed_per_host, lab_cluster_file, lab_for, topology_of
from tests.apply.mirror import build_release, serve

PROBLEMS = lab_prerequisites_problems()
pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(bool(PROBLEMS), reason="lab cannot run here: " + "; ".join(PROBLEMS)),
]

ETCDCTL_TLS = "--cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/healthcheck-client.crt " \
              "--key /etc/etcd/pki/healthcheck-client.key"


LAYOUT_EXAMPLES = ["lab-stacked", "lab-external"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each test runs on every example unless marked `examples(...)`; one lab per example serves them all."""
    marker = metafunc.definition.get_closest_marker("examples")
    examples = list(marker.args) if marker else LAYOUT_EXAMPLES
    if "cluster" in metafunc.fixturenames:
        metafunc.parametrize("cluster", examples, indirect=True, scope="module")


@pytest.fixture(scope="module")
def cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
    root = tmp_path_factory.mktemp(request.param)
    cluster_file = lab_cluster_file(request.param, root / "clusters", root / "labs")
    lab = lab_for(topology_of(cluster_file), root / "labs")
    try:
        lab.up()
        labbed = LabCluster(request.param, cluster_file, lab, root / "build", {})
        labbed.reload()
        yield labbed
    finally:
        lab.down()


@pytest.fixture(scope="module")
def first_apply(cluster: LabCluster) -> Path:
    report = cluster.out.parent / "first.json"
    result = cluster.apply(report)
    assert result.exit_code == 0, result.stdout + result.stderr
    return report


def etcdctl(cluster: LabCluster, member: dict[str, Any], arguments: str) -> str:
    """etcdctl on the member itself, with the member's certificates, against its own address."""
    endpoint = f"https://{member['address']}:2379"
    return cluster.ssh(member["name"], f"etcdctl --endpoints={endpoint} {ETCDCTL_TLS} {arguments}").stdout


def test_first_apply_changes_every_host(cluster: LabCluster, first_apply: Path) -> None:
    changed = changed_per_host(first_apply)
    assert sorted(changed) == sorted(host["name"] for host in cluster.data["hosts"])
    assert all(count > 0 for count in changed.values()), changed


def test_every_member_lists_exactly_the_expected_peers(cluster: LabCluster, first_apply: Path) -> None:
    expected = sorted(f"https://{member['address']}:2380" for member in cluster.etcd_members)
    for member in cluster.etcd_members:
        listed = json.loads(etcdctl(cluster, member, "member list --write-out=json"))["members"]
        assert sorted(url for entry in listed for url in entry["peerURLs"]) == expected, member["name"]
        assert sorted(entry["name"] for entry in listed) == sorted(m["name"] for m in cluster.etcd_members)


def test_every_endpoint_is_healthy(cluster: LabCluster, first_apply: Path) -> None:
    endpoints = ",".join(f"https://{member['address']}:2379" for member in cluster.etcd_members)
    member = cluster.etcd_members[0]
    health = json.loads(cluster.ssh(member["name"], f"etcdctl --endpoints={endpoints} {ETCDCTL_TLS} "
                                                    "endpoint health --write-out=json").stdout)
    assert len(health) == len(cluster.etcd_members) and all(entry["health"] for entry in health), health


def test_a_key_written_on_one_member_is_read_on_another(cluster: LabCluster, first_apply: Path) -> None:
    writer, reader = cluster.etcd_members[0], cluster.etcd_members[-1]
    key, value = f"/ap-test/{uuid.uuid4().hex}", uuid.uuid4().hex
    etcdctl(cluster, writer, f"put {key} {value}")
    assert etcdctl(cluster, reader, f"get {key} --print-value-only").strip() == value


def _health_over_tls(url: str, context: ssl.SSLContext) -> str:
    with urllib.request.urlopen(url, context=context, timeout=5) as response:
        return str(response.read().decode())


def test_the_client_port_refuses_plain_http_and_tls_without_a_client_certificate(
        cluster: LabCluster, first_apply: Path) -> None:
    pki, keys = cluster.out / "pki/etcd", cluster.out / "secrets/pki/etcd"
    for member in cluster.etcd_members:
        url = f"https://{member['address']}:2379/health"
        with_certificate = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        with_certificate.load_cert_chain(str(pki / "healthcheck-client.crt"), str(keys / "healthcheck-client.key"))
        assert '"health":"true"' in _health_over_tls(url, with_certificate)
        without_certificate = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        with pytest.raises(OSError):
            _health_over_tls(url, without_certificate)
        plain = http.client.HTTPConnection(member["address"], 2379, timeout=5)
        try:
            plain.request("GET", "/health")
            response = plain.getresponse()
            assert response.status != 200, f"{member['name']} answered plain HTTP"
        except OSError:
            pass
        finally:
            plain.close()


def test_each_control_plane_host_reaches_every_member_with_its_apiserver_client_certificate(
        cluster: LabCluster, first_apply: Path) -> None:
    tls = "--cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/apiserver-etcd-client.crt " \
          "--key /etc/kubernetes/pki/apiserver-etcd-client.key"
    for host in cluster.hosts_with("control_plane"):
        for member in cluster.etcd_members:
            answer = cluster.ssh(host["name"], f"curl -sS --max-time 5 {tls} https://{member['address']}:2379/health")
            assert '"health":"true"' in answer.stdout, f"{host['name']} -> {member['name']}: {answer.stdout}"


def test_haproxy_listens_on_the_endpoint_port_and_exactly_one_load_balancer_holds_the_vip(
        cluster: LabCluster, first_apply: Path) -> None:
    port = cluster.data["endpoint"]["port"]
    holders = []
    for balancer in cluster.hosts_with("load_balancer"):
        listening = cluster.ssh(balancer["name"], f"ss -Htlnp 'sport = :{port}'").stdout
        assert "haproxy" in listening, f"{balancer['name']}: nothing of haproxy's on port {port}"
        if cluster.ssh(balancer["name"], f"ip -o -4 address show to {cluster.vip}").stdout.strip():
            holders.append(balancer["name"])
    assert len(holders) == 1, f"VIP {cluster.vip} held by {holders}"


def test_a_second_apply_changes_nothing(cluster: LabCluster, first_apply: Path) -> None:
    report = cluster.out.parent / "second.json"
    result = cluster.apply(report)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert changed_per_host(report) == {host["name"]: 0 for host in cluster.data["hosts"]}


def test_no_key_or_password_appears_in_the_artifacts(cluster: LabCluster, first_apply: Path) -> None:
    secrets = [(cluster.out / "secrets/keepalived-auth-pass").read_text().strip()]
    if cluster.data["kubernetes"].get("encrypt_secrets"):
        secrets.append((cluster.out / "secrets/secrets-encryption-key").read_text().strip())
    keys = list((cluster.out / "secrets/pki").rglob("*.key"))
    assert keys
    for key in keys:
        secrets += [line for line in key.read_text().splitlines() if line and not line.startswith("-----")]
    artifacts = [path for path in (cluster.out / "runs").rglob("*") if path.is_file()]
    assert artifacts
    for path in artifacts:
        text = path.read_text(errors="replace")
        assert "PRIVATE KEY" not in text, path
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, f"{path} holds secret material"


@pytest.mark.examples("lab-stacked")
def test_the_apiserver_hardening_files_are_on_every_control_plane_host_only(
        cluster: LabCluster, first_apply: Path) -> None:
    key = (cluster.out / "secrets/secrets-encryption-key").read_text().strip()
    for host in cluster.data["hosts"]:
        found = cluster.ssh(host["name"], "stat -c '%a %U' /etc/kubernetes/encryption/config.yaml "
                                          "/etc/kubernetes/audit/policy.yaml", check=False).stdout.split("\n")
        if "control_plane" in host["roles"]:
            assert found[:2] == ["600 root", "644 root"], host["name"]
            placed = cluster.ssh(host["name"], "cat /etc/kubernetes/encryption/config.yaml").stdout
            assert yaml.safe_load(placed)["resources"][0]["providers"][0]["aescbc"]["keys"][0]["secret"] == key
        else:
            assert found == [""], host["name"]


def _etcd_timestamps(cluster: LabCluster, member: dict[str, Any]) -> tuple[int, int]:
    """(stopped, ready) of the member's etcd service in CLOCK_MONOTONIC, which lab machines share."""
    shown = cluster.ssh(member["name"], "systemctl show etcd --property=InactiveEnterTimestampMonotonic "
                                        "--property=ActiveEnterTimestampMonotonic").stdout
    values = dict(line.split("=", 1) for line in shown.split())
    return int(values["InactiveEnterTimestampMonotonic"]), int(values["ActiveEnterTimestampMonotonic"])


@pytest.mark.examples("lab-external")
def test_switching_to_a_release_tarball_restarts_members_one_at_a_time_and_keeps_the_data(
        cluster: LabCluster, first_apply: Path, tmp_path: Path) -> None:
    release = build_release(image_rootfs(DEFAULT_CACHE_ROOT, ImageSpec()), tmp_path / "mirror")
    members = cluster.etcd_members
    key, value = f"/ap-test/{uuid.uuid4().hex}", uuid.uuid4().hex
    etcdctl(cluster, members[0], f"put {key} {value}")
    ids_before = sorted(entry["ID"] for entry in json.loads(
        etcdctl(cluster, members[0], "member list --write-out=json"))["members"])
    with serve(release.archive.parent, str(cluster.lab.bridge_address)) as mirror:
        lab_cluster_file(cluster.example, cluster.cluster_file.parent.parent, cluster.out.parent / "labs", etcd={
            "install": "release", "version": release.version,
            "release": {"url": f"{mirror}/{release.archive.name}", "sha256": release.sha256}})
        cluster.reload()
        result = cluster.apply()
        assert result.exit_code == 0, result.stdout + result.stderr
        report = cluster.out.parent / "release-again.json"
        again = cluster.apply(report)
        assert again.exit_code == 0, again.stdout + again.stderr
    assert changed_per_host(report) == {host["name"]: 0 for host in cluster.data["hosts"]}
    for member in members:
        unit = cluster.ssh(member["name"], "systemctl show etcd --property=ExecStart").stdout
        assert "/usr/local/bin/etcd " in unit, member["name"]
        assert etcdctl(cluster, member, f"get {key} --print-value-only").strip() == value
    ids_after = sorted(entry["ID"] for entry in json.loads(
        etcdctl(cluster, members[0], "member list --write-out=json"))["members"])
    assert ids_after == ids_before, "the cluster was bootstrapped again"
    restarts = sorted(_etcd_timestamps(cluster, member) for member in members)
    for (_, ready), (stopped, _) in itertools.pairwise(restarts):
        assert stopped >= ready, f"a member stopped before the previous one was ready again: {restarts}"


@pytest.mark.examples("lab-external")
def test_an_unreachable_host_fails_the_run_with_one_line_and_a_rerun_completes(
        cluster: LabCluster, first_apply: Path) -> None:
    victim = cluster.etcd_members[1]["name"]
    cluster.lab.stop(victim)
    try:
        failed = cluster.apply()
    finally:
        cluster.lab.start(victim)
    assert failed.exit_code == 1
    errors = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, failed.stderr
    assert errors[0].startswith(f"error: {victim}: Read the live state: unreachable"), errors[0]
    result = cluster.apply()
    assert result.exit_code == 0, result.stdout + result.stderr


@pytest.mark.examples("lab-external")
def test_a_member_that_lost_its_data_is_refused_not_bootstrapped_again(
        cluster: LabCluster, first_apply: Path) -> None:
    """Last on purpose: it leaves one member without data, which only a member replacement repairs.
    The plan refuses it before any host changes (exit 2) and names the command that replaces it."""
    victim = cluster.etcd_members[2]
    data_dir = cluster.data.get("etcd", {}).get("data_dir", "/var/lib/etcd")
    cluster.ssh(victim["name"], f"systemctl stop etcd && rm -rf {data_dir}/member")
    result = cluster.apply()
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"error: {victim['name']}: the cluster knows it as member "), errors[0]
    assert errors[0].endswith(f"`provisioner etcd replace {cluster.cluster_file} {victim['name']}`"), errors[0]
    assert cluster.ssh(victim["name"], "systemctl is-active etcd", check=False).stdout.strip() != "active"
    assert not cluster.ssh(victim["name"], f"ls -A {data_dir}").stdout.strip()
