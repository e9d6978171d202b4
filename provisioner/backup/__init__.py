"""Backups of etcd: snapshots brought to this machine with the facts needed to trust and restore them."""

from provisioner.backup.metadata import SnapshotMember, SnapshotMetadata
from provisioner.backup.snapshot import SnapshotProgress, take_snapshot

__all__ = ["SnapshotMember", "SnapshotMetadata", "SnapshotProgress", "take_snapshot"]
