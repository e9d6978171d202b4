"""Judging a write history against what every member holds afterwards: was any acknowledged write lost?

Pure functions: the attempts the writer recorded and the keys read back from each member go in, a report
comes out. The promises checked are etcd's own (and what Jepsen's etcd tests check): an acknowledged write
is durable on every member with its value; revisions of acknowledged writes increase in the order the
acknowledgements arrived; no revision is handed out twice. A write whose outcome is `unknown` may or may
not have been applied, so it is never counted as lost; `failed` writes were never sent.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from provisioner.workload.history import Attempt, MemberKeys

BUCKET_SECONDS = 0.1


@dataclass(frozen=True)
class LostWrite:
    """An acknowledged write a member does not hold as acknowledged."""

    seq: int
    key: str
    member: str
    expected: str
    found: str | None  # None: the key is missing on that member


@dataclass(frozen=True)
class RevisionMismatch:
    """An acknowledged write a member holds with another modification revision than the one acknowledged."""

    seq: int
    key: str
    member: str
    acknowledged: int
    found: int


@dataclass(frozen=True)
class OrderViolation:
    """An acknowledgement whose revision is not above the revision of the acknowledgement before it."""

    previous_seq: int
    previous_revision: int
    seq: int
    revision: int


@dataclass(frozen=True)
class Duplicate:
    """`seq`: one sequence number acknowledged twice; `revision`: one revision acknowledged for two writes."""

    kind: str  # seq | revision
    value: int
    seqs: tuple[int, ...]


@dataclass(frozen=True)
class Divergence:
    """A key the members disagree on (present on some only, or with different values or revisions)."""

    key: str
    held: Mapping[str, tuple[str, int] | None]  # member -> what it holds, None when missing


@dataclass(frozen=True)
class Span:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class FailureWindow(Span):
    """Consecutive attempts that were not acknowledged, from the first one's send to the last one's end."""

    failed: int = 0
    unknown: int = 0
    endpoints: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryReport:
    attempts: int
    acknowledged: int
    failed: int
    unknown: int
    lost: list[LostWrite]
    revision_mismatches: list[RevisionMismatch]
    order_violations: list[OrderViolation]
    duplicates: list[Duplicate]
    divergences: list[Divergence]
    # The longest time without an acknowledged write, from the first send to the last answer.
    longest_gap: Span | None
    failure_windows: list[FailureWindow]
    # Acknowledged writes per BUCKET_SECONDS, counted by answer time, the first bucket at bucket_start.
    bucket_start: float | None
    writes_per_bucket: list[int] = field(default_factory=list)
    members: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Nothing acknowledged was lost or reordered, and the members agree."""
        return not (self.lost or self.revision_mismatches or self.order_violations or self.duplicates
                    or self.divergences)

    def lines(self) -> list[str]:
        """A summary for people, then one line per problem."""
        gap = f"{self.longest_gap.seconds:.3f} s" if self.longest_gap else "none"
        lines = [f"{self.attempts} writes: {self.acknowledged} acknowledged, {self.failed} failed, "
                 f"{self.unknown} unknown; read back from {', '.join(self.members) or 'no member'}; "
                 f"longest gap without an acknowledged write {gap}; {len(self.failure_windows)} failure windows"]
        lines += [f"lost: seq {lost.seq} ({lost.key}) on {lost.member}: expected {lost.expected!r}, "
                  f"found {'nothing' if lost.found is None else repr(lost.found)}" for lost in self.lost]
        lines += [f"revision: seq {m.seq} ({m.key}) on {m.member}: acknowledged at {m.acknowledged}, held at {m.found}"
                  for m in self.revision_mismatches]
        lines += [f"order: seq {v.seq} acknowledged at revision {v.revision} after seq {v.previous_seq} at "
                  f"{v.previous_revision}" for v in self.order_violations]
        lines += [f"duplicate {d.kind} {d.value}: seqs {', '.join(map(str, d.seqs))}" for d in self.duplicates]
        lines += [f"members disagree on {d.key}: " + ", ".join(
            f"{member}={'missing' if held is None else f'{held[0]!r}@{held[1]}'}" for member, held in d.held.items())
            for d in self.divergences]
        return lines


def check_history(attempts: Sequence[Attempt], reads: Mapping[str, MemberKeys]) -> HistoryReport:
    """`reads`: member name -> every key under the run's prefix that member holds, read after recovery."""
    acknowledged = sorted((a for a in attempts if a.acknowledged), key=lambda a: (a.answered, a.seq))
    lost, mismatches = lost_writes(acknowledged, reads)
    return HistoryReport(
        attempts=len(attempts),
        acknowledged=len(acknowledged),
        failed=sum(1 for a in attempts if a.outcome == "failed"),
        unknown=sum(1 for a in attempts if a.outcome == "unknown"),
        lost=lost,
        revision_mismatches=mismatches,
        order_violations=order_violations(acknowledged),
        duplicates=duplicates(acknowledged),
        divergences=divergences(reads),
        longest_gap=longest_gap(attempts),
        failure_windows=failure_windows(attempts),
        bucket_start=_bucket_start(attempts),
        writes_per_bucket=writes_per_bucket(attempts),
        members=tuple(reads),
    )


def lost_writes(acknowledged: Sequence[Attempt],
                reads: Mapping[str, MemberKeys]) -> tuple[list[LostWrite], list[RevisionMismatch]]:
    """Each acknowledged write must be on every member with its value and the revision etcd acknowledged."""
    lost: list[LostWrite] = []
    mismatches: list[RevisionMismatch] = []
    for attempt in acknowledged:
        for member, keys in reads.items():
            held = keys.get(attempt.key)
            if held is None or held[0] != attempt.value:
                found = None if held is None else held[0]
                lost.append(LostWrite(attempt.seq, attempt.key, member, attempt.value, found))
            elif attempt.revision is not None and held[1] != attempt.revision:
                mismatches.append(RevisionMismatch(attempt.seq, attempt.key, member, attempt.revision, held[1]))
    return lost, mismatches


def order_violations(acknowledged: Sequence[Attempt]) -> list[OrderViolation]:
    """`acknowledged` in acknowledgement order; each revision must be above every one acknowledged before."""
    violations: list[OrderViolation] = []
    highest: Attempt | None = None
    for attempt in acknowledged:
        if attempt.revision is None:
            continue
        if highest is not None and highest.revision is not None and attempt.revision <= highest.revision:
            violations.append(OrderViolation(highest.seq, highest.revision, attempt.seq, attempt.revision))
        else:
            highest = attempt
    return violations


def duplicates(acknowledged: Sequence[Attempt]) -> list[Duplicate]:
    by_seq: dict[int, list[int]] = {}
    by_revision: dict[int, list[int]] = {}
    for attempt in acknowledged:
        by_seq.setdefault(attempt.seq, []).append(attempt.seq)
        if attempt.revision is not None:
            by_revision.setdefault(attempt.revision, []).append(attempt.seq)
    found = [Duplicate("seq", seq, tuple(seqs)) for seq, seqs in sorted(by_seq.items()) if len(seqs) > 1]
    found += [Duplicate("revision", revision, tuple(seqs))
              for revision, seqs in sorted(by_revision.items()) if len(seqs) > 1]
    return found


def divergences(reads: Mapping[str, MemberKeys]) -> list[Divergence]:
    """Keys not held identically by every member: what `endpoint hashkv` would flag, named key by key."""
    keys = sorted({key for held in reads.values() for key in held})
    found: list[Divergence] = []
    for key in keys:
        held = {member: member_keys.get(key) for member, member_keys in reads.items()}
        if len(set(held.values())) > 1:
            found.append(Divergence(key, held))
    return found


def longest_gap(attempts: Sequence[Attempt]) -> Span | None:
    """The longest stretch without an acknowledgement, bounded by the run itself (first send, last answer)."""
    if not attempts:
        return None
    start = min(a.sent for a in attempts)
    end = max(a.answered for a in attempts)
    marks = [start, *sorted(a.answered for a in attempts if a.acknowledged), end]
    best = max(itertools.pairwise(marks), key=lambda pair: pair[1] - pair[0])
    return Span(*best)


def failure_windows(attempts: Sequence[Attempt]) -> list[FailureWindow]:
    """Runs of consecutive (in send order) attempts that were not acknowledged."""
    windows: list[FailureWindow] = []
    run: list[Attempt] = []
    for attempt in [*sorted(attempts, key=lambda a: (a.sent, a.seq)), None]:
        if attempt is not None and not attempt.acknowledged:
            run.append(attempt)
            continue
        if run:
            windows.append(FailureWindow(
                run[0].sent, max(a.answered for a in run),
                failed=sum(1 for a in run if a.outcome == "failed"),
                unknown=sum(1 for a in run if a.outcome == "unknown"),
                endpoints=tuple(dict.fromkeys(a.endpoint for a in run))))
            run = []
    return windows


def _bucket_start(attempts: Sequence[Attempt]) -> float | None:
    return min(a.sent for a in attempts) if attempts else None


def writes_per_bucket(attempts: Sequence[Attempt], bucket_seconds: float = BUCKET_SECONDS) -> list[int]:
    """Acknowledged writes per bucket by answer time, from the first send to the last answer (zeros kept)."""
    start = _bucket_start(attempts)
    if start is None:
        return []
    end = max(a.answered for a in attempts)
    counts = [0] * (math.floor((end - start) / bucket_seconds) + 1)
    for attempt in attempts:
        if attempt.acknowledged:
            counts[math.floor((attempt.answered - start) / bucket_seconds)] += 1
    return counts
