"""Scheduled backups (etcd.backup), on each etcd member: the timer runs, and its newest snapshot is recent.
Left out when the cluster file asks for no scheduled backups."""

from __future__ import annotations

import shlex

import pytest

from provisioner.cluster.topology import Topology
from provisioner.render.backup import BACKUP_UNIT, snapshot_file_pattern
from provisioner.verify import facts
from provisioner.verify.expect import CannotCheck, expect
from provisioner.verify.fleet import Target

ROLE = "etcd"
pytestmark = pytest.mark.backup
TIMER = f"{BACKUP_UNIT}.timer"


def _journal(target: Target) -> str:
    return f"systemctl list-timers {TIMER}; journalctl -u {BACKUP_UNIT} -n 50 on {target.name}"


def test_backup_timer_active_and_enabled(etcd_host: Target) -> None:
    """The backup timer runs now and starts again at boot."""
    state = facts.unit_states(etcd_host, [TIMER])[TIMER]
    expect(state.running and state.enabled == "enabled", expected="active, enabled", found=state.describe(),
           hint=_journal(etcd_host))


def test_newest_backup_younger_than_two_periods(etcd_host: Target, topology: Topology) -> None:
    """The newest scheduled snapshot was taken less than two periods ago."""
    backup = topology.cluster.etcd.backup
    assert backup is not None  # the plugin leaves these checks out otherwise
    folder = shlex.quote(backup.folder)
    pattern = shlex.quote(snapshot_file_pattern(topology.name))
    result = etcd_host.run(f"now=$(date +%s); cd {folder} 2>/dev/null || {{ echo \"$now\"; exit 0; }}; "
                           f"newest=$(ls -1 | grep -E {pattern} | sort | tail -n 1); "
                           f"echo \"$now\" ${{newest:+$(stat -c %Y -- \"$newest\") \"$newest\"}}")
    words = result.stdout.split()
    if result.rc != 0 or not words:
        raise CannotCheck(f"cannot list {backup.folder}: {result.stderr.strip()[:200]}", _journal(etcd_host))
    limit = 2 * backup.period_seconds
    expected = f"a snapshot in {backup.folder} younger than {limit // 60} minutes (two periods of {backup.schedule})"
    if len(words) < 3:
        expect(False, expected=expected, found="no snapshot", hint=_journal(etcd_host))
    age = int(words[0]) - int(words[1])
    expect(age < limit, expected=expected, found=f"the newest, {words[2]}, is {age // 60} minutes old",
           hint=_journal(etcd_host))
