"""provisioner_files, run for real on this machine: files placed atomically with owner and mode, only
when different, validated before they replace anything, services marked for a restart, secrets hidden."""

from __future__ import annotations

import grp
import os
import pwd
from pathlib import Path
from typing import Any

import pytest

from provisioner.apply.runner import RunOutcome
from tests.apply.local_ansible import run_local

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name
KEY = ("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIOx8sEcretKeyMaterialForTheTest00000000\n"
       "-----END PRIVATE KEY-----\n")


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    tree, host = tmp_path / "tree", tmp_path / "host"
    (tree / "pki").mkdir(parents=True)
    (tree / "app.conf").write_text("setting = 1\n")
    (tree / "pki/app.key").write_text(KEY)
    return {"tree": tree, "host": host, "run": tmp_path / "ansible"}


def _files(layout: dict[str, Path]) -> list[dict[str, Any]]:
    host = layout["host"]
    return [
        {"src": "app.conf", "dest": str(host / "etc/app/app.conf"), "owner": OWNER, "group": GROUP,
         "mode": "0644", "secret": False, "service": "app"},
        {"src": "pki/app.key", "dest": str(host / "etc/app/pki/app.key"), "owner": OWNER, "group": GROUP,
         "mode": "0600", "secret": True, "service": ""},
    ]


def _place(layout: dict[str, Path], files: list[dict[str, Any]], validators: dict[str, str] | None = None,
           no_log: bool = False) -> RunOutcome:
    task: dict[str, Any] = {"name": "Place files", "provisioner_files": {
        "tree": str(layout["tree"]), "files": files, "validators": validators or {},
        "pending_dir": str(layout["host"] / "pending")}}
    if no_log:
        task["no_log"] = True
    return run_local(layout["run"], [{"name": "t", "hosts": "localhost", "gather_facts": False, "tasks": [task]}])


def _status(outcome: RunOutcome) -> str:
    return outcome.results_of("Place files")["localhost"].status


def test_files_are_placed_with_their_mode_and_the_service_is_marked(layout: dict[str, Path]) -> None:
    outcome = _place(layout, _files(layout))
    assert outcome.status == "successful" and _status(outcome) == "changed"
    conf, key = layout["host"] / "etc/app/app.conf", layout["host"] / "etc/app/pki/app.key"
    assert conf.read_text() == "setting = 1\n" and key.read_text() == KEY
    assert (conf.stat().st_mode & 0o777, key.stat().st_mode & 0o777) == (0o644, 0o600)
    assert (layout["host"] / "pending/app").is_file()
    result = outcome.results_of("Place files")["localhost"].result
    assert result["pending_services"] == ["app"]
    assert "invocation" not in result, "the module arguments repeat every file's content"


def test_an_unchanged_file_is_left_alone_and_marks_nothing(layout: dict[str, Path]) -> None:
    _place(layout, _files(layout))
    (layout["host"] / "pending/app").unlink()
    before = (layout["host"] / "etc/app/app.conf").stat().st_mtime_ns
    outcome = _place(layout, _files(layout))
    assert _status(outcome) == "ok"
    assert (layout["host"] / "etc/app/app.conf").stat().st_mtime_ns == before
    assert not (layout["host"] / "pending/app").exists()


def test_a_wrong_mode_is_corrected_in_place(layout: dict[str, Path]) -> None:
    _place(layout, _files(layout))
    key = layout["host"] / "etc/app/pki/app.key"
    key.chmod(0o644)
    assert _status(_place(layout, _files(layout))) == "changed"
    assert key.stat().st_mode & 0o777 == 0o600 and key.read_text() == KEY


def test_a_file_its_validator_rejects_replaces_nothing(layout: dict[str, Path]) -> None:
    _place(layout, _files(layout))
    (layout["tree"] / "app.conf").write_text("setting = broken\n")
    conf = layout["host"] / "etc/app/app.conf"
    outcome = _place(layout, _files(layout), validators={str(conf): "grep -q 'setting = 1' %s"})
    assert outcome.status == "failed"
    assert "rejected by" in outcome.failures[0].reason
    assert conf.read_text() == "setting = 1\n"
    assert sorted(p.name for p in conf.parent.iterdir()) == ["app.conf", "pki"], "no temporary file is left"


def test_a_secret_task_shows_nothing_and_leaves_no_key_in_the_artifacts(layout: dict[str, Path]) -> None:
    outcome = _place(layout, [entry for entry in _files(layout) if entry["secret"]], no_log=True)
    # The censored result does not even say whether it changed; the play's stats still count it.
    assert outcome.stats["localhost"].changed == 1
    assert "censored" in outcome.results_of("Place files")["localhost"].result
    for path in layout["run"].rglob("*"):
        if path.is_file():
            assert "SecretKeyMaterial" not in path.read_text(errors="replace"), path


def test_an_unknown_owner_fails_with_its_name(layout: dict[str, Path]) -> None:
    files = _files(layout)[:1]
    files[0]["owner"] = "no-such-user-here"
    outcome = _place(layout, files)
    assert outcome.status == "failed"
    assert "no such user or group" in outcome.failures[0].reason


def test_a_failure_later_in_the_list_keeps_the_restart_mark_of_a_file_already_replaced(
        layout: dict[str, Path]) -> None:
    files = _files(layout)
    files[1]["owner"] = "no-such-user-here"  # the key fails after app.conf has been replaced
    assert _place(layout, files).status == "failed"
    assert (layout["host"] / "etc/app/app.conf").read_text() == "setting = 1\n"
    assert (layout["host"] / "pending/app").is_file(), "the next run would see app.conf unchanged and never restart"


def _pair(layout: dict[str, Path]) -> list[dict[str, Any]]:
    (layout["tree"] / "pki/app.crt").write_text("certificate 1\n")
    pki = layout["host"] / "etc/app/pki"
    return [
        {"src": "pki/app.crt", "dest": str(pki / "app.crt"), "owner": OWNER, "group": GROUP, "mode": "0644",
         "secret": False, "service": "app", "pair": "app"},
        {"src": "app.conf", "dest": str(layout["host"] / "etc/app/app.conf"), "owner": OWNER, "group": GROUP,
         "mode": "0644", "secret": False, "service": "app", "pair": ""},
        {"src": "pki/app.key", "dest": str(pki / "app.key"), "owner": OWNER, "group": GROUP, "mode": "0600",
         "secret": True, "service": "app", "pair": "app"},
    ]


def test_a_certificate_and_its_key_are_placed_in_one_step_at_the_first_ones_position(
        layout: dict[str, Path]) -> None:
    outcome = _place(layout, _pair(layout))
    assert outcome.status == "successful"
    pki = layout["host"] / "etc/app/pki"
    assert outcome.results_of("Place files")["localhost"].result["changed_files"] == [
        str(pki / "app.crt"), str(pki / "app.key"), str(layout["host"] / "etc/app/app.conf")]


def test_a_key_that_cannot_be_placed_keeps_the_new_certificate_out_too(layout: dict[str, Path]) -> None:
    files = _pair(layout)
    assert _place(layout, files).status == "successful"
    pki = layout["host"] / "etc/app/pki"
    (layout["tree"] / "pki/app.crt").write_text("certificate 2\n")
    (layout["tree"] / "pki/app.key").write_text(KEY.replace("ForTheTest", "ForTheNext"))
    # The key's check fails after the certificate was staged: neither may replace what is there.
    outcome = _place(layout, files, validators={str(pki / "app.key"): "false %s"})
    assert outcome.status == "failed" and "app.key: rejected by" in outcome.failures[0].reason
    assert (pki / "app.crt").read_text() == "certificate 1\n" and (pki / "app.key").read_text() == KEY
    assert sorted(p.name for p in pki.iterdir()) == ["app.crt", "app.key"], "no temporary file is left"
    assert _place(layout, files).status == "successful"
    assert (pki / "app.crt").read_text() == "certificate 2\n" and "ForTheNext" in (pki / "app.key").read_text()
