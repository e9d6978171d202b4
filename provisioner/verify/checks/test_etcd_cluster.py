"""The etcd cluster as a whole, asked through one running member: one leader that every member
follows, and the same data everywhere."""

from __future__ import annotations

import time
from collections import Counter

from provisioner import etcdctl
from provisioner.cluster.topology import Topology
from provisioner.verify import facts
from provisioner.verify.expect import expect, listing
from provisioner.verify.fleet import Fleet
from provisioner.verify.live import LiveFacts

ROLE = "etcd"
# Under a live API server the cluster is written to every few seconds: revisions read a moment apart differ.
REVISION_READS = 3
REVISION_WAIT_SECONDS = 0.2


def _names(topology: Topology) -> dict[str, str]:
    return {member.client_url: member.name for member in topology.etcd_members}


def test_exactly_one_leader(live: LiveFacts, topology: Topology) -> None:
    """Every member answers and all of them follow the same single leader, a member of the cluster file
    (each member's own `endpoint status`, read with the facts)."""
    statuses = {}
    silent = []
    for member in topology.etcd_members:
        host = live.facts.host(member.name)
        if host is not None and host.status is not None:
            statuses[member.name] = host.status
        else:
            silent.append(f"{member.name} ({live.why_silent(member.name)})")
    names = {status.member_id: name for name, status in statuses.items()}
    leaders = {status.leader for status in statuses.values()}
    claimed = [names.get(leader, f"unknown member {leader}") for leader in sorted(leaders) if leader != "0"]
    found = []
    if silent:
        found.append(f"no status from {', '.join(silent)}")
    found.append(f"leader {listing(claimed)}" if claimed else "no leader")
    expect(not silent and len(leaders) == 1 and leaders <= set(names), expected="one leader followed by every member",
           found="; ".join(found),
           hint="etcdctl endpoint status --cluster on a member; look for partitions between members")


def test_same_revision_and_hash_on_every_member(fleet: Fleet, topology: Topology) -> None:
    """Every member holds the same data (equal KV hash at a revision all of them have) and none lags
    (each has reached, a moment later, the highest revision any member had)."""
    vantage = facts.etcd_vantage(fleet, topology)
    names = _names(topology)

    def read_revisions() -> tuple[dict[str, int], str]:
        stdout, error = facts.etcdctl_json(vantage, topology.etcd_endpoints, facts.MEMBER_CLIENT, "endpoint",
                                           "status")
        return {names.get(s.endpoint, s.endpoint): s.revision for s in etcdctl.statuses(stdout)}, error

    earlier, error = read_revisions()
    revisions, lagging = earlier, {}
    for _attempt in range(REVISION_READS if len(set(earlier.values())) > 1 else 0):
        time.sleep(REVISION_WAIT_SECONDS)  # a write was still being applied on some member: look again
        revisions, error = read_revisions()
        lagging = etcdctl.behind(earlier, revisions)
        if not lagging:
            break
    silent = [names[url] for url in topology.etcd_endpoints if names[url] not in revisions]
    expect(not silent, expected="revision and hash from every member",
           found=f"no answer from {listing(silent)} ({error})", hint=f"journalctl -u etcd on {listing(silent)}")
    # Hashed at the lowest revision every member has, so a write landing between the calls cannot differ.
    revision = min(revisions.values())
    stdout, error = facts.etcdctl_json(vantage, topology.etcd_endpoints, facts.MEMBER_CLIENT, "endpoint",
                                       "hashkv", f"--rev={revision}")
    hashes = {names.get(h.endpoint, h.endpoint): h.hash for h in etcdctl.hashes(stdout)}
    common = Counter(hashes.values()).most_common(1)[0][0] if hashes else None
    odd = sorted(name for name, value in hashes.items() if value != common)
    silent = [names[url] for url in topology.etcd_endpoints if names[url] not in hashes]
    found = [f"revisions {', '.join(f'{n}={r}' for n, r in sorted(revisions.items()))}"]
    if lagging:
        found.append(f"{listing(sorted(lagging))} still below revision {max(earlier.values())} "
                     f"{REVISION_READS * REVISION_WAIT_SECONDS:g} s after a member had it")
    if odd:
        found.append(f"hash at revision {revision} differs on {listing(odd)}")
    if silent:
        found.append(f"no hash from {listing(silent)} ({error})")
    expect(not odd and not silent and not lagging,
           expected="one hash on every member, none lagging", found="; ".join(found),
           hint="a member with a different hash has diverged: replace it (remove, wipe its data dir, add); "
                "a lagging one: journalctl -u etcd there")
