"""Carry out a plan's steps, one at a time, over SSH: each step checks that it is still needed, acts,
then facts are gathered again until the step's outcome shows (or a surprise stops the run).

Every step is idempotent, so a run killed between (or inside) steps is finished by running apply
again: the plan is recomputed from the facts and starts where the cluster is."""

from __future__ import annotations

import base64
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from provisioner import hostpaths
from provisioner.apply import remote_paths
from provisioner.apply.upgrade_commands import cluster_version_command, switch_release_command
from provisioner.apply.variables import etcd_variables
from provisioner.backup.snapshot import default_snapshot_path, take_snapshot
from provisioner.cluster.record import Record, RecordedCas, write_record
from provisioner.cluster.topology import Topology
from provisioner.errors import StepFailed
from provisioner.etcdctl import MEMBER_CLIENT, etcdctl, first_error
from provisioner.facts.model import ClusterFacts, EtcdMemberFact, HostFacts
from provisioner.plan.recording import member_host, record_from_facts
from provisioner.plan.steps import (
    AddLearner,
    BootstrapCluster,
    CheckClusterVersion,
    MoveLeader,
    PromoteMember,
    RemoveMember,
    RemoveMemberCertificates,
    SnapshotBeforeUpgrade,
    StartJoiningMember,
    Step,
    StopAndArchive,
    UpdateControlPlaneEndpoints,
    UpgradeMember,
    WriteRecord,
)
from provisioner.providers.base import SshTarget
from provisioner.reach.remote import Completed, in_parallel, run_shell
from provisioner.render.etcd import etcd_binary

# How long a step may take to show its outcome (a learner catching up, a leader election).
STEP_TIMEOUT_SECONDS = 120
_POLL_SECONDS = 0.5


@dataclass
class StepRunner:
    topology: Topology
    tree: Path
    targets: dict[str, SshTarget]
    gather: Callable[[], ClusterFacts]
    record: Record | None
    tree_cas: RecordedCas
    say: Callable[[str], None]
    timeout: float = STEP_TIMEOUT_SECONDS

    def run(self, step: Step, facts: ClusterFacts) -> ClusterFacts:
        """Runs one step and returns the facts that show it done."""
        action = getattr(self, "_" + type(step).__name__)
        check: Callable[[ClusterFacts], str | None] = action(step, facts)
        return self._wait(step, check)

    def _wait(self, step: Step, check: Callable[[ClusterFacts], str | None]) -> ClusterFacts:
        deadline = time.monotonic() + self.timeout
        while True:
            facts = self.gather()
            if len(facts.cluster_ids) > 1:
                seen = ", ".join(f"{h.host}: {h.status.cluster_id}" for h in facts.answering if h.status)
                raise StepFailed(step.sentence, step.host, f"surprise: the members report different clusters "
                                                           f"({seen}); stopped before anything else changes")
            missing = check(facts)
            if missing is None:
                return facts
            if time.monotonic() > deadline:
                raise StepFailed(step.sentence, step.host, f"not done after {self.timeout:.0f} s: {missing}")
            time.sleep(_POLL_SECONDS)

    # -- helpers ---------------------------------------------------------------------------------------

    def _shell(self, host: str, script: str, step: Step) -> Completed:
        done = run_shell(self.targets[host], script)
        if done.unreachable or done.rc != 0:
            said = (done.unreachable or first_error(done.stderr) or done.stdout.strip())[-300:]
            raise StepFailed(step.sentence, host, said or f"exit {done.rc}")
        return done

    def _etcdctl(self, facts: ClusterFacts, step: Step, *words: str, endpoints: list[str] | None = None,
                 avoid: str = "") -> Completed:
        """etcdctl on a member that answers (the leader's host when it can), against the voting members."""
        voting = {m.id for m in facts.members if not m.is_learner and m.id != avoid}
        hosts = sorted((h for h in facts.answering if h.status and h.status.member_id in voting),
                       key=lambda h: h.status is None or h.status.member_id != h.status.leader)
        if not hosts:
            raise StepFailed(step.sentence, step.host, "no voting etcd member answers")
        urls = endpoints or [url for m in facts.members if m.id in voting for url in m.client_urls]
        return run_shell(self.targets[hosts[0].host], etcdctl(urls, MEMBER_CLIENT, *words))

    def _member(self, facts: ClusterFacts, host: str) -> EtcdMemberFact | None:
        peer_url = next((m.peer_url for m in self.topology.etcd_members if m.name == host), None)
        if peer_url is not None:
            return facts.member_by_peer_url(peer_url)
        return next((m for m in facts.members if member_host(self.topology, facts, m.peer_urls, "") == host), None)

    def _healthy(self, facts: ClusterFacts) -> str | None:
        voting = [m for m in facts.members if not m.is_learner]
        answering = {h.status.member_id for h in facts.answering if h.status}
        silent = [m.name or m.id for m in voting if m.id not in answering]
        if silent:
            return f"members not answering: {', '.join(silent)}"
        if len(facts.leaders) != 1 or len(facts.cluster_ids) != 1:
            return f"leaders {sorted(facts.leaders)}, cluster IDs {sorted(facts.cluster_ids)}"
        return None

    # -- steps: each acts (when still needed) and returns the check that shows it done ---------------

    def _BootstrapCluster(self, step: BootstrapCluster, facts: ClusterFacts) -> Callable[[ClusterFacts], str | None]:
        # Started by the etcd phase (every founding member at once); here: one cluster, every member in.
        def done(now: ClusterFacts) -> str | None:
            answering = {h.host for h in now.answering}
            missing = [name for name in step.members if name not in answering]
            return f"not answering: {', '.join(missing)}" if missing else self._healthy(now)
        return done

    def _AddLearner(self, step: AddLearner, facts: ClusterFacts) -> Callable[[ClusterFacts], str | None]:
        if facts.member_by_peer_url(step.peer_url) is None:
            done = self._etcdctl(facts, step, "member", "add", step.host, f"--peer-urls={step.peer_url}", "--learner")
            if done.rc != 0:
                raise StepFailed(step.sentence, step.host, first_error(done.stderr))
        return lambda now: None if now.member_by_peer_url(step.peer_url) else "the member list does not show it"

    def _StartJoiningMember(self, step: StartJoiningMember,
                            facts: ClusterFacts) -> Callable[[ClusterFacts], str | None]:
        member = self._member(facts, step.host)
        if member is None:
            raise StepFailed(step.sentence, step.host, "the cluster has no member for it: run apply again")
        names = [f"{member_host(self.topology, facts, m.peer_urls, m.name)}={url}"
                 for m in facts.members for url in m.peer_urls[:1]]
        config = yaml.safe_load((self.tree / "hosts" / step.host / "etcd.conf.yml").read_text())
        config["initial-cluster"] = ",".join(names)
        config["initial-cluster-state"] = "existing"
        start = f"{etcd_binary(self.topology)} --config-file {hostpaths.ETCD_JOIN_CONFIG}"
        dropin = f"[Service]\nExecStart=\nExecStart={start}\n"
        data_dir = shlex.quote(self.topology.cluster.etcd.data_dir)
        self._shell(step.host, "\n".join([
            _put(hostpaths.ETCD_JOIN_CONFIG, yaml.safe_dump(config, sort_keys=False)),
            f"mkdir -p {shlex.quote(str(Path(hostpaths.ETCD_JOIN_DROPIN).parent))}",
            _put(hostpaths.ETCD_JOIN_DROPIN, dropin),
            f"install -d -o etcd -g etcd -m 0700 {data_dir}",
            # The files phase marked etcd for a restart when it placed them; this start uses them.
            f"rm -f {shlex.quote(remote_paths.PENDING_RESTART_DIR)}/etcd",
            "systemctl daemon-reload",
            "systemctl enable --quiet etcd",
            "systemctl start --no-block etcd",
        ]), step)

        def done(now: ClusterFacts) -> str | None:
            host = now.host(step.host)
            if host is None or host.status is None:
                return f"its member does not answer yet ({host.etcd_error if host else 'no facts'})"
            if now.cluster_ids != {host.status.cluster_id}:
                return f"it reports cluster {host.status.cluster_id}, the others {sorted(now.cluster_ids)}"
            return None
        return done

    def _PromoteMember(self, step: PromoteMember, facts: ClusterFacts) -> Callable[[ClusterFacts], str | None]:
        deadline = time.monotonic() + self.timeout
        while (member := self._member(facts, step.host)) is not None and member.is_learner:
            done = self._etcdctl(facts, step, "member", "promote", member.id)
            if done.rc == 0:
                break
            # A learner is promoted only once in sync with the leader: wait for it to catch up.
            if time.monotonic() > deadline:
                raise StepFailed(step.sentence, step.host, first_error(done.stderr))
            time.sleep(_POLL_SECONDS)
            facts = self.gather()
        # Its first start is behind it: later restarts use the rendered configuration.
        self._shell(step.host, f"rm -f {shlex.quote(hostpaths.ETCD_JOIN_DROPIN)} "
                               f"{shlex.quote(hostpaths.ETCD_JOIN_CONFIG)}\nsystemctl daemon-reload", step)

        def done_check(now: ClusterFacts) -> str | None:
            member = self._member(now, step.host)
            if member is None or member.is_learner:
                return "it is not a voting member"
            return self._healthy(now)
        return done_check

    def _UpdateControlPlaneEndpoints(self, step: UpdateControlPlaneEndpoints,
                                     facts: ClusterFacts) -> Callable[[ClusterFacts], str | None]:
        servers = ",".join(step.endpoints)
        manifests = shlex.join([hostpaths.KUBE_APISERVER_MANIFEST, hostpaths.KUBE_APISERVER_PARKED])
        # The kubeadm configuration the upload held back for this step (the tree's names the new list),
        # then the running API server's flag: the kubelet restarts it when its static Pod manifest changes.
        # A manifest a stopped restart left parked gets the new list too, before it is put back.
        rendered = self.tree / "hosts" / step.host / "kubeadm.yaml"
        lines = [_put(hostpaths.KUBEADM_CONFIG, rendered.read_text(), mode="0600")] if rendered.is_file() else []
        lines.append(f"for manifest in {manifests}; do if [ -f \"$manifest\" ]; then "
                     f"sed -i 's#--etcd-servers=[^\"'\"'\"' ]*#--etcd-servers={servers}#' \"$manifest\"; fi; done")
        self._shell(step.host, "\n".join(lines), step)

        def done(now: ClusterFacts) -> str | None:
            host = now.host(step.host)
            if host is None:
                return "no facts about it"
            listed = [host.kubeadm.apiserver_etcd_servers, host.kubeadm.configured_etcd_endpoints]
            stale = [names for names in listed if names is not None and tuple(names) != step.endpoints]
            return f"it still names {stale[0]}" if stale else None
        return done

    def _MoveLeader(self, step: MoveLeader, facts: ClusterFacts) -> Callable[[ClusterFacts], str | None]:
        source, target = self._member(facts, step.host), self._member(facts, step.to)
        if target is None:
            raise StepFailed(step.sentence, step.to, "it is not a member")
        if source is not None and facts.leaders == {source.id}:
            done = self._etcdctl(facts, step, "move-leader", target.id, endpoints=list(source.client_urls))
            if done.rc != 0:
                raise StepFailed(step.sentence, step.host, first_error(done.stderr))
        return lambda now: None if source is None or now.leaders - {source.id} else "it still leads"

    def _RemoveMember(self, step: RemoveMember, facts: ClusterFacts) -> Callable[[ClusterFacts], str | None]:
        if any(m.id == step.member_id for m in facts.members):
            if facts.leaders == {step.member_id}:
                raise StepFailed(step.sentence, step.host, "it leads the cluster (leadership did not move): run "
                                                           "apply again")
            done = self._etcdctl(facts, step, "member", "remove", step.member_id, avoid=step.member_id)
            if done.rc != 0 and "member not found" not in done.stderr:
                raise StepFailed(step.sentence, step.host, first_error(done.stderr))

        def done_check(now: ClusterFacts) -> str | None:
            if any(m.id == step.member_id for m in now.members):
                return "the member list still shows it"
            return self._healthy(now)
        return done_check

    def _StopAndArchive(self, step: StopAndArchive, facts: ClusterFacts) -> Callable[[ClusterFacts], str | None]:
        data_dir = shlex.quote(step.data_dir)
        record = shlex.quote(hostpaths.RECORD)
        done = self._shell(step.host, "\n".join([
            "systemctl disable --now --quiet etcd 2>/dev/null || systemctl stop etcd || true",
            f"rm -f {shlex.quote(hostpaths.ETCD_JOIN_DROPIN)} {shlex.quote(hostpaths.ETCD_JOIN_CONFIG)}",
            "systemctl daemon-reload",
            "stamp=$(date -u +%Y%m%dT%H%M%SZ)",
            f'if [ -d {data_dir} ] && [ -n "$(ls -A {data_dir})" ]; then',
            f'  mv {data_dir} {data_dir}.removed-$stamp && echo "archived={step.data_dir}.removed-$stamp"',
            "fi",
            f'if [ -f {record} ]; then mv {record} {record}.removed-$stamp; fi',
        ]), step)
        for line in done.stdout.splitlines():
            if line.startswith("archived="):
                self.say(f"{step.host}: etcd's data kept in {line.removeprefix('archived=')}")

        def done_check(now: ClusterFacts) -> str | None:
            host = now.host(step.host)
            if host is None or host.etcd_active or host.etcd_enabled or host.data_has_member:
                return "etcd is still running, enabled or holding data there"
            return None
        return done_check

    def _RemoveMemberCertificates(self, step: RemoveMemberCertificates,
                                  facts: ClusterFacts) -> Callable[[ClusterFacts], str | None]:
        self._shell(step.host, "rm -f " + " ".join(shlex.quote(p) for p in hostpaths.ETCD_MEMBER_CERTIFICATES), step)

        def done(now: ClusterFacts) -> str | None:
            host = now.host(step.host)
            return "its server or peer certificate is still there" if host is None or host.member_certificates \
                else None
        return done

    def _SnapshotBeforeUpgrade(self, step: SnapshotBeforeUpgrade,
                               facts: ClusterFacts) -> Callable[[ClusterFacts], str | None]:
        destination = default_snapshot_path(self.tree, f"{step.cluster}-before-upgrade", datetime.now(UTC))
        targets = [self.targets[member.name] for member in self.topology.etcd_members]
        metadata = take_snapshot(self.topology, targets, destination, _SaidProgress(self.say))
        self.say(f"snapshot before the upgrade (revision {metadata.revision}, etcd {metadata.etcd_version}, from "
                 f"{metadata.taken_from}): {destination}")
        return lambda now: None

    def _UpgradeMember(self, step: UpgradeMember, facts: ClusterFacts) -> Callable[[ClusterFacts], str | None]:
        host = facts.host(step.host)
        if host is None or host.status is None or host.status.version != step.to_version:
            # Never a second member down: this one restarts only while every member answers.
            unhealthy = self._healthy(facts)
            if unhealthy:
                raise StepFailed(step.sentence, step.host, f"not restarted, the cluster is not healthy ({unhealthy}): "
                                                           f"a second member down could cost the quorum")
            unpacked = str(etcd_variables(self.topology)["etcd_release_unpacked"])
            self._shell(step.host, switch_release_command(unpacked, step.to_version), step)
        # Caught up: its log reaches at least as far as the leader's did when it went down.
        reached = max((h.status.raft_index for h in facts.answering if h.status), default=0)

        def done(now: ClusterFacts) -> str | None:
            status = (now.host(step.host) or HostFacts(host=step.host, address="", reachable=False)).status
            if status is None:
                return "its member does not answer yet"
            if status.version != step.to_version:
                return f"it runs etcd {status.version}"
            if status.raft_index < reached:
                return f"it has not caught up (raft index {status.raft_index}, the leader was at {reached})"
            return self._healthy(now)
        return done

    def _CheckClusterVersion(self, step: CheckClusterVersion,
                             facts: ClusterFacts) -> Callable[[ClusterFacts], str | None]:
        command = cluster_version_command(self.topology.cluster.etcd.metrics_port)
        members = [member.name for member in self.topology.etcd_members]

        def done(now: ClusterFacts) -> str | None:
            answers = dict(zip(members, in_parallel(members, lambda host: run_shell(self.targets[host], command)),
                               strict=True))
            behind = [f"{host}: {answer.stdout.strip() or answer.unreachable or 'no answer'}"
                      for host, answer in answers.items() if answer.stdout.strip() != step.version]
            if behind:
                return f"cluster version not {step.version} yet ({', '.join(behind)})"
            self.say(f"every member reports cluster version {step.version}")
            return None
        return done

    def _WriteRecord(self, step: WriteRecord, facts: ClusterFacts) -> Callable[[ClusterFacts], str | None]:
        record = record_from_facts(self.topology, facts, self.record, self.tree_cas)
        write_record(self.tree, record)
        self.record = record
        text = record.to_yaml()
        members = [m.name for m in record.members if m.name in self.targets]

        def place(host: str) -> Completed:
            return self._shell(host, f"mkdir -p {shlex.quote(str(Path(hostpaths.RECORD).parent))}\n"
                                     + _put(hostpaths.RECORD, text), step)
        in_parallel(members, place)
        return lambda now: None


class _SaidProgress:
    """A snapshot's progress as lines of apply's output (no bar: apply prints lines)."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say

    def step(self, text: str) -> None:
        self.say(f"snapshot: {text}")

    def transfer_started(self, total_bytes: int) -> None:
        self.say(f"snapshot: copying {total_bytes} bytes here")

    def transferred(self, count: int) -> None:
        pass


def _put(path: str, text: str, mode: str = "0644") -> str:
    """Shell lines writing `text` to `path` atomically (base64: no quoting of the content)."""
    encoded = base64.b64encode(text.encode()).decode()
    quoted, temporary = shlex.quote(path), shlex.quote(path + ".tmp")
    folder = shlex.quote(str(Path(path).parent))
    return (f"mkdir -p {folder}\n(umask 077; echo {encoded} | base64 -d > {temporary})\nchmod {mode} {temporary}\n"
            f"mv {temporary} {quoted}")

