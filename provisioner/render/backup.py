"""Scheduled backups (etcd.backup): a script, a oneshot service running it and a timer, per etcd member.

Each member snapshots itself, so backups go on while any member is up, and each host keeps its own
history with retention; `provisioner etcd snapshot` is the way to bring one to another machine."""

from __future__ import annotations

from provisioner import hostpaths
from provisioner.backup.member import SNAPSHOT_SAVE_TIMEOUT, on_member, snapshot_status
from provisioner.cluster.model import EtcdBackup
from provisioner.cluster.topology import EtcdMember, Topology
from provisioner.render.templating import render_template

BACKUP_UNIT = "etcd-backup"


def snapshot_file_pattern(cluster: str) -> str:
    """The names the script gives its snapshots (an extended regex): <cluster>-<UTC time>.db."""
    return rf"^{cluster}-[0-9]{{8}}T[0-9]{{6}}Z\.db$"


def backup_script(topology: Topology, member: EtcdMember, backup: EtcdBackup) -> str:
    partial = f"{backup.folder}/.partial.db"
    return render_template(
        "etcd-backup.sh.j2",
        cluster_name=topology.name,
        member_name=member.name,
        folder=backup.folder,
        keep=backup.keep,
        partial=partial,
        snapshot_save=on_member(member, "snapshot", "save", partial, command_timeout=SNAPSHOT_SAVE_TIMEOUT),
        snapshot_status=snapshot_status(partial),
        pattern=snapshot_file_pattern(topology.name),
    )


def backup_service(topology: Topology, member: EtcdMember) -> str:
    return render_template("etcd-backup.service.j2", cluster_name=topology.name, member_name=member.name,
                           script=hostpaths.ETCD_BACKUP_SCRIPT)


def backup_timer(topology: Topology, backup: EtcdBackup) -> str:
    return render_template("etcd-backup.timer.j2", cluster_name=topology.name, schedule=backup.schedule,
                           period=_systemd_span(backup.schedule))


def _systemd_span(schedule: str) -> str:
    """30m -> 30min: systemd reads a bare `m` as minutes too, but `min` cannot be misread as months."""
    number, unit = schedule[:-1], schedule[-1]
    return number + {"m": "min", "h": "h", "d": "d"}[unit]
