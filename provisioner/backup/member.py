"""Shell commands run on an etcd member against itself, with the member's health-check client certificate."""

from __future__ import annotations

import shlex

from provisioner.cluster.topology import EtcdMember
from provisioner.etcdctl import MEMBER_CLIENT, etcdctl

# etcdctl applies its command timeout to the whole snapshot stream, so large databases need long.
SNAPSHOT_SAVE_TIMEOUT = "15m"


def on_member(member: EtcdMember, *words: str, command_timeout: str | None = None) -> str:
    """etcdctl against this member only: a snapshot or a status must come from exactly one endpoint."""
    if command_timeout is None:
        return etcdctl([member.client_url], MEMBER_CLIENT, *words)
    return etcdctl([member.client_url], MEMBER_CLIENT, *words, command_timeout=command_timeout)


def snapshot_status(path: str) -> str:
    """Reads a snapshot file offline (JSON: hash, revision, totalKey, totalSize); fails on a damaged one.

    etcd 3.5 moved the offline tools to etcdutl; 3.4 (Debian 12's etcd-server) has only etcdctl's."""
    quoted = shlex.quote(path)
    return (f"if command -v etcdutl >/dev/null 2>&1; then etcdutl --write-out=json snapshot status {quoted}; "
            f"else ETCDCTL_API=3 etcdctl --write-out=json snapshot status {quoted}; fi")
