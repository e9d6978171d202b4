"""Rotating the etcd CA without downtime (pure): which step comes next, and what the hosts trust at each.

Three steps, each rolled out by apply (members restarted one at a time, a health check between; then,
where kubeadm runs the control plane, kube-apiserver one host at a time, so every API server uses the
step's files before the next step: the last one stops etcd trusting the old client certificate):

1. trust both: a new CA is issued beside the old one; every trust file becomes a bundle of old and new;
2. re-issue: the new CA signs every etcd leaf (members, clients); the trust files still hold both;
3. drop the old CA: the trust files hold the new CA only; then the old CA is moved aside in the tree.

The rotation's progress is a small file in the tree (`RotationState`): the step whose tree changes are
made and whether apply has rolled them out, so a run stopped anywhere continues where it was."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from provisioner.certs.rollout import restarts

StepName = Literal["trust-both", "reissue", "drop-old"]
STEPS: tuple[StepName, ...] = ("trust-both", "reissue", "drop-old")
SENTENCES: dict[StepName, str] = {
    "trust-both": "issue a new etcd CA beside the old one (its key stays in the build folder) and make every "
                  "host trust both",
    "reissue": "re-issue every etcd leaf (server, peer, health-check and API-server client certificates) from the "
               "new CA",
    "drop-old": "make every host trust the new CA only",
}
# Tree CA files (under pki/etcd, without .crt) the hosts trust during each step, in the bundle's order.
# "ca" is always the CA that signs the leaves: the old one in step 1, the new one from step 2 on.
TRUSTED: dict[StepName | None, tuple[str, ...]] = {
    None: ("ca",),
    "trust-both": ("ca", "ca-next"),
    "reissue": ("ca", "ca-previous"),
    "drop-old": ("ca",),
}


class RotationState(BaseModel):
    """What `certs rotate-ca` has done so far, kept in the build folder until the rotation ends."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step: StepName
    rolled_out: bool
    # Fingerprints (sha256 of the DER, as the record writes them) of the CA being replaced and its successor.
    old_ca: str
    new_ca: str


@dataclass(frozen=True)
class Prepare:
    """Make the tree changes of `step` (idempotent), then roll them out."""

    step: StepName


@dataclass(frozen=True)
class RollOut:
    """The tree holds `step`'s changes; apply has not (or not surely) placed them on the hosts."""

    step: StepName


@dataclass(frozen=True)
class Finish:
    """Every step is rolled out: move the old CA aside and record the new CA alone."""


Action = Prepare | RollOut | Finish


def next_action(state: RotationState | None) -> Action:
    if state is None:
        return Prepare("trust-both")
    if not state.rolled_out:
        return RollOut(state.step)
    following = STEPS.index(state.step) + 1
    return Prepare(STEPS[following]) if following < len(STEPS) else Finish()


def remaining_steps(state: RotationState | None) -> list[StepName]:
    """The steps still to roll out, in order (the current one included when it is not rolled out)."""
    if state is None:
        return list(STEPS)
    current = STEPS.index(state.step)
    return list(STEPS[current + 1 if state.rolled_out else current:])


def trusted_cas(step: StepName | None) -> tuple[str, ...]:
    """The tree CAs every host's trust file for etcd holds while `step` is rolled out (None: no rotation)."""
    return TRUSTED[step]


def plan_lines(state: RotationState | None, hosts: list[str], members: list[str],
               api_servers: list[str] | None = None) -> list[str]:
    """What the rotation will do, numbered from the next step; `hosts` get the files, `members` restart,
    then the kube-apiserver of `api_servers` (every step changes the etcd files it reads when it starts)."""
    lines = []
    first = len(STEPS) - len(remaining_steps(state)) + 1
    for number, step in enumerate(remaining_steps(state), start=first):
        resumed = " (resumed: its files are in the build folder)" if state and state.step == step else ""
        lines.append(f"{number}. {SENTENCES[step]}{resumed}\n"
                     f"   files on {', '.join(hosts)}; {restarts(members, api_servers or [])}")
    lines.append("then the old CA is moved aside in the build folder (kept, never deleted) and the record names "
                 "the new CA alone")
    return lines
