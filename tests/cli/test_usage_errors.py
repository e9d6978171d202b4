"""Usage errors speak like bad input: one `error:` line, exit status 2, nothing written or started."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, run_cli

CLUSTER = str(EXAMPLES / "lab-stacked" / "cluster.yaml")


@pytest.mark.parametrize(("arguments", "line"), [
    (["render", CLUSTER, "--bogus"],
     "provisioner render: No such option: --bogus (Possible options: --out); see provisioner render --help"),
    (["render"], "provisioner render: Missing argument 'cluster_file'; see provisioner render --help"),
    (["render", CLUSTER, "extra"],
     "provisioner render: Got unexpected extra argument(s) (extra); see provisioner render --help"),
    (["ping", CLUSTER, "--timeout", "soon"],
     "provisioner ping: Invalid value for '--timeout': Input should be a valid integer, unable to parse string as an "
     "integer; see provisioner ping --help"),
    (["bogus"], "provisioner: No such command 'bogus'; see provisioner --help"),
    (["render", CLUSTER, "--out", ""],
     "provisioner render: Invalid value for '--out': expected a folder, got ''; see provisioner render --help"),
    (["lab", "ssh", CLUSTER, "nohost"],
     f"{CLUSTER}: expected one of its hosts (cp1, cp2, cp3, lb1, lb2), got 'nohost'"),
    (["lab", "stop", CLUSTER, "nohost"],
     f"{CLUSTER}: expected one of its hosts (cp1, cp2, cp3, lb1, lb2), got 'nohost'"),
])
def test_a_usage_error_is_one_line_with_exit_2(arguments: list[str], line: str, tmp_path: Path) -> None:
    result = run_cli(*arguments, cwd=tmp_path)
    assert (result.exit_code, result.stderr, result.stdout) == (2, f"error: {line}\n", "")
    assert list(tmp_path.iterdir()) == [], "an empty --out must not be read as the current folder"


def test_help_is_still_help(tmp_path: Path) -> None:
    result = run_cli("render", "--help", cwd=tmp_path)
    assert result.exit_code == 0
    assert "--out" in result.stdout
