"""Drill reports: a table people read, JSON and JUnit for CI, and two layouts side by side."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.table import Table

from provisioner.drill.runner import ScenarioResult
from provisioner.drill.scenarios import Scenario


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def list_table(scenarios: list[Scenario]) -> Table:
    table = Table("scenario", "fault", "expected")
    for scenario in scenarios:
        table.add_row(scenario.name, scenario.title, scenario.describe_expected())
    return table


def results_table(title: str, results: list[ScenarioResult]) -> Table:
    table = Table("scenario", "hit", "expected", "observed", "longest gap", "election", "VIP failover",
                  "recovery", "acked / lost", "verdict", title=title)
    for result in results:
        observed = result.observed
        if observed is None:
            table.add_row(result.scenario.name, "-", result.scenario.expected.writes, "-", "-", "-", "-", "-", "-",
                          "[red]FAILED[/]")
            continue
        table.add_row(
            result.scenario.name,
            ", ".join(result.targets),
            f"writes {result.scenario.expected.writes}",
            f"writes {observed.writes}",
            _seconds(observed.longest_gap),
            _seconds(observed.election),
            _seconds(observed.vip_failover),
            _seconds(observed.recovery),
            f"{observed.acknowledged} / {observed.lost}",
            "[green]passed[/]" if result.passed else "[red]FAILED[/]",
        )
    return table


def compare_table(first: tuple[str, list[ScenarioResult]], second: tuple[str, list[ScenarioResult]]) -> Table:
    """The same scenarios on two clusters, side by side: the layouts' trade-off, measured."""
    (name_a, results_a), (name_b, results_b) = first, second
    by_name_b = {result.scenario.name: result for result in results_b}
    table = Table("scenario", f"{name_a}: writes", "gap", f"{name_b}: writes", "gap", title="side by side")
    for result in results_a:
        other = by_name_b.get(result.scenario.name)
        if other is None:
            continue
        table.add_row(result.scenario.name, *_cells(result), *_cells(other))
    return table


def _cells(result: ScenarioResult) -> tuple[str, str]:
    if result.observed is None:
        return "not run", "-"
    return result.observed.writes, _seconds(result.observed.longest_gap)


def as_json(cluster: str, layout: str, results: list[ScenarioResult]) -> dict[str, Any]:
    return {
        "cluster": cluster,
        "layout": layout,
        "passed": all(result.passed for result in results),
        "scenarios": [{
            "name": result.scenario.name,
            "title": result.scenario.title,
            "expected": asdict(result.scenario.expected),
            "targets": result.targets,
            "writer_host": result.writer_host,
            "bound_seconds": result.bound,
            "marks": asdict(result.marks) if result.marks else None,
            "observed": {key: value for key, value in asdict(result.observed).items() if key != "history_lines"}
            if result.observed else None,
            "history": result.observed.history_lines if result.observed else [],
            "passed": result.passed,
            "reasons": result.verdict.reasons,
        } for result in results],
    }


def write_json(path: Path, cluster: str, layout: str, results: list[ScenarioResult]) -> None:
    path.write_text(json.dumps(as_json(cluster, layout, results), indent=2) + "\n")


def write_junit(path: Path, cluster: str, results: list[ScenarioResult]) -> None:
    suite = ElementTree.Element("testsuite", name=f"drill {cluster}", tests=str(len(results)),
                                failures=str(sum(1 for result in results if not result.passed)))
    for result in results:
        case = ElementTree.SubElement(suite, "testcase", classname=f"drill.{cluster}", name=result.scenario.name)
        if result.marks is not None:
            case.set("time", f"{(result.marks.recovered or result.marks.heal_end) - result.marks.fault_start:.3f}")
        if not result.passed:
            failure = ElementTree.SubElement(case, "failure", message="; ".join(result.verdict.reasons)[:500])
            failure.text = "\n".join(result.verdict.reasons)
    ElementTree.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
