"""Gather facts: one SSH round trip per host, all hosts at once, each running remote_gather.py."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from provisioner import hostpaths
from provisioner.facts.model import ClusterFacts, HostFacts
from provisioner.providers.base import SshTarget
from provisioner.reach.reasons import sudo_failure
from provisioner.reach.remote import in_parallel, run_python

_SCRIPT = Path(__file__).with_name("remote_gather.py")


@dataclass(frozen=True)
class GatherTarget:
    """A host to ask and the address the cluster knows it by (peer URLs name that address)."""

    ssh: SshTarget
    address: str


def gather_params(data_dir: str) -> dict[str, Any]:
    return {
        "data_dir": data_dir,
        # Release installs link etcdctl into /usr/local/bin, the package into /usr/bin.
        "etcdctl": [f"{hostpaths.ETCD_RELEASE_DIR}/etcdctl", f"{Path(hostpaths.ETCD_PACKAGE_BINARY).parent}/etcdctl"],
        "ca": hostpaths.ETCD_CA,
        "cert": hostpaths.ETCD_HEALTHCHECK_CERT,
        "key": hostpaths.ETCD_HEALTHCHECK_KEY,
        "etcd_config": hostpaths.ETCD_CONFIG,
        "etcd_ca": hostpaths.ETCD_CA,
        "kubernetes_ca": hostpaths.KUBERNETES_CA,
        "kube_etcd_ca": hostpaths.KUBE_ETCD_CA,
        "admin_conf": hostpaths.KUBE_ADMIN_KUBECONFIG,
        "kubelet_conf": hostpaths.KUBELET_KUBECONFIG,
        "kubeadm_marker": hostpaths.KUBE_MEMBER_MARKER,
        "apiserver_manifest": hostpaths.KUBE_APISERVER_MANIFEST,
        "apiserver_parked": hostpaths.KUBE_APISERVER_PARKED,
        "join_dropin": hostpaths.ETCD_JOIN_DROPIN,
        "kubeadm_config": hostpaths.KUBEADM_CONFIG,
        "member_certificates": list(hostpaths.ETCD_MEMBER_CERTIFICATES),
        "record": hostpaths.RECORD,
    }


def gather_script(data_dir: str) -> str:
    return f"PARAMS = {json.dumps(gather_params(data_dir))}\n" + _SCRIPT.read_text()


def gather_host(target: GatherTarget, script: str) -> HostFacts:
    done = run_python(target.ssh, script, timeout=60)
    name, address = target.ssh.host, target.address
    if done.unreachable:
        return HostFacts(host=name, address=address, reachable=False, problem=done.unreachable, ssh_failed=True)
    if done.rc != 0:
        said = done.stderr.strip().splitlines()
        if target.ssh.connection.become and said and said[0].startswith("sudo:"):
            # sudo itself refused (a password wanted, no sudo rule): worded as ping and apply word it.
            return HostFacts(host=name, address=address, reachable=False, problem=sudo_failure(said[0]))
        return HostFacts(host=name, address=address, reachable=False,
                         problem=f"gathering facts failed (exit {done.rc}): {said[-1] if said else 'no output'}")
    try:
        return HostFacts.model_validate({"host": name, "address": address, "reachable": True,
                                         **json.loads(done.stdout.strip().splitlines()[-1])})
    except (ValueError, IndexError, ValidationError) as error:
        return HostFacts(host=name, address=address, reachable=False, problem=f"unreadable facts: {error}"[:300])


def gather_facts(targets: Sequence[GatherTarget], data_dir: str) -> ClusterFacts:
    script = gather_script(data_dir)
    return ClusterFacts(hosts=tuple(in_parallel(targets, lambda target: gather_host(target, script))))
