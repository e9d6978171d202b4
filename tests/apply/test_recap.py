"""The recap adds every phase's counts per host; --report writes the same numbers as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from provisioner.apply.display import recap_table
from provisioner.apply.events import HostCounts
from provisioner.apply.recap import Recap


def test_counts_of_all_phases_add_up_per_host(tmp_path: Path) -> None:
    recap = Recap.for_hosts(["cp1", "lb1", "w1"])
    recap.add({"cp1": HostCounts(ok=3, changed=1), "lb1": HostCounts(ok=1, skipped=2)})
    recap.add({"cp1": HostCounts(ok=2, skipped=1), "lb1": HostCounts(unreachable=1)})
    report = tmp_path / "reports/apply.json"
    recap.write(report)
    assert json.loads(report.read_text()) == {"hosts": {
        "cp1": {"ok": 5, "changed": 1, "failed": 0, "unreachable": 0, "skipped": 1},
        "lb1": {"ok": 1, "changed": 0, "failed": 0, "unreachable": 1, "skipped": 2},
        "w1": {"ok": 0, "changed": 0, "failed": 0, "unreachable": 0, "skipped": 0},
    }}
    assert recap.changed == 1


def test_the_table_has_one_row_per_host_and_the_five_counts() -> None:
    recap = Recap.for_hosts(["cp1", "lb1"])
    recap.add({"cp1": HostCounts(ok=12, changed=4, failed=1, unreachable=2, skipped=3)})
    recap.add({"lb1": HostCounts(ok=7, skipped=9)})
    console = Console(record=True, width=100)
    console.print(recap_table(recap))
    rows = [[cell.strip() for cell in line.strip("│┃").split(line[0])]
            for line in console.export_text().splitlines() if line[:1] in ("│", "┃")]
    assert rows == [
        ["host", "ok", "changed", "failed", "unreachable", "skipped"],
        ["cp1", "12", "4", "1", "2", "3"],
        ["lb1", "7", "0", "0", "0", "9"],
    ]
