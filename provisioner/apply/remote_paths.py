"""Paths on the hosts that only apply uses (render's live in provisioner/hostpaths.py)."""

from __future__ import annotations

# A service whose files changed gets a marker here until it has been restarted with them, so a run
# that stops between the copy and the restart still restarts it on the next run.
PENDING_RESTART_DIR = "/var/lib/provisioner/pending-restart"
# Release tarballs are kept so that a re-run does not download them again.
DOWNLOAD_DIR = "/var/cache/provisioner"
RELEASE_UNPACK_DIR = "/opt/etcd"
# Written by apply at run time next to the rendered kubeadm config: it adds the join token and the
# certificate key, and is removed after each kubeadm init or join run, whether it succeeded or not.
KUBEADM_RUNTIME_CONFIG = "/etc/kubernetes/provisioner/kubeadm-runtime.yaml"
# The record of what this tool built, kept on every etcd member (the build folder holds the other copy).
RECORD = "/var/lib/provisioner/record.yml"
# A joining member's first start: etcd's configuration with the live member list and
# initial-cluster-state existing, and the systemd drop-in pointing etcd at it until it is promoted.
ETCD_JOIN_CONFIG = "/etc/etcd/etcd.join.conf.yml"
ETCD_JOIN_DROPIN = "/etc/systemd/system/etcd.service.d/provisioner-join.conf"
# Written once kubeadm init or join succeeded on a host.
KUBEADM_MEMBER_MARKER = "/etc/kubernetes/provisioner/member"
KUBE_APISERVER_MANIFEST = "/etc/kubernetes/manifests/kube-apiserver.yaml"
KUBELET_KUBECONFIG = "/etc/kubernetes/kubelet.conf"
KUBERNETES_CA = "/etc/kubernetes/pki/ca.crt"
