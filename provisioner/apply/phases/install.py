"""Install packages: etcd (package or release tarball) and the load balancers' haproxy and keepalived."""

from __future__ import annotations

from provisioner.apply.phases.base import PlaybookPhase


class InstallPackages(PlaybookPhase):
    title = "Install etcd, haproxy and keepalived"
    playbook = "install.yml"
