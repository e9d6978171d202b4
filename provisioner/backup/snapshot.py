"""`etcd snapshot`: a snapshot from one healthy member, checked there, streamed here, described in JSON.

The member checks the file with `snapshot status` and computes its sha256; the copy here must have the
same sha256 before it is kept, so the file on this machine is the one etcd's own tool accepted.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from provisioner import hostpaths
from provisioner.backup.member import SNAPSHOT_SAVE_TIMEOUT, on_member, snapshot_status
from provisioner.backup.metadata import SnapshotMember, SnapshotMetadata, hex_id, metadata_path
from provisioner.backup.remote import Remote
from provisioner.cluster.topology import EtcdMember, Topology
from provisioner.errors import StepFailed, UsageError
from provisioner.etcdctl import first_error, health
from provisioner.providers.base import SshTarget

FIND_MEMBER = "Find a healthy etcd member"
SAVE = "Save a snapshot on the member"
TRANSFER = "Copy the snapshot to this machine"


class SnapshotProgress(Protocol):
    def step(self, text: str) -> None: ...

    def transfer_started(self, total_bytes: int) -> None: ...

    def transferred(self, count: int) -> None: ...


@dataclass(frozen=True)
class MemberState:
    """What a healthy member says about itself and its cluster, from one endpoint status."""

    member: EtcdMember
    cluster_id: int
    version: str


@dataclass(frozen=True)
class SavedOnMember:
    path: str
    revision: int
    total_keys: int
    sha256: str
    size: int


def default_snapshot_path(build: Path, cluster: str, now: datetime) -> Path:
    return build / "snapshots" / f"{cluster}-{now.strftime('%Y%m%dT%H%M%SZ')}.db"


def take_snapshot(topology: Topology, targets: list[SshTarget], destination: Path,
                  progress: SnapshotProgress) -> SnapshotMetadata:
    """Writes `destination` and its JSON; returns the description. Raises StepFailed naming host and step."""
    if destination.exists() or metadata_path(destination).exists():
        raise UsageError(f"{destination}: a snapshot (or its .json) is already there; choose another --out")
    remotes = {target.host: Remote(target) for target in targets}
    state = healthy_member(topology, remotes, progress.step)
    remote = remotes[state.member.name]
    members = _members(remote, state.member)
    taken_at = datetime.now(UTC)
    progress.step(f"saving a snapshot on {state.member.name}")
    saved = _save(remote, state.member, taken_at)
    try:
        _transfer(remote, saved, destination, progress)
    finally:
        remote.probe(f"rm -f -- {shlex.quote(saved.path)}")
    metadata = SnapshotMetadata(
        cluster=topology.name, cluster_id=hex_id(state.cluster_id), revision=saved.revision,
        total_keys=saved.total_keys, etcd_version=state.version, members=members, taken_from=state.member.name,
        taken_at=taken_at.strftime("%Y-%m-%dT%H:%M:%SZ"), size=saved.size, sha256=saved.sha256)
    metadata_path(destination).write_text(metadata.to_json())
    return metadata


def healthy_member(topology: Topology, remotes: dict[str, Remote],
                   step: Callable[[str], None] = lambda _: None) -> MemberState:
    """The first member, in cluster-file order, that answers healthy on its own endpoint."""
    reasons = []
    for member in topology.etcd_members:
        step(f"asking {member.name} for its health")
        answer = remotes[member.name].probe(f"{on_member(member, 'endpoint', 'health')} && "
                                            f"{on_member(member, 'endpoint', 'status')}")
        lines = answer.stdout.splitlines()
        if answer.returncode != 0 or len(lines) != 2:
            reasons.append(f"{member.name}: {first_error(answer.stderr) or 'no answer'}")
            continue
        healthy, error = health(lines[0]).get(member.client_url, (False, "no answer"))
        if not healthy:
            reasons.append(f"{member.name}: {error}")
            continue
        status = json.loads(lines[1])[0]["Status"]
        return MemberState(member, int(status["header"]["cluster_id"]), str(status["version"]))
    raise StepFailed(FIND_MEMBER, None, "no member answered healthy: " + "; ".join(reasons))


def _members(remote: Remote, member: EtcdMember) -> tuple[SnapshotMember, ...]:
    data = json.loads(remote.run(FIND_MEMBER, on_member(member, "member", "list")))
    return tuple(SnapshotMember(entry.get("name", ""), hex_id(int(entry["ID"])), tuple(entry.get("peerURLs", [])))
                 for entry in data["members"])


def _save(remote: Remote, member: EtcdMember, taken_at: datetime) -> SavedOnMember:
    path = f"{hostpaths.ETCD_SNAPSHOT_STAGING}/{taken_at.strftime('%Y%m%dT%H%M%SZ')}.db"
    quoted = shlex.quote(path)
    script = " && ".join([
        "umask 077", f"mkdir -p {shlex.quote(hostpaths.ETCD_SNAPSHOT_STAGING)}", f"rm -f -- {quoted}",
        on_member(member, "snapshot", "save", path, command_timeout=SNAPSHOT_SAVE_TIMEOUT) + " >/dev/null",
        snapshot_status(path), f"sha256sum -- {quoted}", f"stat -c %s -- {quoted}"])
    lines = remote.run(SAVE, script, timeout=20 * 60).splitlines()
    try:
        status = json.loads(lines[-3])
        return SavedOnMember(path, int(status["revision"]), int(status["totalKey"]), lines[-2].split()[0],
                             int(lines[-1]))
    except (IndexError, ValueError, KeyError) as error:
        raise StepFailed(SAVE, remote.host, f"unexpected answer from snapshot status ({error})") from None


def _transfer(remote: Remote, saved: SavedOnMember, destination: Path, progress: SnapshotProgress) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    digest = hashlib.sha256()

    def chunk_arrived(chunk: bytes) -> None:
        digest.update(chunk)
        progress.transferred(len(chunk))

    progress.transfer_started(saved.size)
    try:
        with partial.open("wb") as sink:
            partial.chmod(0o600)  # the snapshot holds every secret the cluster stores
            remote.read_file(TRANSFER, saved.path, sink, chunk_arrived)
        if digest.hexdigest() != saved.sha256:
            raise StepFailed(TRANSFER, remote.host, f"the copy's sha256 {digest.hexdigest()} differs from the "
                                                    f"member's {saved.sha256}")
        partial.rename(destination)
    finally:
        partial.unlink(missing_ok=True)
