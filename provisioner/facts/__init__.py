"""Facts: what runs on the hosts, read in one round trip per host, typed and serialisable."""

from __future__ import annotations

from provisioner.facts.model import (
    CaFingerprints,
    ClusterFacts,
    EtcdMemberFact,
    EtcdStatus,
    HostFacts,
    KubeadmFacts,
)

__all__ = ["CaFingerprints", "ClusterFacts", "EtcdMemberFact", "EtcdStatus", "HostFacts", "KubeadmFacts"]
