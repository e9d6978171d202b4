"""Every file in bad/ is refused with exactly the lines in its .expected file; warn/ files pass with warnings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run_cli

HERE = Path(__file__).parent
BAD = sorted((HERE / "bad").glob("*.yaml"))
WARN = sorted((HERE / "warn").glob("*.yaml"))


@pytest.mark.parametrize("cluster_file", BAD, ids=[p.stem for p in BAD])
def test_bad_file_is_refused_with_one_line_per_problem(cluster_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("render", cluster_file.name, "--out", str(out), cwd=cluster_file.parent)
    assert result.exit_code == 2
    assert result.stderr == cluster_file.with_suffix(".expected").read_text()
    assert result.stdout == ""
    assert not out.exists(), "nothing may be written for bad input"


@pytest.mark.parametrize("cluster_file", WARN, ids=[p.stem for p in WARN])
def test_questionable_file_renders_with_warnings(cluster_file: Path, tmp_path: Path) -> None:
    result = run_cli("render", cluster_file.name, "--out", str(tmp_path / "out"), cwd=cluster_file.parent)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == cluster_file.with_suffix(".expected").read_text()


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    result = run_cli("render", "absent.yaml", cwd=tmp_path)
    assert (result.exit_code, result.stderr) == (2, "error: absent.yaml: no such file\n")


def test_a_pipe_or_folder_is_refused_without_reading(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")  # reading it would block until a writer comes
    (tmp_path / "folder.yaml").mkdir()
    for name in ("pipe.yaml", "folder.yaml"):
        result = run_cli("render", name, cwd=tmp_path)
        assert (result.exit_code, result.stderr) == (
            2, f"error: {name}: expected a cluster file (YAML), found a folder or special file\n")


def test_text_that_is_not_utf8_names_the_byte(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    result = run_cli("render", "latin1.yaml", cwd=tmp_path)
    assert (result.exit_code, result.stderr) == (2, "error: latin1.yaml: expected UTF-8 text, found byte 0xe9 at "
                                                    "offset 9\n")
