"""The steps a plan is made of: small, typed, each touching one host and saying why in words.

Apply runs them in order and re-gathers facts after each; `provisioner plan` prints them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Step:
    # The host the step acts on (its SSH target), or what it writes for steps without one.
    host: str
    why: str

    @property
    def sentence(self) -> str:
        raise NotImplementedError

    # A step that can cost availability or takes a member away: the plan needs --yes.
    needs_confirmation: ClassVar[bool] = False
    # A step that changes etcd's membership: facts are gathered again after it.
    changes_membership: ClassVar[bool] = True
    # A step of a rolling etcd upgrade: run by the upgrade phase, before the etcd phase restarts anything.
    rolling_upgrade: ClassVar[bool] = False


@dataclass(frozen=True)
class BootstrapCluster(Step):
    members: tuple[str, ...]

    @property
    def sentence(self) -> str:
        return f"bootstrap a new etcd cluster of {', '.join(self.members)}"


@dataclass(frozen=True)
class AddLearner(Step):
    peer_url: str

    @property
    def sentence(self) -> str:
        return f"add etcd member {self.host} as a learner ({self.peer_url})"


@dataclass(frozen=True)
class StartJoiningMember(Step):
    @property
    def sentence(self) -> str:
        return f"start etcd on {self.host} joining the existing cluster and wait until it has caught up"


@dataclass(frozen=True)
class PromoteMember(Step):
    @property
    def sentence(self) -> str:
        return f"promote {self.host} to a voting member and wait for a healthy cluster"


@dataclass(frozen=True)
class UpdateControlPlaneEndpoints(Step):
    endpoints: tuple[str, ...]
    changes_membership: ClassVar[bool] = False

    @property
    def sentence(self) -> str:
        return f"update the etcd endpoints of the control plane on {self.host} to {', '.join(self.endpoints)}"


@dataclass(frozen=True)
class MoveLeader(Step):
    to: str
    needs_confirmation: ClassVar[bool] = True

    @property
    def sentence(self) -> str:
        return f"move etcd leadership from {self.host} to {self.to}"


@dataclass(frozen=True)
class RemoveMember(Step):
    member_id: str
    needs_confirmation: ClassVar[bool] = True

    @property
    def sentence(self) -> str:
        return f"remove etcd member {self.host} (ID {self.member_id})"


@dataclass(frozen=True)
class StopAndArchive(Step):
    data_dir: str
    needs_confirmation: ClassVar[bool] = True

    @property
    def sentence(self) -> str:
        return f"stop and disable etcd on {self.host} and move {self.data_dir} aside (kept, never deleted)"


@dataclass(frozen=True)
class RemoveMemberCertificates(Step):
    needs_confirmation: ClassVar[bool] = True
    changes_membership: ClassVar[bool] = False

    @property
    def sentence(self) -> str:
        return f"remove etcd's server and peer certificates from {self.host} (its client certificates stay)"


@dataclass(frozen=True)
class WriteRecord(Step):
    changes_membership: ClassVar[bool] = False

    @property
    def sentence(self) -> str:
        return "write the record of the cluster (record.yml in the build folder and on every etcd member)"


@dataclass(frozen=True)
class SnapshotBeforeUpgrade(Step):
    folder: str
    cluster: str
    changes_membership: ClassVar[bool] = False
    rolling_upgrade: ClassVar[bool] = True

    @property
    def sentence(self) -> str:
        return (f"save a snapshot of etcd into the build folder's {self.folder}/"
                f"{self.cluster}-before-upgrade-<UTC time>.db (checked with etcd's snapshot status)")


@dataclass(frozen=True)
class UpgradeMember(Step):
    from_version: str
    to_version: str
    needs_confirmation: ClassVar[bool] = True
    changes_membership: ClassVar[bool] = False
    rolling_upgrade: ClassVar[bool] = True

    @property
    def sentence(self) -> str:
        return (f"upgrade etcd on {self.host} from {self.from_version} to {self.to_version}: switch to the new "
                f"release's binaries, restart the member, wait until every member is healthy and it has caught "
                f"up with the leader")


@dataclass(frozen=True)
class CheckClusterVersion(Step):
    version: str
    changes_membership: ClassVar[bool] = False
    rolling_upgrade: ClassVar[bool] = True

    @property
    def sentence(self) -> str:
        return f"wait until every member reports cluster version {self.version}"


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...] = ()
    # One line each: what differs and what to do. A plan with refusals is never run.
    refusals: tuple[str, ...] = ()
    # etcd members that stay in place: the etcd phase starts or restarts only these with their files.
    members_in_place: tuple[str, ...] = ()
    # A move between layouts (from, to), None when the layout stays.
    moving_layout: tuple[str, str] | None = None

    @property
    def holds_back_configuration(self) -> frozenset[str]:
        """Control-plane hosts whose etcd endpoint list a step changes: the upload leaves theirs alone."""
        return frozenset(step.host for step in self.steps if isinstance(step, UpdateControlPlaneEndpoints))

    @property
    def upgrade_steps(self) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if step.rolling_upgrade)

    @property
    def membership_steps(self) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if not step.rolling_upgrade)

    @property
    def upgrading(self) -> frozenset[str]:
        """Members whose binaries an upgrade step switches: the install phase leaves theirs alone."""
        return frozenset(step.host for step in self.steps if isinstance(step, UpgradeMember))

    @property
    def needs_confirmation(self) -> bool:
        return any(step.needs_confirmation for step in self.steps)

    def lines(self) -> list[str]:
        """The plan as people read it: one numbered line per step, its host and why."""
        if self.refusals:
            return [f"refused: {refusal}" for refusal in self.refusals]
        if not self.steps:
            return ["no changes: etcd membership and the cluster's identity already match the cluster file"]
        width = len(str(len(self.steps)))
        heading = [f"moving from {self.moving_layout[0]} to {self.moving_layout[1]} etcd: members join and leave one "
                   f"at a time; the control plane's endpoints switch before any old member leaves; the new members' "
                   f"certificates are issued in the build folder and placed before step 1"
                   ] if self.moving_layout else []
        upgrades = [step for step in self.steps if isinstance(step, UpgradeMember)]
        if upgrades:
            heading.append(f"rolling upgrade of etcd to {upgrades[0].to_version}: a snapshot first, then one member "
                           f"at a time (the leader last), each healthy and caught up before the next; the new "
                           f"release is downloaded and unpacked beside the old one before step 1")
        return heading + [f"{index:>{width}}. [{step.host}] {step.sentence}\n{' ' * (width + 2)}why: {step.why}"
                for index, step in enumerate(self.steps, start=1)]
