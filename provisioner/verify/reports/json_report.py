"""The report as JSON: one object per check, with the counts and the verdict, for CI and scripts."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from provisioner.verify.results import Outcome, Report

SCHEMA_VERSION = 1


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "cluster": report.cluster,
        "layout": report.layout,
        "passed": report.passed,
        "exit_code": report.exit_code,
        "seconds": round(report.seconds, 3),
        "counts": {outcome.value: report.count(outcome) for outcome in Outcome},
        "problems": report.problems,
        "checks": [{**asdict(result), "outcome": result.outcome.value, "seconds": round(result.seconds, 3)}
                   for result in report.results],
    }


def write_json(report: Report, path: Path) -> None:
    path.write_text(json.dumps(report_dict(report), indent=2) + "\n")
