"""How Ansible is run: strict host keys, pipelining, one SSH connection per host, enough forks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from provisioner.apply.ansible_env import MAX_FORKS, ansible_environment, forks_for
from provisioner.apply.workspace import KEPT_RUNS, new_run_dir


def test_host_keys_stay_strict_although_ansible_runner_turns_checking_off() -> None:
    assert ansible_environment(Path("/tmp/cp"))["ANSIBLE_HOST_KEY_CHECKING"] == "True"


def test_ansible_is_tuned_for_few_round_trips() -> None:
    environment = ansible_environment(Path("/tmp/cp"))
    assert environment["ANSIBLE_PIPELINING"] == "True"
    assert "ControlPersist=" in environment["ANSIBLE_SSH_ARGS"]
    assert environment["ANSIBLE_SSH_CONTROL_PATH_DIR"] == "/tmp/cp"
    assert environment["ANSIBLE_GATHERING"] == "explicit"
    # Module arguments (file contents) are not written to the hosts' journals.
    assert environment["ANSIBLE_NO_TARGET_SYSLOG"] == "True"


def test_every_host_gets_its_own_fork_up_to_a_cap() -> None:
    assert forks_for(5) == 5
    assert forks_for(8) == 8
    assert forks_for(500) == MAX_FORKS


def test_each_run_gets_a_fresh_folder_under_runs(tmp_path: Path) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    first = new_run_dir(tmp_path, now)
    second = new_run_dir(tmp_path, now)
    assert first == tmp_path / "runs/20260102T030405Z"
    assert second == tmp_path / "runs/20260102T030405Z-1"
    assert oct(first.stat().st_mode & 0o777) == "0o700"


def test_only_the_newest_runs_are_kept_and_other_folders_are_left_alone(tmp_path: Path) -> None:
    start = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    (tmp_path / "runs/notes").mkdir(parents=True)
    created = [new_run_dir(tmp_path, start + timedelta(seconds=second // 12)) for second in range(KEPT_RUNS + 6)]
    remaining = sorted(path for path in (tmp_path / "runs").iterdir() if path.name != "notes")
    assert remaining == sorted(created[-KEPT_RUNS:])
    assert (tmp_path / "runs/notes").is_dir()
