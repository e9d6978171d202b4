"""The facts read from the hosts: immutable, typed, and stored as JSON so the planner's tests can use
facts recorded from real clusters.

etcd reports IDs as unsigned 64-bit numbers; they are kept here as etcdctl's table output shows them
(lowercase hex), which is also what `etcdctl member remove ID` takes.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EtcdMemberFact(_Frozen):
    """One entry of `etcdctl member list`."""

    id: str
    # Empty until the member has started once: `member add` knows only the peer URLs.
    name: str = ""
    peer_urls: tuple[str, ...] = ()
    client_urls: tuple[str, ...] = ()
    is_learner: bool = False

    @property
    def started(self) -> bool:
        """A member that has run publishes its name and client URLs."""
        return bool(self.name) and bool(self.client_urls)


class EtcdStatus(_Frozen):
    """`etcdctl endpoint status` of a host's own member."""

    cluster_id: str
    member_id: str
    leader: str
    version: str
    is_learner: bool = False
    raft_index: int = 0


class CaFingerprints(_Frozen):
    """sha256 of the DER of each CA certificate installed on a host, per trust file (None: no file). A file
    holds one CA, or two while a CA rotation has the hosts trust the old and the new one."""

    etcd: tuple[str, ...] | None = None
    kubernetes: tuple[str, ...] | None = None
    # The etcd CA the control plane trusts as etcd's client (kube-apiserver's --etcd-cafile).
    etcd_client: tuple[str, ...] | None = None


class KubeadmFacts(_Frozen):
    admin_conf: bool = False
    kubelet_conf: bool = False
    # The marker apply writes once kubeadm init or join succeeded on the host.
    marker: bool = False
    # admin.conf answered: the API server behind it served the kubeadm-config ConfigMap.
    kubeadm_config_map: bool = False
    # --etcd-servers of the running API server's manifest, None when there is no manifest.
    apiserver_etcd_servers: tuple[str, ...] | None = None
    # etcd.external.endpoints of the kubeadm configuration placed on the host, None when there is none.
    configured_etcd_endpoints: tuple[str, ...] | None = None


class HostFacts(_Frozen):
    host: str
    address: str
    reachable: bool
    problem: str = ""
    # ssh itself failed (not the script run over it): nothing on the host could be asked.
    ssh_failed: bool = False
    etcd_active: bool = False
    etcd_enabled: bool = False
    etcd_main_pid: int = 0
    # The data directory asked about and whether it holds a member (a member/ folder).
    data_dir: str = ""
    data_has_member: bool = False
    # A joining member's start-up settings are still in place (it has not been promoted yet).
    join_pending: bool = False
    # etcd's server or peer certificate is on the host (a member's; a host that left keeps neither).
    member_certificates: bool = False
    status: EtcdStatus | None = None
    members: tuple[EtcdMemberFact, ...] | None = None
    etcd_error: str = ""
    # initial-cluster as the host's etcd configuration names it.
    initial_cluster: str | None = None
    ca: CaFingerprints = CaFingerprints()
    kubeadm: KubeadmFacts = KubeadmFacts()
    # The copy of the record kept on the host (YAML text), if any.
    record: str | None = None


class ClusterFacts(_Frozen):
    hosts: tuple[HostFacts, ...]

    def host(self, name: str) -> HostFacts | None:
        return next((facts for facts in self.hosts if facts.host == name), None)

    @property
    def answering(self) -> list[HostFacts]:
        """Hosts whose own etcd member answered `endpoint status`."""
        return [facts for facts in self.hosts if facts.status is not None]

    @property
    def cluster_ids(self) -> set[str]:
        return {facts.status.cluster_id for facts in self.answering if facts.status}

    @property
    def members(self) -> tuple[EtcdMemberFact, ...]:
        """The member list as the most up-to-date member that answered sees it (highest raft index: a
        member just removed, still running on its own, has a stale view)."""
        listing = [f for f in self.answering if f.members is not None]
        if not listing:
            return ()
        newest = max(listing, key=lambda f: f.status.raft_index if f.status else -1)
        return newest.members or ()

    @property
    def leaders(self) -> set[str]:
        """Member IDs the answering members of the cluster name as leader ('0': no leader known)."""
        ids = {member.id for member in self.members}
        return {f.status.leader for f in self.answering
                if f.status and f.status.leader != "0" and f.status.member_id in ids}

    def member_by_peer_url(self, peer_url: str) -> EtcdMemberFact | None:
        return next((member for member in self.members if peer_url in member.peer_urls), None)

    def answering_member(self, member_id: str) -> HostFacts | None:
        return next((f for f in self.answering if f.status and f.status.member_id == member_id), None)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str) -> ClusterFacts:
        return cls.model_validate_json(text)
