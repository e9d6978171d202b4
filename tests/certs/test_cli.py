"""`certs` refuses, one line and exit 2, before contacting any host."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli

CLUSTER = """\
name: demo
layout: stacked
endpoint: {address: 198.18.0.100, load_balancer: external}
hosts:
  - {name: cp1, address: 198.18.0.11, roles: [control_plane]}
"""


def test_renew_needs_yes_and_wrong_words_are_refused(tmp_path: Path) -> None:
    (tmp_path / "cluster.yaml").write_text(CLUSTER)
    for arguments, message in (
            (["renew", "cluster.yaml"], "re-run with --yes"),
            (["rotate", "cluster.yaml"], "expected `certs CLUSTER.yaml` or `certs renew CLUSTER.yaml`"),
            (["cluster.yaml"], "no rendered tree here")):
        result = run_cli("certs", *arguments, cwd=tmp_path)
        assert result.exit_code == 2, result.stderr
        assert result.stderr.count("error:") == 1 and message in result.stderr
    assert not (tmp_path / "build").exists()
