"""`certs renew`: new leaf certificates from the same etcd CA, written into the tree for apply to roll out.

Apply then does the rolling part: a member whose certificate or key changed is marked before the
files change and restarted one at a time, each restart waiting for the whole cluster to be healthy."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from provisioner.cluster.topology import Topology
from provisioner.errors import UsageError
from provisioner.render.pki import PkiMember, etcd_leaves, store
from provisioner.render.pki.issue import issue_leaf
from provisioner.render.secrets import pki_folders


def renew_leaves(topology: Topology, tree: Path, expiring_within_days: int | None,
                 now: datetime | None = None) -> list[str]:
    """Re-issues every etcd leaf (or those expiring within the days given) with the CA in the tree; returns
    the tree paths renewed. The CA is never changed here."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    folders = pki_folders(tree)
    ca = store.read_pair(*folders.pair("etcd/ca"), required=True)
    if ca is None:
        raise UsageError(f"{folders.pair('etcd/ca')[0]}: no etcd CA in the tree; run apply (or render) first")
    members = [PkiMember(m.name, ipaddress.ip_address(m.address)) for m in topology.etcd_members]
    renewed = []
    for leaf in etcd_leaves(members):
        paths = folders.pair(leaf.path)
        existing = store.read_pair(*paths)
        if (expiring_within_days is not None and existing is not None
                and existing.certificate.not_valid_after_utc > now + timedelta(days=expiring_within_days)):
            continue
        store.write_pair(*paths, issue_leaf(leaf, ca, topology.cluster.pki.key_type, now))
        renewed.append(f"pki/{leaf.path}.crt")
    return renewed
