"""The running cluster is the one apply built and recorded (record.yml): the same etcd cluster ID on
every member, and the CAs it was built with installed on the hosts. Read from the facts gathered before
the checks (provisioner/facts), the same ones apply plans from."""

from __future__ import annotations

from provisioner.cluster.record import Record
from provisioner.cluster.topology import Topology
from provisioner.facts.model import HostFacts
from provisioner.verify.expect import CannotCheck, expect
from provisioner.verify.fleet import Target
from provisioner.verify.live import LiveFacts

ROLE = "identity"
_PLAN_HINT = "`provisioner plan` compares the record, the hosts and the cluster file and says what differs"


def recorded(live: LiveFacts) -> Record:
    expect(live.record is not None, expected="the record of the cluster (record.yml in the build folder or on a "
           "member)", found="no record", hint="apply writes it when it builds or changes the cluster: run apply")
    assert live.record is not None
    return live.record


def host_facts(live: LiveFacts, name: str) -> HostFacts:
    facts = live.facts.host(name)
    if facts is None or not facts.reachable:
        raise CannotCheck(f"no facts from {name}: {facts.problem if facts else 'not asked'}",
                          f"is {name} up and reachable over SSH?")
    return facts


def test_one_cluster_id_the_recorded_one(live: LiveFacts, topology: Topology) -> None:
    """Every etcd member reports the same cluster ID, the one the record names."""
    record = recorded(live)
    reported: dict[str, str] = {}
    silent: list[str] = []
    for member in topology.etcd_members:
        facts = live.facts.host(member.name)
        if facts is not None and facts.status is not None:
            reported[member.name] = facts.status.cluster_id
        else:
            silent.append(f"{member.name} ({live.why_silent(member.name)})")
    others = {name: cluster_id for name, cluster_id in reported.items() if cluster_id != record.etcd_cluster_id}
    found = [f"{name}: {cluster_id}" for name, cluster_id in sorted(others.items())]
    if silent:
        found.append(f"no status from {', '.join(silent)}")
    expect(not others and not silent,
           expected=f"cluster ID {record.etcd_cluster_id} on every member (the record's, {live.record_source})",
           found="; ".join(found),
           hint=f"a member with another cluster ID belongs to another cluster; {_PLAN_HINT}")


def test_installed_cas_are_the_recorded_ones(any_host: Target, live: LiveFacts, topology: Topology) -> None:
    """The etcd and Kubernetes CA certificates on the host are the ones the cluster was built with (while a
    CA rotation runs, the recorded old and new etcd CA together)."""
    record = recorded(live)
    facts = host_facts(live, any_host.name)
    control_plane = any_host.name in {host.name for host in topology.control_plane_hosts}
    needs = {"etcd": any_host.name in {member.name for member in topology.etcd_members},
             "kubernetes": control_plane, "etcd client": control_plane}
    # The control plane's copy of the etcd CA (kube-apiserver trusts etcd with it) is the recorded etcd CA.
    kubernetes = frozenset({record.ca.kubernetes} if record.ca.kubernetes else ())
    recorded_cas = {"etcd": record.ca.etcd_trusted, "kubernetes": kubernetes, "etcd client": record.ca.etcd_trusted}
    installed_cas = {"etcd": facts.ca.etcd, "kubernetes": facts.ca.kubernetes, "etcd client": facts.ca.etcd_client}
    wrong: list[str] = []
    expected: list[str] = []
    for kind in ("etcd", "kubernetes", "etcd client"):
        wanted, installed = recorded_cas[kind], installed_cas[kind]
        if not wanted:
            continue
        if needs[kind]:
            expected.append(f"{kind} CA {_short(sorted(wanted))}")
        if (installed is not None or needs[kind]) and set(installed or ()) != wanted:
            wrong.append(f"{kind} CA {_short(installed) if installed else 'missing'}")
    expect(not wrong, expected=", ".join(expected) or "no CA other than the recorded ones",
           found=", ".join(wrong), hint=f"the host trusts another cluster's CA or was changed by hand; {_PLAN_HINT}")


def _short(fingerprints: list[str] | tuple[str, ...]) -> str:
    return " + ".join(f"{fingerprint[:23]}…" for fingerprint in fingerprints)
