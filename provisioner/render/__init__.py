"""Render: the Topology turned into a reviewable, deterministic tree of files.

The tree depends on the cluster file and the PKI and secrets it reuses, nothing else: how SSH reaches
the hosts in a given run (Vagrant's forwarded ports, say) is the command's business, not the tree's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from provisioner.cluster.record import read_record
from provisioner.cluster.topology import Topology
from provisioner.errors import ProvisionerError
from provisioner.providers.base import cluster_target
from provisioner.render.apiserver import audit_policy, encryption_configuration
from provisioner.render.backup import backup_script, backup_service, backup_timer
from provisioner.render.cni import PATCH, add_on, kustomization, pod_network_patch
from provisioner.render.etcd import etcd_config, etcd_unit
from provisioner.render.folder import (
    adopt_earlier_tree,
    check_output_folder,
    is_earlier_tree,
    read_manifest,
    remove_files,
    write_manifest,
)
from provisioner.render.images import images_txt
from provisioner.render.inventory import inventory
from provisioner.render.kubeadm import ca_cert_hash, kubeadm_documents
from provisioner.render.loadbalancer import (
    haproxy_config,
    keepalived_auth,
    keepalived_check_script,
    keepalived_config,
)
from provisioner.render.pki import PkiMember, ensure_pki
from provisioner.render.placement import etcd_trust_source, placements
from provisioner.render.secrets import (
    ENCRYPTION_CONFIG,
    ENCRYPTION_KEY,
    KEEPALIVED_AUTH,
    KEEPALIVED_AUTH_PASS,
    encryption_key,
    keepalived_auth_pass,
    pki_folders,
    private_folder,
    read_encryption_key,
)
from provisioner.render.summary import summary
from provisioner.render.tree import Tree, WriteResult, to_yaml, to_yaml_documents, write_tree
from provisioner.render.vagrantfile import vagrantfile

__all__ = ["INVENTORY", "SUMMARY", "Rendered", "build_tree", "check_output_folder", "default_output",
           "pki_members", "render", "say_removed"]

INVENTORY = "inventory.yml"
SUMMARY = "summary.txt"
IMAGES = "images.txt"
# Cluster-wide Kubernetes files: the add-on's kustomization and patch, the apiserver's audit policy (the
# encryption configuration holds a key: it is in secrets/).
KUBERNETES_DIR = "kubernetes"
CNI_KUSTOMIZATION = f"{KUBERNETES_DIR}/cni/kustomization.yaml"
CNI_PATCH = f"{KUBERNETES_DIR}/cni/{PATCH}"
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


def say_removed(rendered: Rendered, say: Callable[[str], None]) -> None:
    """Every file render removed, by name (render, apply and up all say it)."""
    for name in rendered.files.removed:
        say(f"removed {name} (no longer needed by the cluster file)")


def pki_members(topology: Topology) -> list[PkiMember]:
    return [PkiMember(m.name, ipaddress.ip_address(m.address)) for m in topology.etcd_members]


def _render_into(topology: Topology, out: Path) -> Rendered:
    folders = pki_folders(out)
    if is_earlier_tree(out):
        private_folder(out)
        adopt_earlier_tree(out, folders.keys)
    previous = read_manifest(out)
    pki_files = {path.relative_to(out).as_posix() for path in folders.files(pki_members(topology))}
    # Listed before they are written, so that files of a run that stops part-way are still known as ours.
    generated = {name for name, wanted in ((KEEPALIVED_AUTH_PASS, bool(topology.load_balancer_hosts)),
                                           (ENCRYPTION_KEY, topology.cluster.kubernetes.encrypt_secrets))
                 if wanted or (out / name).is_file()}
    write_manifest(out, previous | pki_files | generated)
    private_folder(out)
    ensure_pki(folders, cluster_name=topology.name, etcd_members=pki_members(topology),
               key_type=topology.cluster.pki.key_type)
    auth_pass = keepalived_auth_pass(out) if topology.load_balancer_hosts else None
    if topology.cluster.kubernetes.encrypt_secrets:
        encryption_key(out)
    tree = build_tree(topology, out, auth_pass)
    # A secret generated once stays as long as it exists: losing the encryption key loses every Secret.
    owned = pki_files | set(tree.files) | {name for name in generated if (out / name).is_file()}
    write_manifest(out, previous | owned)
    written = write_tree(tree, out)
    written.removed = remove_files(out, previous - owned)
    write_manifest(out, owned)
    return Rendered(out, written)


def build_tree(topology: Topology, out: Path, auth_pass: str | None) -> Tree:
    """Every file of the tree except the PKI, in memory; reads the Kubernetes CA certificate in `out`."""
    tree = Tree()
    tree.add(INVENTORY, to_yaml(inventory(topology, [cluster_target(topology, host) for host in topology.hosts])))
    tree.add("Vagrantfile", vagrantfile(topology))
    tree.add(SUMMARY, summary(topology))
    _add_kubernetes_files(tree, topology, out)
    members = {member.name: member for member in topology.etcd_members}
    backup = topology.cluster.etcd.backup
    record = read_record(out)
    founders = record.initial_cluster if record else None
    balancing = auth_pass is not None and bool(topology.load_balancer_hosts)
    if balancing:
        tree.add(KEEPALIVED_AUTH, keepalived_auth(str(auth_pass)), mode=0o600)
    check_script = keepalived_check_script(topology) if balancing else ""
    haproxy = haproxy_config(topology) if balancing else ""
    kubernetes_ca_hash = ca_cert_hash(pki_folders(out).certificates / "kubernetes" / "ca.crt")
    etcd_trust = etcd_trust_source(out)
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
            tree.add(f"{folder}/keepalived.conf", keepalived_config(topology, host))
            tree.add(f"{folder}/check_haproxy.sh", check_script, mode=0o755)
        if roles & {"control_plane", "worker"}:
            tree.add(f"{folder}/kubeadm.yaml", to_yaml_documents(kubeadm_documents(topology, host, kubernetes_ca_hash)))
        files = [placement.as_dict() for placement in placements(topology, host, etcd_trust)]
        tree.add(f"{folder}/files.yml", to_yaml({"files": files}))
    return tree


def _add_kubernetes_files(tree: Tree, topology: Topology, out: Path) -> None:
    kubernetes = topology.cluster.kubernetes
    tree.add(IMAGES, images_txt(kubernetes))
    if add_on(kubernetes) is not None:
        tree.add(CNI_KUSTOMIZATION, to_yaml(kustomization(kubernetes)))
        tree.add(CNI_PATCH, to_yaml(pod_network_patch(kubernetes)))
    key = read_encryption_key(out)
    if kubernetes.encrypt_secrets and key is not None:  # render generates it; verify finds it missing
        tree.add(ENCRYPTION_CONFIG, to_yaml(encryption_configuration(key)), mode=0o600)
    if kubernetes.audit_log:
        tree.add(AUDIT_POLICY, to_yaml(audit_policy()))
