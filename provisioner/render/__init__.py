"""Render: the Topology turned into a reviewable, deterministic tree of files."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provisioner.cluster.record import read_record
from provisioner.cluster.topology import Topology
from provisioner.errors import ProvisionerError, UsageError
from provisioner.providers import ssh_targets
from provisioner.providers.vagrant import SETTINGS_FILE as VAGRANT_SETTINGS_FILE
from provisioner.providers.vagrant import VM_SSH_TIMEOUT_SECONDS
from provisioner.render.apiserver import audit_policy, encryption_configuration
from provisioner.render.backup import backup_script, backup_service, backup_timer
from provisioner.render.cni import PATCH, add_on, kustomization, pod_network_patch
from provisioner.render.etcd import etcd_config, etcd_unit
from provisioner.render.images import images_txt
from provisioner.render.inventory import inventory
from provisioner.render.kubeadm import ca_cert_hash, kubeadm_documents
from provisioner.render.loadbalancer import haproxy_config, keepalived_check_script, keepalived_config, vip_interface
from provisioner.render.pki import PkiMember, ensure_pki
from provisioner.render.placement import placements
from provisioner.render.secrets import encryption_key, keepalived_auth_pass
from provisioner.render.summary import summary
from provisioner.render.tree import Tree, WriteResult, to_yaml, to_yaml_documents, write_tree
from provisioner.render.vagrantfile import vagrantfile

INVENTORY = "inventory.yml"
SUMMARY = "summary.txt"
IMAGES = "images.txt"
# Cluster-wide Kubernetes files: the add-on's kustomization and patch, the apiserver's hardening files.
KUBERNETES_DIR = "kubernetes"
CNI_KUSTOMIZATION = f"{KUBERNETES_DIR}/cni/kustomization.yaml"
CNI_PATCH = f"{KUBERNETES_DIR}/cni/{PATCH}"
ENCRYPTION_CONFIG = f"{KUBERNETES_DIR}/encryption-config.yaml"
AUDIT_POLICY = f"{KUBERNETES_DIR}/audit-policy.yaml"


@dataclass(frozen=True)
class Rendered:
    out: Path
    files: WriteResult


def default_output(topology: Topology) -> Path:
    return topology.source.parent / "build"


def render(topology: Topology, out: Path) -> Rendered:
    check_output_folder(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        return _render_into(topology, out)
    except OSError as error:  # a disk that filled up, a file where a folder should be, ...
        raise ProvisionerError(f"cannot write the tree in {out}: {error}") from None


def check_output_folder(out: Path) -> None:
    """Refuses, before anything is written, an output folder that is a file or cannot be created."""
    existing = next(path for path in (out.absolute(), *out.absolute().parents) if path.exists())
    if not existing.is_dir():
        raise UsageError(f"--out {out}: {existing} is a file; expected a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: {existing} is not writable")


def _render_into(topology: Topology, out: Path) -> Rendered:
    ensure_pki(
        out / "pki",
        cluster_name=topology.name,
        etcd_members=[PkiMember(m.name, ipaddress.ip_address(m.address)) for m in topology.etcd_members],
        key_type=topology.cluster.pki.key_type,
    )
    tree = build_tree(topology, out)
    return Rendered(out, write_tree(tree, out, owned_dirs=("hosts", KUBERNETES_DIR)))


def inventory_for(topology: Topology, out: Path) -> dict[str, Any]:
    """The inventory for the build folder `out`: its hosts reached as the provider there says (Vagrant's
    VMs, given more time to answer, while `vagrant up` has recorded them; else the cluster file's)."""
    on_vagrant_vms = (out / VAGRANT_SETTINGS_FILE).is_file()
    return inventory(topology, ssh_targets(topology, out),
                     ssh_timeout=VM_SSH_TIMEOUT_SECONDS if on_vagrant_vms else None)


def build_tree(topology: Topology, out: Path) -> Tree:
    tree = Tree()
    on_vagrant_vms = (out / VAGRANT_SETTINGS_FILE).is_file()
    tree.add(INVENTORY, to_yaml(inventory_for(topology, out)))
    tree.add("Vagrantfile", vagrantfile(topology))
    tree.add(SUMMARY, summary(topology))
    _add_kubernetes_files(tree, topology, out)
    members = {member.name: member for member in topology.etcd_members}
    backup = topology.cluster.etcd.backup
    record = read_record(out)
    founders = record.initial_cluster if record else None
    balancing = bool(topology.load_balancer_hosts)
    auth_pass = keepalived_auth_pass(out) if balancing else ""
    check_script = keepalived_check_script(topology) if balancing else ""
    haproxy = haproxy_config(topology) if balancing else ""
    interface = vip_interface(topology, on_vagrant_vms)
    kubernetes_ca_hash = ca_cert_hash(out / "pki" / "kubernetes" / "ca.crt")
    for host in topology.hosts:
        folder = f"hosts/{host.name}"
        roles = topology.roles_of(host)
        if host.name in members:
            tree.add(f"{folder}/etcd.conf.yml", to_yaml(etcd_config(topology, members[host.name], founders)))
            tree.add(f"{folder}/etcd.service", etcd_unit(topology, members[host.name]))
            if backup is not None:
                tree.add(f"{folder}/etcd-backup", backup_script(topology, members[host.name], backup), mode=0o755)
                tree.add(f"{folder}/etcd-backup.service", backup_service(topology, members[host.name]))
                tree.add(f"{folder}/etcd-backup.timer", backup_timer(topology, backup))
        if "load_balancer" in roles and balancing:
            tree.add(f"{folder}/haproxy.cfg", haproxy)
            tree.add(f"{folder}/keepalived.conf", keepalived_config(topology, host, auth_pass, interface),
                     mode=0o600)
            tree.add(f"{folder}/check_haproxy.sh", check_script, mode=0o755)
        if roles & {"control_plane", "worker"}:
            tree.add(f"{folder}/kubeadm.yaml", to_yaml_documents(kubeadm_documents(topology, host, kubernetes_ca_hash)))
        tree.add(f"{folder}/files.yml", to_yaml({"files": [p.as_dict() for p in placements(topology, host)]}))
    return tree


def _add_kubernetes_files(tree: Tree, topology: Topology, out: Path) -> None:
    kubernetes = topology.cluster.kubernetes
    tree.add(IMAGES, images_txt(kubernetes))
    if add_on(kubernetes) is not None:
        tree.add(CNI_KUSTOMIZATION, to_yaml(kustomization(kubernetes)))
        tree.add(CNI_PATCH, to_yaml(pod_network_patch(kubernetes)))
    if kubernetes.encrypt_secrets:
        tree.add(ENCRYPTION_CONFIG, to_yaml(encryption_configuration(encryption_key(out))), mode=0o600)
    if kubernetes.audit_log:
        tree.add(AUDIT_POLICY, to_yaml(audit_policy()))
