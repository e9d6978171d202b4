"""The phases of apply, in the order they run."""

from __future__ import annotations

from provisioner.apply.phases.base import ApplyContext, Phase
from provisioner.apply.phases.etcd import StartEtcd
from provisioner.apply.phases.install import InstallPackages
from provisioner.apply.phases.kubernetes import InstallKubernetes
from provisioner.apply.phases.load_balancer import StartLoadBalancers
from provisioner.apply.phases.membership import ChangeMembership
from provisioner.apply.phases.preflight import CheckHosts
from provisioner.apply.phases.restore import RestoreEtcd
from provisioner.apply.phases.upgrade import UpgradeEtcd
from provisioner.apply.phases.upload import UploadFiles

# Packages come before files: files belong to the etcd user the package creates, and haproxy must
# be installed to check its configuration before it is put in place.
APPLY_PHASES: tuple[type[Phase], ...] = (
    CheckHosts,
    InstallPackages,
    UploadFiles,
    UpgradeEtcd,
    StartEtcd,
    ChangeMembership,
    StartLoadBalancers,
    InstallKubernetes,
)

# `etcd restore`: hosts brought to the tree as apply would, then etcd's data rebuilt from a snapshot
# before the members start; the later phases then find a running cluster.
RESTORE_PHASES: tuple[type[Phase], ...] = (
    CheckHosts,
    InstallPackages,
    UploadFiles,
    RestoreEtcd,
    StartEtcd,
    StartLoadBalancers,
    InstallKubernetes,
)

__all__ = ["APPLY_PHASES", "RESTORE_PHASES", "ApplyContext", "Phase"]
