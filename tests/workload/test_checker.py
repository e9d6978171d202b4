"""The history checker on hand-made histories: each kind of broken promise is found, and nothing else."""

from __future__ import annotations

from provisioner.workload import Attempt, check_history, key_of, value_of
from provisioner.workload.history import Outcome

RUN = "t1"
MEMBERS = ("m1", "m2", "m3")


def attempt(seq: int, outcome: Outcome = "ok", revision: int | None = None, sent: float | None = None,
            took: float = 0.01, value: str | None = None) -> Attempt:
    """Attempt `seq` sent at 10 + seq/10 s by default; an acknowledged one at revision 100 + seq by default."""
    start = 10 + seq / 10 if sent is None else sent
    if outcome == "ok" and revision is None:
        revision = 100 + seq
    return Attempt(seq, key_of(RUN, seq), value if value is not None else value_of(RUN, seq), start, start + took,
                   outcome, revision if outcome == "ok" else None, "https://198.18.11.11:2379",
                   "" if outcome == "ok" else "timed out")


def held_everywhere(attempts: list[Attempt]) -> dict[str, dict[str, tuple[str, int]]]:
    """What every member holds when exactly the acknowledged writes were applied."""
    keys = {a.key: (a.value, a.revision or 0) for a in attempts if a.outcome == "ok"}
    return {member: dict(keys) for member in MEMBERS}


def test_a_clean_history_passes_and_is_counted() -> None:
    attempts = [attempt(1), attempt(2), attempt(3, "failed"), attempt(4, "unknown"), attempt(5)]
    report = check_history(attempts, held_everywhere(attempts))
    assert report.ok, report.lines()
    assert (report.attempts, report.acknowledged, report.failed, report.unknown) == (5, 3, 1, 1)
    assert report.members == MEMBERS


def test_an_acknowledged_key_missing_on_one_member_is_lost_there_only() -> None:
    attempts = [attempt(1), attempt(2), attempt(3)]
    reads = held_everywhere(attempts)
    del reads["m2"][key_of(RUN, 2)]
    report = check_history(attempts, reads)
    assert not report.ok
    assert [(lost.seq, lost.member, lost.found) for lost in report.lost] == [(2, "m2", None)]
    assert "lost: seq 2 (/provisioner-workload/t1/00000002) on m2" in "\n".join(report.lines())


def test_a_wrong_value_counts_as_lost() -> None:
    attempts = [attempt(1), attempt(2)]
    reads = held_everywhere(attempts)
    for member in MEMBERS:
        reads[member][key_of(RUN, 1)] = ("someone else", 101)
    report = check_history(attempts, reads)
    assert [(lost.seq, lost.member, lost.expected, lost.found) for lost in report.lost] == [
        (1, member, value_of(RUN, 1), "someone else") for member in MEMBERS]


def test_a_key_held_at_another_revision_than_acknowledged_is_flagged() -> None:
    attempts = [attempt(1), attempt(2)]
    reads = held_everywhere(attempts)
    reads["m3"][key_of(RUN, 2)] = (value_of(RUN, 2), 150)
    report = check_history(attempts, reads)
    assert not report.lost
    assert [(m.seq, m.member, m.acknowledged, m.found) for m in report.revision_mismatches] == [(2, "m3", 102, 150)]
    assert not report.ok


def test_a_revision_lower_than_an_earlier_acknowledgement_is_an_order_violation() -> None:
    attempts = [attempt(1, revision=101), attempt(2, revision=105), attempt(3, revision=103), attempt(4, revision=106)]
    report = check_history(attempts, held_everywhere(attempts))
    assert [(v.previous_seq, v.previous_revision, v.seq, v.revision) for v in report.order_violations] == [
        (2, 105, 3, 103)]
    assert not report.ok


def test_order_is_acknowledgement_order_not_sequence_order() -> None:
    # seq 2 was answered before seq 1 (its answer came first), so its lower revision is in order.
    attempts = [attempt(1, revision=105, sent=10.0, took=1.0), attempt(2, revision=104, sent=10.1, took=0.1)]
    assert check_history(attempts, held_everywhere(attempts)).order_violations == []


def test_an_equal_revision_for_two_writes_is_a_duplicate_and_out_of_order() -> None:
    attempts = [attempt(1, revision=101), attempt(2, revision=101)]
    reads = {member: {a.key: (a.value, 101) for a in attempts} for member in MEMBERS}
    report = check_history(attempts, reads)
    assert [(d.kind, d.value, d.seqs) for d in report.duplicates] == [("revision", 101, (1, 2))]
    assert len(report.order_violations) == 1


def test_one_seq_acknowledged_twice_is_a_duplicate() -> None:
    attempts = [attempt(1), attempt(1, revision=102, sent=10.5)]
    report = check_history(attempts, held_everywhere(attempts[1:]))
    assert ("seq", 1) in [(d.kind, d.value) for d in report.duplicates]


def test_an_unknown_write_is_never_lost_whether_applied_or_not() -> None:
    attempts = [attempt(1), attempt(2, "unknown"), attempt(3, "unknown"), attempt(4)]
    reads = held_everywhere(attempts)
    for member in MEMBERS:  # seq 2 was applied after all, seq 3 was not
        reads[member][key_of(RUN, 2)] = (value_of(RUN, 2), 102)
    report = check_history(attempts, reads)
    assert report.ok, report.lines()
    assert report.unknown == 2


def test_an_unknown_write_applied_on_some_members_only_is_a_divergence() -> None:
    attempts = [attempt(1), attempt(2, "unknown")]
    reads = held_everywhere(attempts)
    reads["m1"][key_of(RUN, 2)] = (value_of(RUN, 2), 102)
    report = check_history(attempts, reads)
    assert not report.lost
    assert [(d.key, d.held["m1"], d.held["m2"]) for d in report.divergences] == [
        (key_of(RUN, 2), (value_of(RUN, 2), 102), None)]
    assert not report.ok


def test_an_empty_history_has_nothing_to_lose() -> None:
    report = check_history([], {member: {} for member in MEMBERS})
    assert report.ok
    assert (report.attempts, report.acknowledged, report.longest_gap, report.failure_windows) == (0, 0, None, [])
    assert report.writes_per_bucket == [] and report.bucket_start is None


def test_longest_gap_failure_windows_and_timeline() -> None:
    attempts = [
        attempt(1, sent=0.00, took=0.01),
        attempt(2, sent=0.02, took=0.01),
        attempt(3, "failed", sent=0.05, took=0.001),
        attempt(4, "unknown", sent=0.06, took=2.0),
        attempt(5, sent=2.10, took=0.02),
        attempt(6, "unknown", sent=2.20, took=0.30),
    ]
    report = check_history(attempts, held_everywhere(attempts))
    gap = report.longest_gap
    assert gap is not None and (gap.start, gap.end) == (0.03, 2.12)
    [first, second] = report.failure_windows
    assert (first.start, first.end, first.failed, first.unknown) == (0.05, 2.06, 1, 1)
    assert (second.start, second.end, second.failed, second.unknown) == (2.20, 2.50, 0, 1)
    assert report.bucket_start == 0.0
    assert len(report.writes_per_bucket) == 26  # 0.0 .. 2.5 s in 100 ms buckets
    assert report.writes_per_bucket[0] == 2 and report.writes_per_bucket[21] == 1 and sum(report.writes_per_bucket) == 3


def test_a_run_with_no_acknowledgement_is_one_gap_over_the_whole_run() -> None:
    attempts = [attempt(1, "failed", sent=5.0, took=0.1), attempt(2, "unknown", sent=5.2, took=2.0)]
    report = check_history(attempts, {member: {} for member in MEMBERS})
    assert report.ok
    gap = report.longest_gap
    assert gap is not None and (gap.start, gap.end) == (5.0, 7.2)
