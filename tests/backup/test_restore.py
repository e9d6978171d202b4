"""`etcd restore` refuses before touching anything (no --yes, a damaged snapshot, another cluster's), and
the commands it gives the members do what they say, run here with sh and the real etcd tools."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from provisioner.backup.metadata import SnapshotMetadata, metadata_path
from provisioner.backup.restore import (
    begin,
    checked_snapshot,
    finish,
    move_aside_command,
    record_restored_cluster,
    restore_command,
)
from provisioner.cluster.load import load_topology
from provisioner.cluster.topology import Topology
from provisioner.errors import UsageError
from tests.backup.conftest import LAB_ETCDUTL, needs_etcd, tools_folder
from tests.backup.test_metadata import EXAMPLE
from tests.conftest import run_cli

CLUSTER = """\
name: lab-stacked
layout: stacked
endpoint: {address: 198.18.0.100, load_balancer: external}
ssh: {private_key: /nonexistent/key}
hosts:
  - {name: cp1, address: 198.18.0.11, roles: [control_plane]}
  - {name: cp2, address: 198.18.0.12, roles: [control_plane]}
  - {name: cp3, address: 198.18.0.13, roles: [control_plane]}
"""


@pytest.fixture
def cluster_file(tmp_path: Path) -> Path:
    path = tmp_path / "cluster.yaml"
    path.write_text(CLUSTER)
    return path


@pytest.fixture
def topology(cluster_file: Path) -> Topology:
    return load_topology(cluster_file)[0]


def described_snapshot(folder: Path, content: bytes = b"snapshot bytes", cluster: str = "lab-stacked") -> Path:
    path = folder / "s.db"
    path.write_bytes(content)
    metadata = SnapshotMetadata(**{**EXAMPLE.__dict__, "cluster": cluster,
                                   "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)})
    metadata_path(path).write_text(metadata.to_json())
    return path


def test_a_described_snapshot_of_this_cluster_is_accepted(topology: Topology, tmp_path: Path) -> None:
    assert checked_snapshot(topology, described_snapshot(tmp_path), allow_other_cluster=False).cluster == "lab-stacked"


def test_a_damaged_snapshot_is_refused(topology: Topology, tmp_path: Path) -> None:
    path = described_snapshot(tmp_path)
    path.write_bytes(b"snapshot bytez")
    with pytest.raises(UsageError, match=r"differs from .* in s\.json; the file is damaged"):
        checked_snapshot(topology, path, allow_other_cluster=False)


def test_a_snapshot_without_its_description_is_refused(topology: Topology, tmp_path: Path) -> None:
    path = described_snapshot(tmp_path)
    metadata_path(path).unlink()
    with pytest.raises(UsageError, match=r"s\.json: missing"):
        checked_snapshot(topology, path, allow_other_cluster=False)


def test_another_clusters_snapshot_needs_the_flag(topology: Topology, tmp_path: Path) -> None:
    path = described_snapshot(tmp_path, cluster="prod")
    with pytest.raises(UsageError, match="snapshot of cluster 'prod', not 'lab-stacked'; add --allow-other-cluster"):
        checked_snapshot(topology, path, allow_other_cluster=False)
    assert checked_snapshot(topology, path, allow_other_cluster=True).cluster == "prod"


@pytest.mark.parametrize("extra", [[], ["--yes"]])
def test_the_cli_refuses_with_exit_2_before_contacting_any_host(cluster_file: Path, tmp_path: Path,
                                                                extra: list[str]) -> None:
    path = described_snapshot(tmp_path)
    if extra:  # with --yes, a damaged file is what stops it
        path.write_bytes(b"damaged")
    result = run_cli("etcd", "restore", str(cluster_file), str(path), *extra, "--build", str(tmp_path / "build"))
    assert result.exit_code == 2
    assert result.stderr.count("error:") == 1
    assert ("re-run with --yes" if not extra else "the file is damaged") in result.stderr
    assert not (tmp_path / "build").exists()


def test_a_rerun_continues_the_unfinished_restore_of_the_same_snapshot(topology: Topology, tmp_path: Path) -> None:
    path = described_snapshot(tmp_path)
    metadata = checked_snapshot(topology, path, allow_other_cluster=False)
    first = begin(tmp_path / "build", topology, path, metadata, datetime(2026, 1, 1, tzinfo=UTC))
    again = begin(tmp_path / "build", topology, path, metadata, datetime(2026, 1, 2, tzinfo=UTC))
    assert (again.restore_id, again.token) == (first.restore_id, first.token) == (
        "20260101T000000Z", "lab-stacked-etcd-20260101t000000z")
    finish(tmp_path / "build")
    later = begin(tmp_path / "build", topology, path, metadata, datetime(2026, 1, 3, tzinfo=UTC))
    assert later.token != first.token


def test_the_record_holds_the_new_cluster_id(topology: Topology, tmp_path: Path) -> None:
    path = described_snapshot(tmp_path)
    restore = begin(tmp_path, topology, path, checked_snapshot(topology, path, allow_other_cluster=False),
                    datetime(2026, 1, 1, tzinfo=UTC))
    record = json.loads(record_restored_cluster(tmp_path, topology, "abc", restore).read_text())
    assert (record["cluster_id"], record["restored"]["previous_cluster_id"]) == ("abc", EXAMPLE.cluster_id)


def test_data_is_moved_aside_never_deleted_and_an_empty_folder_is_only_removed(tmp_path: Path) -> None:
    data, aside = tmp_path / "etcd", str(tmp_path / "etcd.before-restore-x")
    for round_ in range(3):
        (data / "member").mkdir(parents=True)
        (data / "member" / "db").write_text(f"round {round_}")
        subprocess.run(["sh", "-c", move_aside_command(str(data), aside)], check=True)
    assert not data.exists()
    assert [(tmp_path / name / "member" / "db").read_text() for name in
            ("etcd.before-restore-x", "etcd.before-restore-x.1", "etcd.before-restore-x.2")] == [
        "round 0", "round 1", "round 2"]
    data.mkdir()
    subprocess.run(["sh", "-c", move_aside_command(str(data), aside)], check=True)
    assert not data.exists() and not (tmp_path / "etcd.before-restore-x.3").exists()


@needs_etcd
@pytest.mark.parametrize("with_etcdutl", [False, True])
def test_the_restore_command_builds_a_member_data_dir(snapshot: Path, tmp_path: Path, with_etcdutl: bool) -> None:
    if with_etcdutl and not LAB_ETCDUTL.exists():
        pytest.skip("needs the lab image (provisioner lab up builds it)")
    cluster_file = tmp_path / "cluster.yaml"
    cluster_file.write_text(CLUSTER)
    topology = load_topology(cluster_file)[0]
    etcdctl = Path(shutil.which("etcdctl") or "")
    tools = tools_folder(tmp_path / "bin", etcdctl, *([LAB_ETCDUTL] if with_etcdutl else []))
    command = restore_command(topology, topology.etcd_members[1], str(snapshot), "new-token", str(tmp_path / "data"))
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, env={"PATH": f"{tools}:/bin"},
                            check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "member" / "snap" / "db").is_file()
