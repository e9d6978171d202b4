"""Reading the writer's and prober's JSON lines back: exact fields, and damage named by line."""

from __future__ import annotations

import json

import pytest

from provisioner.workload import Attempt, HistoryError, parse_attempts, parse_probes

KEY = "/provisioner-workload/r/00000007"
LINE = {"seq": 7, "key": KEY, "value": "r:7", "sent": 1.5, "answered": 1.75,
        "outcome": "ok", "revision": 42, "endpoint": "https://198.18.11.11:2379", "error": ""}


def lines(*records: dict[str, object]) -> list[str]:
    return [json.dumps(record) + "\n" for record in records]


def test_an_attempt_line_becomes_an_attempt() -> None:
    assert parse_attempts(lines(LINE, {**LINE, "seq": 8, "outcome": "unknown", "revision": None})) == [
        Attempt(7, KEY, "r:7", 1.5, 1.75, "ok", 42, "https://198.18.11.11:2379", ""),
        Attempt(8, KEY, "r:7", 1.5, 1.75, "unknown", None, "https://198.18.11.11:2379", ""),
    ]


def test_a_partial_last_line_from_a_killed_writer_is_dropped() -> None:
    text = [*lines(LINE), json.dumps({**LINE, "seq": 8})[:30]]
    assert [a.seq for a in parse_attempts(text)] == [7]


def test_a_damaged_line_in_the_middle_is_named() -> None:
    with pytest.raises(HistoryError, match="attempt line 2: not JSON"):
        parse_attempts([*lines(LINE), "{oops\n", *lines(LINE)])


def test_an_unknown_outcome_or_missing_field_is_refused() -> None:
    with pytest.raises(HistoryError, match="outcome 'maybe'"):
        parse_attempts(lines({**LINE, "outcome": "maybe"}))
    with pytest.raises(HistoryError, match="attempt line 1: KeyError"):
        parse_attempts(lines({k: v for k, v in LINE.items() if k != "sent"}))


def test_probe_lines() -> None:
    [up, down] = parse_probes(lines(
        {"time": 3.0, "ok": True, "latency": 0.002, "error": "", "neighbor_mac": "aa:bb:cc:dd:ee:ff", "balancer": None},
        {"time": 3.1, "ok": False, "latency": None, "error": "ConnectionRefusedError", "neighbor_mac": None,
         "balancer": None}))
    assert (up.ok, up.latency, up.neighbor_mac, up.balancer) == (True, 0.002, "aa:bb:cc:dd:ee:ff", None)
    assert (down.ok, down.latency, down.error) == (False, None, "ConnectionRefusedError")
