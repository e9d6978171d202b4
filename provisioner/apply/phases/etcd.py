"""Start etcd: stopped members together, then changed members restarted one at a time."""

from __future__ import annotations

from provisioner.apply.phases.base import PlaybookPhase


class StartEtcd(PlaybookPhase):
    title = "Start etcd members"
    playbook = "etcd.yml"
