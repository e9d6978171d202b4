"""The report as JUnit XML, the format CI systems render: one suite per role, one case per check and host."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby
from pathlib import Path

from provisioner.verify.results import CheckResult, Outcome, Report


def junit_tree(report: Report) -> ET.ElementTree[ET.Element]:
    root = ET.Element("testsuites", name=f"provisioner verify {report.cluster}")
    _counts(root, report.results, report.seconds, errors=len(report.problems))
    by_role = sorted(report.results, key=lambda r: r.role)
    for role, group in groupby(by_role, key=lambda r: r.role):
        results = list(group)
        suite = ET.SubElement(root, "testsuite", name=f"{report.cluster}.{role}")
        _counts(suite, results, sum(r.seconds for r in results))
        for result in results:
            _case(suite, report.cluster, result)
    if report.problems:
        suite = ET.SubElement(root, "testsuite", name=f"{report.cluster}.verify")
        _counts(suite, [], 0.0, errors=len(report.problems))
        for index, problem in enumerate(report.problems, 1):
            case = ET.SubElement(suite, "testcase", classname=f"{report.cluster}.verify", name=f"problem_{index}")
            ET.SubElement(case, "error", message=problem.splitlines()[0][:200]).text = problem
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(report: Report, path: Path) -> None:
    junit_tree(report).write(path, encoding="utf-8", xml_declaration=True)


def _counts(element: ET.Element, results: list[CheckResult], seconds: float, errors: int = 0) -> None:
    element.set("tests", str(len(results) + errors))
    element.set("failures", str(sum(r.outcome == Outcome.FAILED for r in results)))
    element.set("errors", str(sum(r.outcome == Outcome.ERROR for r in results) + errors))
    element.set("skipped", str(sum(r.outcome == Outcome.SKIPPED for r in results)))
    element.set("time", f"{seconds:.3f}")


def _case(suite: ET.Element, cluster: str, result: CheckResult) -> None:
    case = ET.SubElement(suite, "testcase", classname=f"{cluster}.{result.role}.{result.host}", name=result.check,
                         time=f"{result.seconds:.3f}")
    if result.outcome == Outcome.SKIPPED:
        ET.SubElement(case, "skipped", message=result.found)
    elif result.outcome in (Outcome.FAILED, Outcome.ERROR):
        tag = "failure" if result.outcome == Outcome.FAILED else "error"
        message = f"{result.host}: expected {result.expected}, found {result.found}" if result.expected else \
            f"{result.host}: {result.found}"
        details = [f"host: {result.host}", f"check: {result.check} ({result.title})"]
        if result.expected:
            details.append(f"expected: {result.expected}")
        details.append(f"found: {result.found}")
        if result.hint:
            details.append(f"look at: {result.hint}")
        ET.SubElement(case, tag, message=message, type=result.outcome.value).text = "\n".join(details)
