"""Rewriting the admin kubeconfig's server: only the server lines change, or nothing is written."""

from __future__ import annotations

import pytest

from provisioner.kubernetes.kubeconfig import KubeconfigUnavailable, remote_read, with_server

KUBECONFIG = """apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0EK
    server: https://10.0.0.11:6443
  name: demo
contexts:
- context: {cluster: demo, user: kubernetes-admin}
  name: kubernetes-admin@demo
current-context: kubernetes-admin@demo
kind: Config
users:
- name: kubernetes-admin
  user: {client-certificate-data: Q0VSVAo=, client-key-data: S0VZCg==}
"""


def test_only_the_server_line_changes() -> None:
    rewritten = with_server(KUBECONFIG, "https://[fd00::100]:8443")
    assert rewritten == KUBECONFIG.replace("https://10.0.0.11:6443", "https://[fd00::100]:8443")


def test_a_file_that_is_not_a_kubeconfig_is_refused() -> None:
    with pytest.raises(KubeconfigUnavailable, match="not a kubeconfig"):
        with_server("apiVersion: v1\nkind: Pod\n", "https://10.0.0.100:6443")


def test_a_server_line_outside_the_clusters_is_refused() -> None:
    text = KUBECONFIG.replace("kind: Config\n", "kind: Config\npreferences:\n  server: x\n")
    with pytest.raises(KubeconfigUnavailable, match="2 server lines for 1 clusters"):
        with_server(text, "https://10.0.0.100:6443")


def test_the_file_is_read_with_sudo_only_when_become_is_set() -> None:
    assert remote_read(False).startswith("test -f /etc/kubernetes/provisioner/member || exit 3; cat ")
    assert remote_read(True).startswith("sudo -n sh -c 'test -f")
