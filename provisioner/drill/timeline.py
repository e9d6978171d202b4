"""A timeline picture per scenario: acknowledged writes per 100 ms, with the fault and the healing marked.

Drawn with matplotlib (its SVG output needs no display), imported only when a picture is written.
"""

from __future__ import annotations

from pathlib import Path

from provisioner.drill.runner import ScenarioResult
from provisioner.workload import BUCKET_SECONDS


def write_timeline(path: Path, cluster: str, result: ScenarioResult) -> bool:
    """Writes the picture (SVG or PNG, by the file's suffix); False when the scenario recorded nothing."""
    if result.marks is None or result.bucket_start is None or not result.writes_per_bucket:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    marks = result.marks
    zero = marks.fault_start
    times = [result.bucket_start - zero + index * BUCKET_SECONDS for index in range(len(result.writes_per_bucket))]
    figure, axes = plt.subplots(figsize=(9, 3))
    try:
        axes.step(times, result.writes_per_bucket, where="post", color="#1f5fa8", linewidth=1)
        axes.axvspan(0, marks.heal_start - zero, color="#d62728", alpha=0.15, label="fault")
        axes.axvline(marks.heal_end - zero, color="#2ca02c", linestyle="--", linewidth=1, label="healed")
        if marks.recovered is not None:
            axes.axvline(marks.recovered - zero, color="#555555", linestyle=":", linewidth=1, label="healthy again")
        axes.set_xlabel("seconds from the fault")
        axes.set_ylabel("acknowledged writes / 100 ms")
        verdict = "passed" if result.passed else "FAILED"
        axes.set_title(f"{cluster}: {result.scenario.name} ({result.scenario.title}), {verdict}", fontsize=9)
        axes.legend(loc="upper right", fontsize=8)
        figure.tight_layout()
        figure.savefig(path)
    finally:
        plt.close(figure)
    return True
