"""Restore etcd from a snapshot (run by `etcd restore` only): every member rebuilt, then started together."""

from __future__ import annotations

from provisioner.apply.phases.base import PlaybookPhase


class RestoreEtcd(PlaybookPhase):
    title = "Restore etcd from the snapshot"
    playbook = "restore.yml"
