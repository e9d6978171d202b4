"""Ansible events as ansible-runner reports them, reduced to what apply shows and decides on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

HostStatus = Literal["ok", "changed", "failed", "unreachable", "skipped"]

HIDDEN = "details hidden: the task handles secrets (no_log)"
_REASON_LIMIT = 300
# Wrappers Ansible 2.19 puts before a task's own message; they say nothing the step name does not.
_ANSIBLE_WRAPPERS = ("Task failed: ", "Unexpected AnsibleActionFail error: ")


@dataclass(frozen=True)
class PlayStarted:
    name: str


@dataclass(frozen=True)
class TaskStarted:
    host: str
    task: str


@dataclass(frozen=True)
class TaskRetrying:
    host: str
    task: str
    attempt: int
    retries: int


@dataclass(frozen=True)
class HostResult:
    """The final result of one task on one host (loop items are folded into it by Ansible)."""

    host: str
    task: str
    status: HostStatus
    # Ansible's result; only {"censored": ...} when the task has no_log, which also hides whether it
    # changed something (the play's stats still count it).
    result: Mapping[str, Any] = field(default_factory=dict, repr=False)
    ignored: bool = False
    started: datetime | None = None
    ended: datetime | None = None

    @property
    def reason(self) -> str:
        return one_line_reason(self.result, self.status)


@dataclass(frozen=True)
class HostCounts:
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0

    def __add__(self, other: HostCounts) -> HostCounts:
        return HostCounts(self.ok + other.ok, self.changed + other.changed, self.failed + other.failed,
                          self.unreachable + other.unreachable, self.skipped + other.skipped)


@dataclass(frozen=True)
class PlaybookStats:
    hosts: Mapping[str, HostCounts]


AnsibleEvent = PlayStarted | TaskStarted | TaskRetrying | HostResult | PlaybookStats

_FINAL = {"runner_on_ok", "runner_on_failed", "runner_on_unreachable", "runner_on_skipped"}


def parse_event(raw: Mapping[str, Any]) -> AnsibleEvent | None:
    """The event apply cares about, or None for the many it does not (verbose lines, loop items...)."""
    name = raw.get("event", "")
    data: Mapping[str, Any] = raw.get("event_data") or {}
    if name == "playbook_on_play_start":
        return PlayStarted(str(data.get("play", "")))
    if name == "runner_on_start":
        return TaskStarted(str(data.get("host", "")), _task_name(data))
    if name == "runner_retry":
        res = data.get("res") or {}
        return TaskRetrying(str(data.get("host", "")), _task_name(data), int(res.get("attempts", 0)),
                            int(res.get("retries", 0)))
    if name in _FINAL:
        result: Mapping[str, Any] = data.get("res") or {}
        return HostResult(
            host=str(data.get("host", "")),
            task=_task_name(data),
            status=_status(name, result),
            result=result,
            ignored=bool(data.get("ignore_errors")),
            started=_time(data.get("start")),
            ended=_time(data.get("end")),
        )
    if name == "playbook_on_stats":
        return PlaybookStats(_stats(data))
    return None


def _task_name(data: Mapping[str, Any]) -> str:
    return str(data.get("task") or data.get("task_action") or "")


def _status(event: str, res: Mapping[str, Any]) -> HostStatus:
    if event == "runner_on_ok":
        return "changed" if res.get("changed") else "ok"
    if event == "runner_on_failed":
        return "failed"
    if event == "runner_on_unreachable":
        return "unreachable"
    return "skipped"


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _stats(data: Mapping[str, Any]) -> dict[str, HostCounts]:
    def count(key: str, host: str) -> int:
        return int((data.get(key) or {}).get(host, 0))

    hosts: set[str] = set()
    for key in ("ok", "changed", "failures", "dark", "skipped", "processed"):
        hosts.update((data.get(key) or {}).keys())
    return {host: HostCounts(count("ok", host), count("changed", host), count("failures", host),
                             count("dark", host), count("skipped", host)) for host in sorted(hosts)}


def one_line_reason(res: Mapping[str, Any], status: str) -> str:
    """What went wrong, in one line an operator can act on."""
    if "censored" in res:
        return HIDDEN
    failed_item = next((item for item in res.get("results") or [] if isinstance(item, dict) and item.get("failed")),
                       None)
    if failed_item is not None:
        label = failed_item.get("_ansible_item_label", failed_item.get("item", ""))
        reason = one_line_reason(failed_item, status)
        return f"{label}: {reason}" if label != "" else reason
    message = _without_wrappers(str(res.get("msg") or "").strip())
    output = _last_line(str(res.get("stderr") or "")) or _last_line(str(res.get("stdout") or ""))
    if status == "unreachable":
        message = message.removeprefix("Failed to connect to the host via ssh:").strip()
        reason = f"unreachable: {_first_line(message) or 'no answer over SSH'}"
    elif output and (not message or message == "non-zero return code"):
        reason = output if "rc" not in res else f"{output} (exit {res['rc']})"
    else:
        reason = _first_line(message) or output or status
    return reason if len(reason) <= _REASON_LIMIT else reason[: _REASON_LIMIT - 1] + "…"


def _without_wrappers(message: str) -> str:
    for wrapper in _ANSIBLE_WRAPPERS:
        message = message.removeprefix(wrapper)
    return message


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _last_line(text: str) -> str:
    return next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "")
