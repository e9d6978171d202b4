"""The workload: a client writing to etcd through a change or a fault, and the proof that nothing it was
told is stored got lost (see DESIGN.md, "Proving that nothing is lost").

writer.py, prober.py and readback.py run on a host with the standard library only; history.py and
checker.py read and judge what they recorded; session.py drives them from this machine over SSH.
"""

from provisioner.workload.checker import (
    BUCKET_SECONDS,
    Divergence,
    Duplicate,
    FailureWindow,
    HistoryReport,
    LostWrite,
    OrderViolation,
    RevisionMismatch,
    Span,
    check_history,
)
from provisioner.workload.history import Attempt, HistoryError, MemberKeys, Outcome, Probe, parse_attempts, parse_probes
from provisioner.workload.session import Workload, WorkloadError, new_run_id
from provisioner.workload.writer import KEY_PREFIX, key_of, value_of

__all__ = [
    "BUCKET_SECONDS",
    "KEY_PREFIX",
    "Attempt",
    "Divergence",
    "Duplicate",
    "FailureWindow",
    "HistoryError",
    "HistoryReport",
    "LostWrite",
    "MemberKeys",
    "OrderViolation",
    "Outcome",
    "Probe",
    "RevisionMismatch",
    "Span",
    "Workload",
    "WorkloadError",
    "check_history",
    "key_of",
    "new_run_id",
    "parse_attempts",
    "parse_probes",
    "value_of",
]
