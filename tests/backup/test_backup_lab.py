"""Backups on a real three-member lab cluster (one lab shared by the module).

`provisioner etcd snapshot`: the file here is a snapshot etcd accepts, holding every key written before
it, described truthfully by its JSON; a stopped member is passed over. Scheduled backups (etcd.backup):
the timer takes snapshots etcd accepts and keeps the newest `keep`; verify passes, and fails naming the
host when the timer stops or the snapshots grow old. Checked with etcd's own etcdutl, its JSON gateway,
systemctl and ls, not our code."""

from __future__ import annotations

import hashlib
import http.client
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner.providers.lab import lab_prerequisites_problems
from provisioner.providers.lab.image import DEFAULT_CACHE_ROOT, ImageSpec, image_rootfs
from tests.apply.labs import LabCluster
from tests.backup.etcd_http import digest, etcd_http, plain_everything, varied_pairs
from tests.backup.labs import backup_lab
from tests.conftest import CliResult, run_cli

BACKUP = {"schedule": "1m", "keep": 2, "folder": "/var/backups/etcd"}
PROBLEMS = lab_prerequisites_problems()
pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(bool(PROBLEMS), reason="lab cannot run here: " + "; ".join(PROBLEMS)),
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
    with backup_lab(tmp_path_factory.mktemp("backup"), backup=BACKUP) as labbed:
        yield labbed


@pytest.fixture(scope="module")
def written(cluster: LabCluster) -> dict[bytes, bytes]:
    pairs = varied_pairs(2000)
    with etcd_http(cluster.etcd_members[0]["address"], cluster.out) as client:
        for key, value in pairs.items():
            client.put(key, value)
    return pairs


def etcdutl_status(snapshot: Path) -> dict[str, int]:
    etcdutl = image_rootfs(DEFAULT_CACHE_ROOT, ImageSpec()) / "usr/bin/etcdutl"
    result = subprocess.run([str(etcdutl), "--write-out=json", "snapshot", "status", str(snapshot)],
                            capture_output=True, text=True, check=True)
    return dict(json.loads(result.stdout))


def restored_pairs(snapshot: Path, folder: Path) -> dict[bytes, bytes]:
    """Every key in the snapshot: restore it with etcdutl into a data dir here, read it with etcd itself."""
    rootfs = image_rootfs(DEFAULT_CACHE_ROOT, ImageSpec())
    data_dir = folder / "restored"
    subprocess.run([str(rootfs / "usr/bin/etcdutl"), "snapshot", "restore", str(snapshot), "--data-dir",
                    str(data_dir), "--name", "check", "--initial-cluster", "check=http://127.0.0.1:23990",
                    "--initial-advertise-peer-urls", "http://127.0.0.1:23990"], capture_output=True, check=True)
    etcd = subprocess.Popen([str(rootfs / "usr/bin/etcd"), "--name", "check", "--data-dir", str(data_dir),
                             "--listen-client-urls", "http://127.0.0.1:23989",
                             "--advertise-client-urls", "http://127.0.0.1:23989",
                             "--listen-peer-urls", "http://127.0.0.1:23990",
                             "--initial-advertise-peer-urls", "http://127.0.0.1:23990",
                             "--initial-cluster", "check=http://127.0.0.1:23990"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return plain_everything(23989)
    finally:
        etcd.terminate()
        etcd.wait(timeout=30)


def test_a_snapshot_holds_every_key_and_its_json_tells_the_truth(
        cluster: LabCluster, written: dict[bytes, bytes], tmp_path: Path) -> None:
    with etcd_http(cluster.etcd_members[1]["address"], cluster.out) as client:
        status = client.status()
    snapshot = tmp_path / "s.db"

    result = run_cli("etcd", "snapshot", str(cluster.cluster_file), "--out", str(snapshot), "--build",
                     str(cluster.out))

    assert result.exit_code == 0, result.stdout + result.stderr
    described = json.loads(snapshot.with_suffix(".json").read_text())
    assert described["sha256"] == hashlib.sha256(snapshot.read_bytes()).hexdigest()
    assert described["size"] == snapshot.stat().st_size
    assert described["cluster"] == "lc-backup"
    assert described["cluster_id"] == f"{int(status['header']['cluster_id']):x}"
    assert described["etcd_version"] == status["version"]
    assert described["taken_from"] == "cp1"
    assert sorted(m["name"] for m in described["members"]) == ["cp1", "cp2", "cp3"]
    assert {url for m in described["members"] for url in m["peer_urls"]} == {
        f"https://{m['address']}:2380" for m in cluster.etcd_members}
    etcd_says = etcdutl_status(snapshot)
    assert described["revision"] == etcd_says["revision"] >= int(status["header"]["revision"])
    assert described["total_keys"] == etcd_says["totalKey"]
    assert snapshot.stat().st_mode & 0o777 == 0o600
    restored = restored_pairs(snapshot, tmp_path)
    assert digest({k: v for k, v in restored.items() if k in written}) == digest(written)
    assert cluster.ssh("cp1", "ls -A /var/lib/provisioner/snapshot-staging").stdout == ""


def test_a_stopped_member_is_passed_over(cluster: LabCluster, written: dict[bytes, bytes], tmp_path: Path) -> None:
    cluster.ssh("cp1", "systemctl stop etcd")
    try:
        result = run_cli("etcd", "snapshot", str(cluster.cluster_file), "--out", str(tmp_path / "s.db"),
                         "--build", str(cluster.out))
    finally:
        cluster.ssh("cp1", "systemctl start etcd")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads((tmp_path / "s.json").read_text())["taken_from"] == "cp2"
    assert etcdutl_status(tmp_path / "s.db")["totalKey"] >= len(written)


def test_an_existing_snapshot_is_not_overwritten(cluster: LabCluster, tmp_path: Path) -> None:
    (tmp_path / "s.db").write_bytes(b"kept")
    result = run_cli("etcd", "snapshot", str(cluster.cluster_file), "--out", str(tmp_path / "s.db"),
                     "--build", str(cluster.out))
    assert result.exit_code == 2
    assert "already there" in result.stderr
    assert (tmp_path / "s.db").read_bytes() == b"kept"


def scheduled_snapshots(cluster: LabCluster, host: str) -> list[str]:
    listing = cluster.ssh(host, f"ls -1 {BACKUP['folder']}", check=False).stdout.split()
    return sorted(name for name in listing if name.startswith("lc-backup-") and name.endswith(".db"))


def verify(cluster: LabCluster, folder: Path) -> tuple[int, list[dict[str, Any]]]:
    report = folder / "verify.json"
    result = run_cli("verify", str(cluster.cluster_file), "--out", str(cluster.out), "--json", str(report))
    checks = json.loads(report.read_text())["checks"]
    return result.exit_code, [check for check in checks if check["check"].startswith("backup_timer")
                              or check["check"].startswith("newest_backup")]


def test_the_timer_takes_a_first_snapshot_on_every_member_and_verify_passes(
        cluster: LabCluster, tmp_path: Path) -> None:
    deadline = time.monotonic() + 60
    while not all(scheduled_snapshots(cluster, m["name"]) for m in cluster.etcd_members):
        assert time.monotonic() < deadline, "no scheduled snapshot on some member within 60 s of apply"
        time.sleep(2)
    exit_code, checks = verify(cluster, tmp_path)
    assert exit_code == 0, checks
    assert sorted((c["host"], c["check"], c["outcome"]) for c in checks) == sorted(
        (m["name"], check, "passed") for m in cluster.etcd_members
        for check in ("backup_timer_active_and_enabled", "newest_backup_younger_than_two_periods"))


def test_only_the_newest_snapshots_are_kept_and_etcd_accepts_them(cluster: LabCluster) -> None:
    for _ in range(3):
        cluster.ssh("cp2", "systemctl start etcd-backup.service")
        time.sleep(1.1)  # names carry the second
    kept = scheduled_snapshots(cluster, "cp2")
    assert len(kept) == BACKUP["keep"], kept
    for name in kept:
        status = json.loads(cluster.ssh("cp2", f"etcdutl -w json snapshot status {BACKUP['folder']}/{name}").stdout)
        assert status["totalKey"] > 0
    mode = cluster.ssh("cp2", f"stat -c %a {BACKUP['folder']}/{kept[-1]}").stdout.strip()
    assert mode == "600"


def test_verify_names_the_member_whose_timer_stopped_or_whose_snapshots_are_old(
        cluster: LabCluster, tmp_path: Path) -> None:
    cluster.ssh("cp3", "systemctl stop etcd-backup.timer")
    cluster.ssh("cp1", "systemctl stop etcd-backup.timer && touch -d '-3 minutes' /var/backups/etcd/*.db")
    try:
        exit_code, checks = verify(cluster, tmp_path)
    finally:
        cluster.ssh("cp1", "systemctl start etcd-backup.timer")
        cluster.ssh("cp3", "systemctl start etcd-backup.timer")
    failed = sorted((c["host"], c["check"]) for c in checks if c["outcome"] == "failed")
    assert exit_code == 1
    assert failed == [("cp1", "backup_timer_active_and_enabled"), ("cp1", "newest_backup_younger_than_two_periods"),
                      ("cp3", "backup_timer_active_and_enabled")]
    assert next(c for c in checks if c["host"] == "cp1" and c["check"].startswith("newest"))["found"].endswith(
        "is 3 minutes old")



class Writer(threading.Thread):
    """Writes sequential keys until stopped, moving to the next member when one fails, as a client does;
    remembers every acknowledged write."""

    def __init__(self, cluster: LabCluster) -> None:
        super().__init__(daemon=True)
        self.addresses = [m["address"] for m in cluster.etcd_members]
        self.tree = cluster.out
        self.acknowledged: dict[bytes, bytes] = {}
        self.failures = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        index, member = 0, 0
        while not self.stopping.is_set():
            try:
                with etcd_http(self.addresses[member], self.tree) as client:
                    while not self.stopping.is_set():
                        key, value = f"/lc/writer/{index:07d}".encode(), f"value {index}".encode()
                        client.put(key, value)
                        self.acknowledged[key] = value
                        index += 1
            except (OSError, AssertionError, http.client.HTTPException):
                self.failures += 1
                member = (member + 1) % len(self.addresses)
                time.sleep(0.05)


def certs(cluster: LabCluster, *arguments: str) -> CliResult:
    return run_cli("certs", *arguments, str(cluster.cluster_file), "--build", str(cluster.out))


def test_certs_lists_every_certificate_and_fails_on_one_that_differs_from_the_tree(cluster: LabCluster) -> None:
    listed = certs(cluster)
    assert listed.exit_code == 0, listed.stdout + listed.stderr
    for path in ("/etc/etcd/pki/server.crt", "/etc/etcd/pki/peer.crt", "/etc/kubernetes/pki/apiserver-etcd-client.crt"):
        assert path in listed.stdout
    wrong = "/etc/kubernetes/pki/apiserver-etcd-client.crt"
    cluster.ssh("cp2", f"cp {wrong} /root/kept.crt && cp /etc/etcd/pki/healthcheck-client.crt {wrong}")
    try:
        differs = certs(cluster)
    finally:
        cluster.ssh("cp2", f"mv /root/kept.crt {wrong}")
    assert differs.exit_code == 1
    assert differs.stderr.startswith(f"error: cp2: {wrong}: differs from the tree (certificate 1 of 1: CN=")
    assert differs.stderr.count("\n") == 1, differs.stderr


def test_renewing_every_leaf_loses_no_acknowledged_write(cluster: LabCluster) -> None:
    serial = "openssl x509 -noout -serial -in /etc/etcd/pki/server.crt"
    before = {m["name"]: cluster.ssh(m["name"], serial).stdout for m in cluster.etcd_members}
    writer = Writer(cluster)
    writer.start()
    try:
        time.sleep(1)
        renewed = certs(cluster, "renew", "--yes")
        time.sleep(1)
    finally:
        writer.stopping.set()
        writer.join(timeout=30)
    assert renewed.exit_code == 0, renewed.stdout + renewed.stderr
    assert "lc-backup-before-renewal-" in renewed.stdout
    assert len(writer.acknowledged) > 100
    for member in cluster.etcd_members:
        assert cluster.ssh(member["name"], serial).stdout != before[member["name"]]
        with etcd_http(member["address"], cluster.out) as client:
            _, pairs = client.everything()
        lost = [key for key, value in writer.acknowledged.items() if pairs.get(key) != value]
        assert not lost, f"{member['name']}: {len(lost)} acknowledged writes missing, first {lost[0]!r}"
    assert certs(cluster).exit_code == 0

def member_contents(cluster: LabCluster) -> dict[str, tuple[int, str, int]]:
    """Per member: (revision, digest of the keys under /lc/, cluster ID), each read from that member alone."""
    contents = {}
    for member in cluster.etcd_members:
        with etcd_http(member["address"], cluster.out) as client:
            revision, pairs = client.everything()
            cluster_id = int(client.status()["header"]["cluster_id"])
        contents[member["name"]] = (revision, digest({k: v for k, v in pairs.items() if k.startswith(b"/lc/")}),
                                    cluster_id)
    return contents


def restore(cluster: LabCluster, snapshot: Path) -> None:
    result = run_cli("etcd", "restore", str(cluster.cluster_file), str(snapshot), "--yes", "--build",
                     str(cluster.out))
    assert result.exit_code == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def snapshot_of_written(cluster: LabCluster, written: dict[bytes, bytes],
                        tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[int, str, int]]]:
    """A snapshot holding the written keys, and what every member held when it was taken."""
    snapshot = tmp_path_factory.mktemp("restore") / "before.db"
    before = member_contents(cluster)
    result = run_cli("etcd", "snapshot", str(cluster.cluster_file), "--out", str(snapshot), "--build",
                     str(cluster.out))
    assert result.exit_code == 0, result.stdout + result.stderr
    return snapshot, before


def test_a_corrupted_snapshot_is_refused_and_nothing_changes(
        cluster: LabCluster, snapshot_of_written: tuple[Path, dict[str, tuple[int, str, int]]],
        tmp_path: Path) -> None:
    snapshot, _ = snapshot_of_written
    damaged = tmp_path / "damaged.db"
    data = bytearray(snapshot.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    shutil.copy(snapshot.with_suffix(".json"), damaged.with_suffix(".json"))
    before = member_contents(cluster)
    result = run_cli("etcd", "restore", str(cluster.cluster_file), str(damaged), "--yes", "--build",
                     str(cluster.out))
    assert result.exit_code == 2
    assert "the file is damaged" in result.stderr
    assert member_contents(cluster) == before


def test_restore_on_a_running_cluster_brings_back_the_snapshot_and_keeps_the_old_data_aside(
        cluster: LabCluster, snapshot_of_written: tuple[Path, dict[str, tuple[int, str, int]]]) -> None:
    snapshot, before = snapshot_of_written
    with etcd_http(cluster.etcd_members[0]["address"], cluster.out) as client:
        client.put(b"/lc/after-the-snapshot", b"gone after the restore")

    restore(cluster, snapshot)

    after = member_contents(cluster)
    old_revision, old_digest, old_id = before["cp1"]
    for name, (revision, content, cluster_id) in after.items():
        assert content == old_digest, f"{name}: keys differ from the snapshot's"
        assert revision >= old_revision, name
        assert cluster_id != old_id, f"{name}: the restored cluster kept the old cluster ID"
    assert len({cluster_id for _, _, cluster_id in after.values()}) == 1
    for member in cluster.etcd_members:
        aside = cluster.ssh(member["name"], "ls -d /var/lib/etcd.before-restore-*/member").stdout.split()
        assert len(aside) == 1, aside
    assert list((cluster.out / "snapshots").glob("lc-backup-before-restore-*.db"))
    recorded = json.loads((cluster.out / "etcd-cluster.json").read_text())
    assert int(recorded["cluster_id"], 16) == after["cp1"][2]
    assert_record_names_the_running_cluster(cluster, after["cp1"][2])


def assert_record_names_the_running_cluster(cluster: LabCluster, cluster_id: int) -> None:
    """record.yml in the build folder names the cluster ID the members report, and every member holds it."""
    text = (cluster.out / "record.yml").read_text()
    assert int(yaml.safe_load(text)["etcd_cluster_id"], 16) == cluster_id
    for member in cluster.etcd_members:
        assert cluster.ssh(member["name"], "cat /var/lib/provisioner/record.yml").stdout == text, member["name"]


def test_restore_onto_fresh_machines_after_a_total_loss(
        cluster: LabCluster, snapshot_of_written: tuple[Path, dict[str, tuple[int, str, int]]]) -> None:
    snapshot, before = snapshot_of_written
    cluster.lab.down()
    cluster.lab.up()
    assert cluster.ssh("cp1", "ls -A /var/lib/etcd 2>/dev/null || true").stdout == ""

    refused = cluster.apply()
    assert refused.exit_code == 2, refused.stdout + refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert f"`provisioner etcd restore {cluster.cluster_file} SNAPSHOT --yes`" in refused.stderr
    for member in cluster.etcd_members:  # nothing was installed, started or bootstrapped
        assert cluster.ssh(member["name"], "systemctl is-active etcd", check=False).stdout.strip() != "active"
        assert cluster.ssh(member["name"], "ls -A /var/lib/etcd 2>/dev/null || true").stdout == ""

    restore(cluster, snapshot)  # exit 0 includes verify passing

    old_revision, old_digest, _ = before["cp1"]
    for name, (revision, content, _) in member_contents(cluster).items():
        assert content == old_digest, f"{name}: keys differ from the snapshot's"
        assert revision >= old_revision, name
    timers = cluster.ssh("cp2", "systemctl is-active etcd-backup.timer").stdout.strip()
    assert timers == "active"
    assert_record_names_the_running_cluster(cluster, member_contents(cluster)["cp1"][2])
    again = cluster.apply()
    assert again.exit_code == 0, again.stdout + again.stderr
