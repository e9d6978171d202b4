"""Rolling etcd upgrades (pure): from the version each member runs to `etcd.version`, one member at a time.

etcd's upgrade guides: every member must be healthy first; members are upgraded one at a time, each
healthy again before the next; a minor release may not be skipped (3.4 -> 3.6 goes through 3.5); a
cluster is not downgraded this way. The cluster version (the lowest minor release of its members) moves
to the new minor release by itself once every member runs it. Only release installs are upgraded: a
package install runs whatever its distribution ships."""

from __future__ import annotations

import re

from provisioner.cluster.topology import Topology
from provisioner.facts.model import ClusterFacts
from provisioner.plan.steps import CheckClusterVersion, SnapshotBeforeUpgrade, Step, UpgradeMember

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)")
SNAPSHOT_FOLDER = "snapshots"


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = _VERSION.match(text)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def minor(version: tuple[int, int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def version_refusal(source: str, wanted: str, running: dict[str, str]) -> str | None:
    """One line when going from the running versions to `wanted` is a downgrade or skips a minor release."""
    target = parse_version(wanted)
    assert target is not None, "the cluster file's version pattern guarantees X.Y.Z"
    for host, text in sorted(running.items(), key=lambda item: parse_version(item[1]) or (0, 0, 0), reverse=True):
        version = parse_version(text)
        if version is not None and target < version:
            return (f"{source}: etcd.version: {wanted} is older than {text}, which {host} runs: etcd is not "
                    f"downgraded by replacing its binaries; put etcd.version back to {text}")
    for host, text in sorted(running.items(), key=lambda item: parse_version(item[1]) or (0, 0, 0)):
        version = parse_version(text)
        if version is None:
            continue
        if target[0] != version[0] or target[1] > version[1] + 1:
            step = f"{version[0]}.{version[1] + 1}.x" if target[0] == version[0] else "the next minor release"
            return (f"{source}: etcd.version: {wanted} skips a minor release from {text}, which {host} runs: "
                    f"etcd upgrades one minor release at a time; upgrade to {step} first")
    return None


def plan_upgrade(topology: Topology, facts: ClusterFacts) -> tuple[list[Step], list[str]]:
    """The rolling upgrade's steps (snapshot, each member behind, the cluster version), or why it is
    refused. Nothing when no member answers (a new cluster) or every member runs `etcd.version`."""
    etcd = topology.cluster.etcd
    if etcd.install != "release":
        return [], []
    members = {member.name for member in topology.etcd_members}
    running = {h.host: h.status.version for h in facts.answering if h.status and h.host in members
               and h.status.version}
    behind = {host: version for host, version in running.items() if version != etcd.version}
    if not behind:
        return [], []
    source = topology.source.name
    refusal = version_refusal(source, etcd.version, running)
    if refusal:
        return [], [refusal]
    silent = [m.name for m in topology.etcd_members
              if facts.member_by_peer_url(m.peer_url) is not None and m.name not in running]
    if silent:
        return [], [f"{source}: etcd.version: upgrading to {etcd.version} needs every member healthy, but "
                    f"{', '.join(silent)} do not answer: bring them back first (an upgrade restarts each member "
                    f"in turn, and a second member down would cost the quorum)"]
    leaders = facts.leaders
    leader = next(iter(leaders)) if len(leaders) == 1 else None
    if leader is None:
        named = ", ".join(sorted(leaders)) or "none"
        return [], [f"{source}: etcd.version: the members do not agree on a leader ({named}); an upgrade starts "
                    f"only on a healthy cluster"]
    leader_host = next((h.host for h in facts.answering if h.status and h.status.member_id == leader), None)
    # Followers first, the leader last: the leader's restart is the only one that costs an election.
    order = [m.name for m in topology.etcd_members if m.name in behind and m.name != leader_host]
    order += [name for name in [leader_host] if name in behind]
    target = parse_version(etcd.version)
    assert target is not None
    steps: list[Step] = [SnapshotBeforeUpgrade(
        "build folder", "the data as it was before any member runs the new release, in case the upgrade must be "
                        "undone by a restore", folder=SNAPSHOT_FOLDER, cluster=topology.name)]
    for name in order:
        why = ("it leads, so it goes last: one election for the whole upgrade" if name == leader_host
               else "one member at a time: the others keep the quorum while it restarts")
        steps.append(UpgradeMember(name, why, from_version=behind[name], to_version=etcd.version))
    steps.append(CheckClusterVersion(
        "cluster", "etcd raises the cluster version by itself once every member runs the new release",
        version=minor(target)))
    return steps, []
