"""The three reports: failures first and readable, JUnit that CI tools count right, JSON that scripts parse."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console

from provisioner.verify.reports import print_report, write_json, write_junit
from provisioner.verify.reports.json_report import SCHEMA_VERSION
from provisioner.verify.results import CLUSTER, CheckResult, Outcome, Report

HOSTS = {"cp1": ["control_plane", "etcd"], "cp2": ["control_plane", "etcd"], "lb1": ["load_balancer"]}


def _report(*results: CheckResult, problems: list[str] | None = None) -> Report:
    return Report("demo", "stacked", list(results), 2.5, problems or [], HOSTS)


PASS = CheckResult("cp1", "etcd", "service_active_and_enabled", "etcd runs.", Outcome.PASSED, seconds=0.1)
FAIL = CheckResult("cp2", "etcd", "service_active_and_enabled", "etcd runs.", Outcome.FAILED,
                   expected="active, enabled", found="inactive, enabled", hint="journalctl -u etcd on cp2",
                   seconds=0.2)
SKIP = CheckResult("cp1", "kubernetes", "api_ready_through_endpoint", "API ready.", Outcome.SKIPPED,
                   found="kubernetes.install is none")
UNREACHABLE = [CheckResult("lb1", "load_balancer", check, "", Outcome.ERROR, found="no SSH connection: refused",
                           hint="ssh root@lb1") for check in ("haproxy_active_and_enabled", "vip_held")]
CLUSTER_FAIL = CheckResult(CLUSTER, "etcd", "exactly_one_leader", "One leader.", Outcome.FAILED,
                           expected="one leader", found="no status from cp2")


def _human(report: Report, verbose: bool = False) -> str:
    buffer = io.StringIO()
    print_report(report, Console(file=buffer, width=200, color_system=None), verbose=verbose)
    return buffer.getvalue()


def test_exit_code_is_zero_only_when_nothing_failed() -> None:
    assert _report(PASS, SKIP).exit_code == 0
    assert _report(PASS, FAIL).exit_code == 1
    assert _report(PASS, *UNREACHABLE).exit_code == 1
    assert _report(PASS, problems=["cannot load checks"]).exit_code == 1
    assert _report().exit_code == 1  # no check ran: nothing is proven


def test_human_report_shows_failures_first_with_host_expected_found_and_hint() -> None:
    text = _human(_report(PASS, SKIP, FAIL, CLUSTER_FAIL))
    lines = text.splitlines()
    assert lines[0].startswith("FAILED cp2 etcd service_active_and_enabled")
    assert "expected: active, enabled" in lines[1]
    assert "found:    inactive, enabled" in lines[2]
    assert "look at:  journalctl -u etcd on cp2" in lines[3]
    assert lines[4].startswith("FAILED cluster etcd exactly_one_leader")
    assert text.rstrip().splitlines()[-1] == "verify demo (stacked): FAILED: 2 failed, 1 passed, 1 skipped in 2.5s"


def test_human_report_folds_an_unreachable_host_into_one_entry() -> None:
    text = _human(_report(PASS, *UNREACHABLE))
    assert "lb1: 2 checks could not run (haproxy_active_and_enabled, vip_held)" in text
    assert text.count("no SSH connection: refused") == 1


def test_human_report_has_a_line_per_host_in_cluster_file_order() -> None:
    text = _human(_report(FAIL, PASS, CLUSTER_FAIL, *UNREACHABLE))
    rows = [line.split()[0] for line in text.splitlines() if line.split() and line.split()[0] in
            (*HOSTS, CLUSTER)]
    assert rows[-4:] == ["cp1", "cp2", "lb1", "cluster"]


def test_human_report_groups_skips_by_reason_and_lists_all_when_verbose() -> None:
    quiet = _human(_report(PASS, SKIP))
    assert "skipped 1: kubernetes.install is none (api_ready_through_endpoint)" in quiet
    assert "service_active_and_enabled" not in quiet
    assert "ok     cp1 etcd service_active_and_enabled" in _human(_report(PASS, SKIP), verbose=True)


def test_human_report_shows_what_passing_checks_saw_such_as_each_members_etcd_version() -> None:
    versions = [CheckResult(host, "etcd", "runs_the_etcd_release_of_the_file", "Release.", Outcome.PASSED,
                            found=f"etcd {version}") for host, version in (("cp2", "3.5.15"), ("cp1", "3.5.16"))]
    text = _human(_report(PASS, *versions))
    assert "runs_the_etcd_release_of_the_file: cp1 etcd 3.5.16, cp2 etcd 3.5.15\n" in text


def test_human_report_prints_markup_in_findings_literally() -> None:
    odd = CheckResult("cp1", "etcd", "x", "", Outcome.FAILED, expected="[bold]", found="[red]not markup[/]")
    text = _human(_report(odd))
    assert "[red]not markup[/]" in text


def test_junit_counts_and_names_host_check_expected_and_found(tmp_path: Path) -> None:
    path = tmp_path / "verify.xml"
    write_junit(_report(PASS, FAIL, SKIP, *UNREACHABLE, problems=["cannot load checks: boom"]), path)
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("6", "1", "3", "1")
    suites = {suite.get("name"): suite for suite in root}
    assert set(suites) == {"demo.etcd", "demo.kubernetes", "demo.load_balancer", "demo.verify"}
    failure = root.find(".//testcase[@classname='demo.etcd.cp2'][@name='service_active_and_enabled']/failure")
    assert failure is not None
    assert failure.get("message") == "cp2: expected active, enabled, found inactive, enabled"
    assert "look at: journalctl -u etcd on cp2" in (failure.text or "")
    skipped = root.find(".//testcase[@name='api_ready_through_endpoint']/skipped")
    assert skipped is not None and skipped.get("message") == "kubernetes.install is none"
    assert root.find(".//testcase[@classname='demo.load_balancer.lb1']/error") is not None
    assert root.find(".//testcase[@classname='demo.etcd.cp1'][@name='service_active_and_enabled']") is not None


def test_json_holds_every_check_and_the_verdict(tmp_path: Path) -> None:
    path = tmp_path / "verify.json"
    write_json(_report(PASS, FAIL, SKIP), path)
    data = json.loads(path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION
    assert (data["cluster"], data["layout"], data["passed"], data["exit_code"]) == ("demo", "stacked", False, 1)
    assert data["counts"] == {"passed": 1, "failed": 1, "error": 0, "skipped": 1}
    failed = [check for check in data["checks"] if check["outcome"] == "failed"]
    assert failed == [{"host": "cp2", "role": "etcd", "check": "service_active_and_enabled", "title": "etcd runs.",
                       "outcome": "failed", "expected": "active, enabled", "found": "inactive, enabled",
                       "hint": "journalctl -u etcd on cp2", "seconds": 0.2}]
