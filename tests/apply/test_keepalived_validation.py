"""A keepalived configuration keepalived rejects is reported with keepalived's own message: the VRRP
password lives in an included file of its own, so nothing has to be hidden. Runs apply's real
placement tasks (roles/tree_files) with the real `keepalived -t` on this machine."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner import hostpaths
from provisioner.apply.events import HIDDEN
from provisioner.apply.runner import RunOutcome
from provisioner.apply.variables import VALIDATORS
from provisioner.cluster.load import load_topology
from provisioner.render import render
from provisioner.render.secrets import KEEPALIVED_AUTH_PASS
from tests.apply.local_ansible import run_local
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.tools


def _interface() -> str:
    names = sorted(p.name for p in Path("/sys/class/net").iterdir() if p.name != "lo")
    if not names:
        pytest.skip("this machine has no network interface besides lo")
    return names[0]


def _place_load_balancer_files(tmp_path: Path, interface: str) -> tuple[RunOutcome, str, Path]:
    if shutil.which("keepalived") is None and not Path("/usr/sbin/keepalived").exists():
        pytest.skip("keepalived is not installed (apt-get install -y keepalived)")
    topology, _ = load_topology(EXAMPLES / "lab-stacked/cluster.yaml")
    tree, host = tmp_path / "tree", tmp_path / "host"
    render(topology, tree)
    # The host's /etc is a folder here: point every destination, and the paths keepalived.conf names,
    # into it; the interface is the one under test.
    def on_host(path: str) -> str:
        return str(host) + path
    config = tree / "hosts/lb1/keepalived.conf"
    text = config.read_text()
    for path in (hostpaths.KEEPALIVED_AUTH, hostpaths.KEEPALIVED_CHECK_SCRIPT):
        text = text.replace(path, on_host(path))
    config.write_text(text.replace("interface host0", f"interface {interface}"))
    entries: list[dict[str, Any]] = yaml.safe_load((tree / "hosts/lb1/files.yml").read_text())["files"]
    for entry in entries:
        entry["dest"] = on_host(entry["dest"])
    validators = {on_host(dest): command for dest, command in VALIDATORS.items()}
    play = {"name": "place", "hosts": "localhost", "gather_facts": False, "tasks": [{
        "name": "Place lb1's files",
        "ansible.builtin.import_role": {"name": "tree_files", "tasks_from": "place"},
        "vars": {"tree_files_entries": entries}}]}
    outcome = run_local(tmp_path / "ansible", [play], extravars={
        "provisioner_tree": str(tree), "provisioner_validators": validators,
        "provisioner_pending_dir": str(host / "pending")})
    return outcome, (tree / KEEPALIVED_AUTH_PASS).read_text().strip(), host


def test_keepalived_accepts_the_placed_configuration_and_reads_the_included_password(tmp_path: Path) -> None:
    outcome, _, host = _place_load_balancer_files(tmp_path, _interface())
    assert outcome.status == "successful", [failure.reason for failure in outcome.failures]
    assert (host / hostpaths.KEEPALIVED_CONFIG.lstrip("/")).is_file()
    assert (host / hostpaths.KEEPALIVED_AUTH.lstrip("/")).stat().st_mode & 0o777 == 0o600


def test_a_configuration_keepalived_rejects_shows_keepalived_s_message_and_not_the_password(
        tmp_path: Path) -> None:
    outcome, password, host = _place_load_balancer_files(tmp_path, "nosuchif0")
    assert outcome.status == "failed"
    (failure,) = outcome.failures
    assert failure.task == "Place configuration files and CA certificates"
    message = str(failure.result.get("msg"))  # the reason shown is this, cut to one line
    assert failure.reason.startswith(message[:100]) and HIDDEN not in failure.reason
    assert "keepalived.conf: rejected by" in message, message
    assert "interface nosuchif0 for vrrp_instance lab_stacked_api doesn't exist" in message, message
    assert password not in message
    assert not (host / hostpaths.KEEPALIVED_CONFIG.lstrip("/")).exists(), "a rejected file replaces nothing"
    for path in (tmp_path / "ansible").rglob("*"):
        if path.is_file():
            assert password not in path.read_text(errors="replace"), path
