"""`etcd restore`: what is refused before anything is touched, and what the restore phase is given.

The restore itself is a phase of apply (playbooks/restore.yml) placed between uploading the files and
starting etcd, so fresh hosts are first brought to the tree exactly as apply would bring them."""

from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provisioner.backup.member import snapshot_status
from provisioner.backup.metadata import SnapshotMetadata, metadata_path
from provisioner.cluster.topology import EtcdMember, Topology
from provisioner.errors import UsageError

RESTORE_DIR = "/var/lib/provisioner/restore"
# In the build folder while a restore is under way: a re-run continues it with the same token.
IN_PROGRESS = "restore-in-progress.json"
RECORD = "etcd-cluster.json"


@dataclass(frozen=True)
class Restore:
    snapshot: Path
    metadata: SnapshotMetadata
    restore_id: str  # UTC time of the first attempt: names the data moved aside and the member markers
    token: str  # the new cluster token; a new token gives the restored cluster a new ID

    def aside(self, data_dir: str) -> str:
        return f"{data_dir.rstrip('/')}.before-restore-{self.restore_id}"


def checked_snapshot(topology: Topology, snapshot: Path, *, allow_other_cluster: bool) -> SnapshotMetadata:
    """The snapshot's description once the file matches it and belongs to this cluster; UsageError if not."""
    described = metadata_path(snapshot)
    if not snapshot.is_file():
        raise UsageError(f"{snapshot}: no such snapshot file")
    if not described.is_file():
        raise UsageError(f"{described}: missing; a snapshot is restored only with the JSON "
                         "`provisioner etcd snapshot` wrote beside it")
    try:
        metadata = SnapshotMetadata.from_json(described.read_text())
    except ValueError as error:
        raise UsageError(f"{described}: {error}") from None
    digest = hashlib.sha256()
    with snapshot.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() != metadata.sha256:
        raise UsageError(f"{snapshot}: sha256 {digest.hexdigest()} differs from {metadata.sha256} in {described.name}; "
                         "the file is damaged or not the snapshot described")
    if metadata.cluster != topology.name and not allow_other_cluster:
        raise UsageError(f"{snapshot} is a snapshot of cluster {metadata.cluster!r}, not {topology.name!r}; "
                         "add --allow-other-cluster to restore it here anyway")
    return metadata


def begin(tree: Path, topology: Topology, snapshot: Path, metadata: SnapshotMetadata, now: datetime) -> Restore:
    """A new restore, or the one a failed run left unfinished for the same snapshot (same id and token)."""
    progress = tree / IN_PROGRESS
    if progress.is_file():
        earlier = json.loads(progress.read_text())
        if earlier.get("sha256") == metadata.sha256:
            return Restore(snapshot, metadata, earlier["restore_id"], earlier["token"])
    restore_id = now.strftime("%Y%m%dT%H%M%SZ")
    restore = Restore(snapshot, metadata, restore_id, f"{topology.name}-etcd-{restore_id.lower()}")
    tree.mkdir(parents=True, exist_ok=True)
    progress.write_text(json.dumps({"sha256": metadata.sha256, "restore_id": restore.restore_id,
                                    "token": restore.token, "snapshot": str(snapshot)}, indent=2) + "\n")
    return restore


def finish(tree: Path) -> None:
    (tree / IN_PROGRESS).unlink(missing_ok=True)


def move_aside_command(data_dir: str, aside: str) -> str:
    """Moves the data folder to `aside` (or aside.1, .2, ... when taken); an empty folder is only removed."""
    data, target = shlex.quote(data_dir), shlex.quote(aside)
    return (f"set -eu; if [ -d {data} ] && [ -z \"$(ls -A {data})\" ]; then rmdir {data}; fi; "
            f"if [ -e {data} ]; then target={target}; n=1; "
            f"while [ -e \"$target\" ]; do target={target}.$n; n=$((n + 1)); done; "
            f"mv {data} \"$target\"; echo \"moved {data_dir} to $target\"; fi")


def restore_command(topology: Topology, member: EtcdMember, copy: str, token: str, data_dir: str) -> str:
    """etcd's snapshot restore for one member: its own name and peer URL, every member, the new token."""
    flags = shlex.join([copy, "--name", member.name, "--initial-cluster", topology.initial_cluster,
                        "--initial-cluster-token", token, "--initial-advertise-peer-urls", member.peer_url,
                        "--data-dir", data_dir])
    return (f"if command -v etcdutl >/dev/null 2>&1; then etcdutl snapshot restore {flags}; "
            f"else ETCDCTL_API=3 etcdctl snapshot restore {flags}; fi")


def restore_variables(topology: Topology, restore: Restore) -> dict[str, Any]:
    copy = f"{RESTORE_DIR}/{restore.metadata.sha256}.db"
    return {
        "etcd_restore_dir": RESTORE_DIR,
        "etcd_restore_snapshot": str(restore.snapshot.resolve()),
        "etcd_restore_copy": copy,
        "etcd_restore_sha256": restore.metadata.sha256,
        "etcd_restore_status_command": snapshot_status(copy),
        "etcd_restore_marker": f"{RESTORE_DIR}/{restore.restore_id}.restored",
        "etcd_restore_move_aside_command": move_aside_command(topology.cluster.etcd.data_dir,
                                                              restore.aside(topology.cluster.etcd.data_dir)),
        "etcd_restore_commands": {member.name: restore_command(topology, member, copy, restore.token,
                                                               topology.cluster.etcd.data_dir)
                                  for member in topology.etcd_members},
    }


def record_restored_cluster(tree: Path, topology: Topology, cluster_id: str, restore: Restore,
                            now: datetime | None = None) -> Path:
    """Writes what the cluster now is (its ID changed with the restore) into the build folder."""
    path = tree / RECORD
    path.write_text(json.dumps({
        "cluster": topology.name,
        "cluster_id": cluster_id,
        "members": [member.name for member in topology.etcd_members],
        "data_dir": topology.cluster.etcd.data_dir,
        "restored": {"from": str(restore.snapshot), "sha256": restore.metadata.sha256,
                     "revision": restore.metadata.revision, "previous_cluster_id": restore.metadata.cluster_id,
                     "at": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")},
    }, indent=2) + "\n")
    return path
