"""`provisioner lab`: a cluster file the lab cannot host is refused before anything is touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, run_cli


def test_addresses_outside_the_lab_range_are_refused_with_exit_2(tmp_path: Path) -> None:
    cluster_file = tmp_path / "cluster.yaml"
    cluster_file.write_text((EXAMPLES / "lab-stacked/cluster.yaml").read_text().replace("198.18.0.13", "10.0.0.13"))
    result = run_cli("lab", "up", str(cluster_file))
    assert result.exit_code == 2
    assert result.stderr == (f"error: {cluster_file}: cp3: address 10.0.0.13 is outside 198.18.0.0/15, "
                             "the only range lab machines may use\n")
    assert not Path("/var/lib/provisioner/labs/lab-stacked/lab.json").exists() or "10.0.0.13" not in \
        Path("/var/lib/provisioner/labs/lab-stacked/lab.json").read_text()


def test_a_lab_file_must_use_the_lab_s_own_key_and_known_hosts(tmp_path: Path) -> None:
    cluster_file = tmp_path / "cluster.yaml"
    text = (EXAMPLES / "lab-stacked/cluster.yaml").read_text()
    cluster_file.write_text(text.replace("/var/lib/provisioner/labs/lab-stacked/known_hosts", "/root/.ssh/known_hosts"))
    result = run_cli("lab", "up", str(cluster_file))
    assert result.exit_code == 2
    assert "ssh.known_hosts: /var/lib/provisioner/labs/lab-stacked/known_hosts" in result.stderr


def test_missing_lab_tools_are_one_line_each_with_the_fix_and_exit_2(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # A PATH without systemd-nspawn and debootstrap, as on a machine where they were never installed.
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = run_cli("lab", "up", str(EXAMPLES / "lab-stacked/cluster.yaml"))
    assert result.exit_code == 2
    assert "error: systemd-nspawn not found: run apt-get install -y systemd-container debootstrap\n" in result.stderr
    assert "error: debootstrap not found: run apt-get install -y debootstrap\n" in result.stderr
    assert "Traceback" not in result.stderr


def test_lab_ssh_to_a_known_host_runs_ssh_with_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[list[str]] = []

    def execvp(program: str, argv: list[str]) -> None:
        started.append(argv)
        raise SystemExit(0)  # where the real execvp would have become ssh

    monkeypatch.setattr("provisioner.cli.lab.os.execvp", execvp)
    result = run_cli("lab", "ssh", str(EXAMPLES / "lab-stacked/cluster.yaml"), "cp2", "--", "hostname")
    assert result.exit_code == 0, result.stderr
    assert started[0][0] == "ssh" and started[0][-2:] == ["root@198.18.0.12", "hostname"]
