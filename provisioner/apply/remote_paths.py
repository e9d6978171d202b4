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
