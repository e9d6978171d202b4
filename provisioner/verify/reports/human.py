"""The report for a person at a terminal or reading a CI log: what is wrong first, then a line per host."""

from __future__ import annotations

from collections import defaultdict
from itertools import groupby

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from provisioner.verify.reports.ordering import host_order, sorted_results
from provisioner.verify.results import CLUSTER, CheckResult, Outcome, Report

_LABEL = {Outcome.FAILED: "[red]FAILED[/]", Outcome.ERROR: "[magenta]ERROR[/] ",
          Outcome.SKIPPED: "[yellow]skip[/]  ", Outcome.PASSED: "[green]ok[/]    "}


def print_report(report: Report, console: Console, *, verbose: bool = False) -> None:
    _problems(report, console)
    _not_ok(report, console)
    _hosts_table(report, console)
    _seen(report, console)
    if verbose:
        _every_check(report, console)
    _skipped(report, console)
    console.print(_verdict(report))


def _verdict(report: Report) -> str:
    counts = [f"{report.count(o)} {o.value}" for o in (Outcome.FAILED, Outcome.ERROR, Outcome.PASSED,
                                                           Outcome.SKIPPED) if report.count(o)]
    summary = ", ".join(counts) or "no checks ran"
    mark = "[bold green]PASSED[/]" if report.passed else "[bold red]FAILED[/]"
    return (f"verify {escape(report.cluster)} ({report.layout}): {mark}: {summary} "
            f"in {report.seconds:.1f}s")


def _problems(report: Report, console: Console) -> None:
    for problem in report.problems:
        console.print(f"[magenta]ERROR[/]  {escape(problem)}")


def _not_ok(report: Report, console: Console) -> None:
    failing = [r for r in sorted_results(report.results, list(report.hosts)) if not r.ok]
    # A host that cannot be reached fails every check the same way: one entry instead of a dozen.
    for (_, _, found), group in groupby(failing, key=lambda r: (r.outcome, r.host, r.found)):
        results = list(group)
        first = results[0]
        if len(results) == 1 or first.outcome == Outcome.FAILED:
            for result in results:
                _entry(console, result)
        else:
            names = ", ".join(r.check for r in results)
            console.print(f"{_LABEL[first.outcome]} [bold]{escape(first.host)}[/]: {len(results)} checks could "
                          f"not run ({escape(names)})")
            console.print(f"       found:    {escape(found)}")
            if first.hint:
                console.print(f"       look at:  {escape(first.hint)}")
    if failing:
        console.print()


def _entry(console: Console, result: CheckResult) -> None:
    console.print(f"{_LABEL[result.outcome]} [bold]{escape(result.host)}[/] {escape(result.role)} "
                  f"[bold]{escape(result.check)}[/]: {escape(result.title)}")
    if result.expected:
        console.print(f"       expected: {escape(result.expected)}")
    console.print(f"       found:    {escape(result.found)}")
    if result.hint:
        console.print(f"       look at:  {escape(result.hint)}")


def _hosts_table(report: Report, console: Console) -> None:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in ("host", "roles", "passed", "failed", "skipped"):
        table.add_column(column, justify="right" if column in ("passed", "failed", "skipped") else "left")
    by_host: dict[str, list[CheckResult]] = defaultdict(list)
    for result in report.results:
        by_host[result.host].append(result)
    for host in host_order(report.results, list(report.hosts)):
        results = by_host[host]
        bad = sum(not r.ok for r in results)
        roles = ", ".join(report.hosts.get(host, [])) if host != CLUSTER else "(whole cluster)"
        table.add_row(escape(host), escape(roles), str(sum(r.outcome == Outcome.PASSED for r in results)),
                      f"[red]{bad}[/]" if bad else "0", str(sum(r.outcome == Outcome.SKIPPED for r in results)))
    console.print(table)
    console.print()


def _seen(report: Report, console: Console) -> None:
    """What passing checks report having seen, one line per check: `runs_the_etcd_release_of_the_file:
    etcd1 etcd 3.5.16, etcd2 etcd 3.5.16`."""
    seen: dict[str, list[CheckResult]] = defaultdict(list)
    for result in sorted_results(report.results, list(report.hosts)):
        if result.outcome == Outcome.PASSED and result.found:
            seen[result.check].append(result)
    for check, results in seen.items():
        console.print(f"{escape(check)}: {escape(', '.join(f'{r.host} {r.found}' for r in results))}")
    if seen:
        console.print()


def _every_check(report: Report, console: Console) -> None:
    for result in sorted_results(report.results, list(report.hosts)):
        console.print(f"{_LABEL[result.outcome]} {escape(result.host)} {escape(result.role)} "
                      f"{escape(result.check)} ({result.seconds:.2f}s)")
    console.print()


def _skipped(report: Report, console: Console) -> None:
    reasons: dict[str, list[CheckResult]] = defaultdict(list)
    for result in report.results:
        if result.outcome == Outcome.SKIPPED:
            reasons[result.found].append(result)
    for reason, results in reasons.items():
        checks = sorted({r.check for r in results})
        console.print(f"[yellow]skipped[/] {len(results)}: {escape(reason)} ({escape(', '.join(checks))})")
    if reasons:
        console.print()
