"""Decide what apply does to etcd from what the cluster file wants, what was built and what runs.

Pure: nothing here reads a file or a host. etcd's rules encoded here: membership changes one at a
time on a healthy cluster; members are added as learners and promoted once caught up; a dead member
is removed before its replacement is added; leadership moves away before its member is removed; the
control plane's endpoint list learns a member after its promotion and forgets it before its removal;
a cluster with a record is never bootstrapped again.
"""

from __future__ import annotations

from dataclasses import dataclass

from provisioner.cluster.record import Record, RecordedCas
from provisioner.cluster.topology import EtcdMember, Topology
from provisioner.facts.model import ClusterFacts, EtcdMemberFact, HostFacts
from provisioner.plan.recording import member_host
from provisioner.plan.steps import (
    AddLearner,
    BootstrapCluster,
    MoveLeader,
    Plan,
    PromoteMember,
    RemoveMember,
    RemoveMemberCertificates,
    StartJoiningMember,
    Step,
    StopAndArchive,
    UpdateControlPlaneEndpoints,
    WriteRecord,
)
from provisioner.plan.upgrade import plan_upgrade


def quorum(members: int) -> int:
    return members // 2 + 1


def plan_changes(topology: Topology, record: Record | None, facts: ClusterFacts, tree_cas: RecordedCas) -> Plan:
    """The steps that bring etcd's membership to the cluster file, or why that is refused."""
    refused = identity_refusals(topology, record, facts, tree_cas)
    if refused:
        return Plan(refusals=tuple(refused))
    if not facts.answering:
        if record is not None and record.layout != topology.layout:
            return _refuse(f"{topology.source.name}: layout: moving from {record.layout} to {topology.layout} etcd "
                           f"needs the running cluster, but no etcd member answers: start it first")
        return _without_running_cluster(topology, record, facts)
    membership = _Membership(topology, record, facts).plan()
    upgrade, upgrade_refusals = plan_upgrade(topology, facts)
    if membership.refusals or upgrade_refusals:
        return Plan(refusals=membership.refusals + tuple(upgrade_refusals))
    if not upgrade:
        return membership
    changes = [step for step in membership.steps if not isinstance(step, WriteRecord)]
    if changes or membership.moving_layout:
        return _refuse(f"{topology.source.name}: etcd.version: the upgrade to {topology.cluster.etcd.version} and "
                       f"a membership change ({changes[0].sentence if changes else 'a move between layouts'}) are "
                       f"asked for at once; etcd changes one thing at a time: keep the members as they are and "
                       f"upgrade first, then change the membership")
    return Plan(steps=tuple(upgrade) + membership.steps, members_in_place=membership.members_in_place)


def plan_replace(topology: Topology, record: Record | None, facts: ClusterFacts, tree_cas: RecordedCas,
                 host: str) -> Plan:
    """`etcd replace HOST`: remove the host's member, keep its data aside, add it back as a learner."""
    refused = identity_refusals(topology, record, facts, tree_cas)
    if refused:
        return Plan(refusals=tuple(refused))
    if host not in {member.name for member in topology.etcd_members}:
        return _refuse(f"{host}: not an etcd member in {topology.source.name}; only a member of the file can "
                       f"be replaced")
    if record is None:
        return _refuse("there is no record of this cluster (record.yml): replace works on a cluster apply built; "
                       "run apply first")
    if not facts.answering:
        return _refuse("no etcd member answers: replacing a member needs the others to hold a quorum")
    return _Membership(topology, record, facts, replacing=host).plan()


def _refuse(line: str) -> Plan:
    return Plan(refusals=(line,))


def _short(fingerprint: str | None) -> str:
    return (fingerprint or "none")[:23]


def identity_refusals(topology: Topology, record: Record | None, facts: ClusterFacts,
                      tree_cas: RecordedCas) -> list[str]:
    """What makes the hosts, the record and the cluster file describe different clusters."""
    lines: list[str] = []
    cluster_ids = facts.cluster_ids
    if record is None:
        if len(cluster_ids) > 1:
            split = ", ".join(f"{facts_.host}: {facts_.status.cluster_id}" for facts_ in facts.answering
                              if facts_.status)
            lines.append(f"the etcd members belong to {len(cluster_ids)} different clusters ({split}); one cluster "
                         f"was expected: keep the one holding the data, stop etcd on the others and move their "
                         f"data aside, then run apply again")
        return lines
    source = topology.source.name
    if record.cluster != topology.name:
        lines.append(f"{source}: name: the cluster was built as {record.cluster!r}, the file says "
                     f"{topology.name!r}; a cluster cannot be renamed: put the name back")
    if record.data_dir != topology.cluster.etcd.data_dir:
        lines.append(f"{source}: etcd.data_dir: the members keep their data in {record.data_dir}, the file says "
                     f"{topology.cluster.etcd.data_dir}; moving the data is not supported: put "
                     f"etcd.data_dir back to {record.data_dir}")
    for kind in ("etcd", "kubernetes"):
        recorded, built = getattr(record.ca, kind), getattr(tree_cas, kind)
        if recorded and built != recorded:
            lines.append(f"pki/{kind}/ca.crt in the build folder ({_short(built)}…) is not the CA the cluster was "
                         f"built with ({_short(recorded)}…): put the recorded CA back (ca.crt in "
                         f"pki/{kind}/, ca.key in secrets/pki/{kind}/), or the members would stop trusting each other")
    if record.ca.etcd and tree_cas.etcd_rotation != record.ca.etcd_rotation:
        lines.append(f"the build folder's etcd CAs in rotation ({_short(tree_cas.etcd_rotation)}…) are not the "
                     f"recorded ones ({_short(record.ca.etcd_rotation)}…): a CA rotation stopped part-way; finish "
                     f"it with `provisioner certs rotate-ca {source} --yes`")
    trusted = {"etcd": record.ca.etcd_trusted,
               "kubernetes": frozenset({record.ca.kubernetes} if record.ca.kubernetes else ())}
    for host in facts.hosts:
        for kind in ("etcd", "kubernetes"):
            installed = getattr(host.ca, kind)
            foreign = [ca for ca in installed or () if ca not in trusted[kind]]
            if trusted[kind] and foreign:
                lines.append(f"{host.host}: trusts a {kind} CA ({_short(foreign[0])}…) other than the recorded "
                             f"one ({', '.join(_short(ca) + '…' for ca in sorted(trusted[kind]))}): the host "
                             f"belongs to another cluster or was changed by hand; check it before running apply")
        if host.status and host.status.cluster_id != record.etcd_cluster_id:
            lines.append(f"{host.host}: its etcd member belongs to cluster {host.status.cluster_id}, the record says "
                         f"{record.etcd_cluster_id}: it is a member of another cluster; stop it and move its data "
                         f"aside, or fix the cluster file")
    return lines


def _without_running_cluster(topology: Topology, record: Record | None, facts: ClusterFacts) -> Plan:
    desired = [member.name for member in topology.etcd_members]
    holders = [host.host for host in facts.hosts if host.data_has_member]
    unreachable = [host.host for host in facts.hosts if not host.reachable]
    data_dir = topology.cluster.etcd.data_dir
    if record is None:
        if holders:
            return _refuse(f"{', '.join(holders)} hold etcd data in {data_dir}, but no member answers and there "
                           f"is no record of this cluster: start etcd there, or put record.yml back from a member's "
                           f"copy; apply never bootstraps a cluster over existing data")
        return Plan(steps=(
            BootstrapCluster(", ".join(desired), "no etcd member has data and there is no record: this is a new "
                                                 "cluster", members=tuple(desired)),
            WriteRecord("build folder", "a bootstrapped cluster is recorded so it is never bootstrapped again"),
        ), members_in_place=tuple(desired))
    if unreachable and not holders:
        return _refuse(f"no etcd member answers and {', '.join(unreachable)} cannot be reached: cannot tell "
                       f"whether the recorded cluster's data is still there")
    if not holders:
        recorded = ", ".join(member.name for member in record.members)
        return _refuse(f"every member's {data_dir} is empty, but the record says cluster {record.etcd_cluster_id} "
                       f"was built with {recorded}: that is a restore, not a bootstrap; restore the data with "
                       f"`provisioner etcd restore {topology.source} SNAPSHOT --yes` (apply never bootstraps a "
                       f"recorded cluster again)")
    if sorted(desired) != sorted(member.name for member in record.members):
        return _refuse(f"no etcd member answers ({', '.join(holders)} hold data, etcd is stopped): membership "
                       f"changes need a healthy cluster; list the recorded members "
                       f"({', '.join(m.name for m in record.members)}) in the file, apply to start them, then "
                       f"change the membership")
    return Plan(members_in_place=tuple(name for name in desired if name in holders))


@dataclass
class _Membership:
    """Planning against a running cluster: one instance per plan, so the helpers share what they read."""

    topology: Topology
    record: Record | None
    facts: ClusterFacts
    replacing: str | None = None

    def __post_init__(self) -> None:
        self.desired = self.topology.etcd_members
        self.live = self.facts.members
        self.voting = [member for member in self.live if not member.is_learner]
        self.answering_ids = {host.status.member_id for host in self.facts.answering if host.status}
        self.data_dir = self.topology.cluster.etcd.data_dir
        self.refusals: list[str] = []
        record = self.record
        self.moving = (record.layout, self.topology.layout) if record and record.layout != self.topology.layout \
            else None

    def member_of(self, desired: EtcdMember) -> EtcdMemberFact | None:
        return self.facts.member_by_peer_url(desired.peer_url)

    def host_of(self, member: EtcdMemberFact) -> str:
        """The host a live member runs on: by peer URL in the file, else by address among the facts."""
        return member_host(self.topology, self.facts, member.peer_urls, member.name or member.id)

    def host_facts(self, name: str) -> HostFacts:
        return self.facts.host(name) or HostFacts(host=name, address="", reachable=False, problem="not asked")

    def plan(self) -> Plan:
        steps: list[Step] = []
        if self.replacing:
            steps += self._replace_first(self.replacing)
        joining, additions = self._joining_and_additions()
        removals = [m for m in self.live if not any(d.peer_url in m.peer_urls for d in self.desired)]
        self._refuse_lost_data(skip=self.replacing)
        self._refuse_unhealthy(removals, changing=bool(joining or additions or removals))
        if self.moving:
            self._refuse_moving_without_every_member()
        for name in [d.name for d, _ in joining] + [d.name for d in additions]:
            host = self.host_facts(name)
            if not host.reachable:
                self.refusals.append(f"{name}: cannot be reached over SSH ({host.problem}); it must answer to join")
        if self.refusals:
            return Plan(refusals=tuple(self.refusals))
        for desired, member in joining:
            if not self.host_facts(desired.name).etcd_active:
                steps.append(StartJoiningMember(desired.name, "it was added to the cluster but has not started: an "
                                                              "earlier run stopped part-way"))
            if member.is_learner:
                steps.append(PromoteMember(desired.name, "it is still a learner, and learners do not vote"))
        for desired in additions:
            steps += self._add(desired)
        steps += self._endpoint_updates()
        if self.moving:
            steps += self._leadership_to_new_members(removals)
        steps += self._removals(removals)
        steps += self._leftovers(removals)
        steps += self._leftover_certificates(removals)
        if steps or self._record_outdated():
            why = (f"the record must say the cluster is {self.moving[1]} now, with its new members" if self.moving
                   else "the record must name the members as they are now")
            steps.append(WriteRecord("build folder", why))
        return Plan(steps=tuple(steps), members_in_place=self._in_place(), moving_layout=self.moving)

    def _joining_and_additions(self) -> tuple[list[tuple[EtcdMember, EtcdMemberFact]], list[EtcdMember]]:
        joining: list[tuple[EtcdMember, EtcdMemberFact]] = []
        additions: list[EtcdMember] = []
        for desired in self.desired:
            member = self.member_of(desired)
            if desired.name == self.replacing and member is not None and not member.is_learner:
                additions.append(desired)  # its old member is removed first, then it is added again
            elif member is None:
                additions.append(desired)
            elif member.is_learner or not member.started:
                joining.append((desired, member))
        return joining, additions

    def _add(self, desired: EtcdMember) -> list[Step]:
        return [
            AddLearner(desired.name, "the cluster file lists it as an etcd member; a learner receives the data "
                                     "without counting toward the quorum", peer_url=desired.peer_url),
            StartJoiningMember(desired.name, "its first start joins the running cluster (initial-cluster-state "
                                             "existing, with the current members)"),
            PromoteMember(desired.name, "once caught up with the leader it can vote without slowing the cluster"),
        ]

    def _replace_first(self, name: str) -> list[Step]:
        desired = next(d for d in self.desired if d.name == name)
        member = self.member_of(desired)
        host = self.host_facts(name)
        steps: list[Step] = []
        if not host.reachable:
            self.refusals.append(f"{name}: cannot be reached over SSH ({host.problem}); bring the rebuilt machine "
                                 f"up first")
        others = [m for m in self.voting if member is None or m.id != member.id]
        answering = [m for m in others if m.id in self.answering_ids]
        if len(answering) < quorum(len(self.voting)):
            self.refusals.append(f"only {len(answering)} of the other {len(others)} members answer; removing "
                                 f"{name}'s member needs {quorum(len(self.voting))}: bring members back first")
        if member is not None and not member.is_learner:
            if self._leader() == member.id and answering:
                steps.append(MoveLeader(name, "a member is not removed while it leads", to=self.host_of(answering[0])))
            steps.append(RemoveMember(name, "replacing removes the old member first: adding first would raise the "
                                            "quorum while it is down", member_id=member.id))
        left_over = host.etcd_active or host.etcd_enabled or host.data_has_member
        if (member is None or not member.is_learner) and left_over:
            steps.append(StopAndArchive(name, "whatever is left of its old data is kept aside, and a member "
                                              "joins with an empty data directory", data_dir=self.data_dir))
        return steps

    def _leader(self) -> str | None:
        leaders = self.facts.leaders
        return next(iter(leaders)) if len(leaders) == 1 else None

    def _refuse_lost_data(self, skip: str | None) -> None:
        for desired in self.desired:
            if desired.name == skip:
                continue
            member, host = self.member_of(desired), self.host_facts(desired.name)
            if not host.reachable or host.data_has_member or host.etcd_active:
                if member is None and host.reachable and host.data_has_member:
                    self._stale_data(desired.name)
                continue
            if member is not None and member.started:
                self.refusals.append(
                    f"{desired.name}: the cluster knows it as member {member.id}, but {self.data_dir} on it holds "
                    f"no member: its data is gone or the machine was rebuilt; replace it with "
                    f"`provisioner etcd replace {self.topology.source} {desired.name}`")

    def _stale_data(self, name: str) -> None:
        self.refusals.append(
            f"{name}: {self.data_dir} holds etcd data, but the cluster has no member there (a removed member's "
            f"data?); `provisioner etcd replace {self.topology.source} {name}` moves it aside and adds {name} again")

    def _refuse_unhealthy(self, removals: list[EtcdMemberFact], changing: bool) -> None:
        if not changing:
            return
        removing = {member.id for member in removals}
        if self.replacing:
            removing |= {m.id for d in self.desired if d.name == self.replacing and (m := self.member_of(d))}
        silent = [m for m in self.voting if m.id not in self.answering_ids]
        blocking = [m for m in silent if m.id not in removing]
        if blocking:
            names = ", ".join(self.host_of(m) for m in blocking)
            errors = "; ".join(f"{h.host}: {h.etcd_error or h.problem or 'etcd not running'}" for h in self.facts.hosts
                               if h.host in names.split(", "))
            self.refusals.append(f"etcd is not healthy: {names} do not answer ({errors}); membership changes run only "
                                 f"on a healthy cluster: bring them back, or replace a dead member with "
                                 f"`provisioner etcd replace {self.topology.source} HOST`")
        elif len(self.facts.leaders) != 1:
            leaders = ", ".join(sorted(self.facts.leaders)) or "none"
            self.refusals.append(f"the members do not agree on a leader ({leaders}); membership changes wait for a "
                                 f"healthy cluster")
        healthy = len(self.voting) - len(silent)
        if removals and healthy < quorum(len(self.voting)):
            self.refusals.append(f"removing {', '.join(self.host_of(m) for m in removals)} needs a quorum of "
                                 f"{quorum(len(self.voting))} of the {len(self.voting)} voting members, but only "
                                 f"{healthy} answer: bring members back first")

    def _refuse_moving_without_every_member(self) -> None:
        """A move adds and removes several members: every voting member must answer throughout, or some
        moment of it (a promotion raising the quorum, a removal lowering the members) has no quorum."""
        silent = [self.host_of(m) for m in self.voting if m.id not in self.answering_ids]
        if silent:
            assert self.moving is not None
            self.refusals.append(
                f"{self.topology.source.name}: layout: moving from {self.moving[0]} to {self.moving[1]} etcd needs "
                f"every member healthy, but {', '.join(silent)} do not answer: with a member down the move would "
                f"pass through a moment without quorum; bring it back (or `provisioner etcd replace` it) first")

    def _endpoint_updates(self) -> list[Step]:
        wanted = tuple(self.topology.etcd_endpoints)
        steps: list[Step] = []
        for host in self.topology.control_plane_hosts:
            kubeadm = self.host_facts(host.name).kubeadm
            lists = [kubeadm.apiserver_etcd_servers, kubeadm.configured_etcd_endpoints]
            if any(listed is not None and tuple(listed) != wanted for listed in lists):
                steps.append(UpdateControlPlaneEndpoints(
                    host.name, "the API server uses voting members only: new ones once promoted, removed ones "
                               "before their removal", endpoints=wanted))
        return steps

    def _leadership_to_new_members(self, removals: list[EtcdMemberFact]) -> list[Step]:
        """Moving between layouts: leadership goes to a new member once, before the first old one leaves."""
        leader = self._leader()
        leaving = next((m for m in removals if m.id == leader), None)
        if leaving is None:
            return []
        return [MoveLeader(self.host_of(leaving), "the old members leave next: the leader must be one that stays",
                           to=self._staying()[0])]

    def _staying(self) -> list[str]:
        """Members of the file that vote and answer (the file's first member when none does yet)."""
        staying = [d.name for d in self.desired
                   if (m := self.member_of(d)) and m in self.voting and m.id in self.answering_ids]
        return staying or [self.desired[0].name]

    def _removals(self, removals: list[EtcdMemberFact]) -> list[Step]:
        steps: list[Step] = []
        for member in removals:
            name = self.host_of(member)
            if self._leader() == member.id and not self.moving:
                # Leadership goes to the first member of the file that stays and answers.
                steps.append(MoveLeader(name, "a member is not removed while it leads", to=self._staying()[0]))
            steps.append(RemoveMember(name, "the cluster file no longer lists it as an etcd member",
                                      member_id=member.id))
            host = self.facts.host(name)
            if host is not None and host.reachable:
                steps.append(StopAndArchive(name, "a removed member must not start again; its data is kept aside",
                                            data_dir=self.data_dir))
                if host.member_certificates:
                    steps.append(RemoveMemberCertificates(name, "a host that is no longer a member keeps no "
                                                                "certificate that lets it serve or join etcd"))
        return steps

    def _leftovers(self, removals: list[EtcdMemberFact]) -> list[Step]:
        """Hosts removed from the cluster by an earlier run that stopped before etcd was stopped there."""
        planned = {self.host_of(member) for member in removals} | {self.replacing}
        desired = {member.name for member in self.desired}
        live_hosts = {self.host_of(member) for member in self.live}
        return [StopAndArchive(host.host, "it is no longer a member, but etcd is still set up on it",
                               data_dir=self.data_dir)
                for host in self.facts.hosts
                if host.host not in desired | planned | live_hosts and host.reachable
                and (host.etcd_active or host.etcd_enabled or host.data_has_member)]

    def _leftover_certificates(self, removals: list[EtcdMemberFact]) -> list[Step]:
        """Hosts whose member left in an earlier run that stopped before their certificates were removed."""
        planned = {self.host_of(member) for member in removals}
        desired = {member.name for member in self.desired}
        live_hosts = {self.host_of(member) for member in self.live}
        return [RemoveMemberCertificates(host.host, "it is no longer a member, but still holds etcd's server and "
                                                    "peer certificates")
                for host in self.facts.hosts
                if host.host not in desired | planned | live_hosts and host.reachable and host.member_certificates]

    def _record_outdated(self) -> bool:
        record = self.record
        if record is None:
            return True
        recorded = {(m.id, m.peer_url) for m in record.members}
        live = {(m.id, m.peer_urls[0] if m.peer_urls else "") for m in self.live}
        control_plane = {host.name for host in self.topology.control_plane_hosts}
        initialized = any(host.kubeadm.marker for host in self.facts.hosts if host.host in control_plane)
        text = record.to_yaml()
        copies = all(self.host_facts(d.name).record == text for d in self.desired)
        return recorded != live or not copies or initialized != record.control_plane_initialized

    def _in_place(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.desired
                     if (m := self.member_of(d)) is not None and not m.is_learner and m.started
                     and d.name != self.replacing)
