"""What the writer and the prober record: one JSON line per attempt or probe, read back into typed records.

The writer (writer.py) and the prober (prober.py) run on a host with the standard library only, so they
write plain JSON lines; this module is the tool-side reading of those lines, field for field.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from provisioner.errors import ProvisionerError

Outcome = Literal["ok", "failed", "unknown"]
OUTCOMES: tuple[Outcome, ...] = ("ok", "failed", "unknown")

# Everything one member holds under the run's prefix: key -> (value, mod_revision).
MemberKeys = Mapping[str, tuple[str, int]]
T = TypeVar("T")


class HistoryError(ProvisionerError):
    """A history line the writer or prober could not have written: the file is damaged or not ours."""


@dataclass(frozen=True)
class Attempt:
    """One write as the client saw it.

    outcome: `ok` (acknowledged, with the revision etcd answered), `failed` (definitely not applied:
    the request never left, e.g. connection refused) or `unknown` (sent but no clear answer: a timeout,
    a reset, an error from etcd after the request arrived; the write may or may not be applied).
    """

    seq: int
    key: str
    value: str
    sent: float  # wall clock, seconds
    answered: float  # wall clock when the attempt ended, whatever its outcome
    outcome: Outcome
    revision: int | None  # header.revision of an acknowledged write
    endpoint: str
    error: str

    @property
    def acknowledged(self) -> bool:
        return self.outcome == "ok"


@dataclass(frozen=True)
class Probe:
    """One TCP connect to the API endpoint. `balancer` is None when it could not be told apart."""

    time: float
    ok: bool
    latency: float | None  # seconds until connected; None when the connect failed
    error: str
    neighbor_mac: str | None  # link-layer address the endpoint's IP resolved to, if on this segment
    balancer: str | None = None


def attempt_from_json(data: Mapping[str, Any]) -> Attempt:
    outcome = data["outcome"]
    if outcome not in OUTCOMES:
        raise HistoryError(f"attempt {data.get('seq')}: outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    revision = data.get("revision")
    return Attempt(seq=int(data["seq"]), key=str(data["key"]), value=str(data["value"]), sent=float(data["sent"]),
                   answered=float(data["answered"]), outcome=outcome,
                   revision=int(revision) if revision is not None else None,
                   endpoint=str(data.get("endpoint", "")), error=str(data.get("error", "")))


def probe_from_json(data: Mapping[str, Any]) -> Probe:
    latency = data.get("latency")
    return Probe(time=float(data["time"]), ok=bool(data["ok"]), latency=float(latency) if latency is not None else None,
                 error=str(data.get("error", "")), neighbor_mac=data.get("neighbor_mac"),
                 balancer=data.get("balancer"))


def parse_attempts(lines: Iterable[str]) -> list[Attempt]:
    """The writer's history file, line by line (a partial last line, from a killed writer, is dropped)."""
    return _records(lines, "attempt", attempt_from_json)


def parse_probes(lines: Iterable[str]) -> list[Probe]:
    return _records(lines, "probe", probe_from_json)


def _records(lines: Iterable[str], what: str, convert: Callable[[Mapping[str, Any]], T]) -> list[T]:
    numbered = [(number, line) for number, line in enumerate(lines, 1) if line.strip()]
    records: list[T] = []
    for position, (number, line) in enumerate(numbered):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            if position == len(numbered) - 1 and not line.endswith("\n"):
                # The writer flushes whole lines; only a process killed mid-write leaves a partial last one.
                break
            raise HistoryError(f"{what} line {number}: not JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise HistoryError(f"{what} line {number}: expected a JSON object")
        try:
            records.append(convert(record))
        except (KeyError, TypeError, ValueError) as error:
            raise HistoryError(f"{what} line {number}: {type(error).__name__}: {error}") from None
    return records
