"""The shipped playbooks pass ansible-playbook --syntax-check and ansible-lint's production profile, and
the conventions apply relies on hold in them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner.apply.apply import PLAYBOOKS
from provisioner.apply.phases import APPLY_PHASES
from provisioner.apply.phases.base import PlaybookPhase
from provisioner.apply.phases.preflight import PLAYBOOK as PREFLIGHT_PLAYBOOK
from provisioner.apply.phases.preflight import PROBE_TASK
from provisioner.apply.variables import playbook_variables
from provisioner.cluster.load import load_topology
from provisioner.render import INVENTORY, render
from tests.conftest import EXAMPLES

BIN = Path(sys.executable).parent
PLAYBOOK_FILES = sorted(PLAYBOOKS.glob("*.yml"))


def _tool(name: str) -> str:
    found = BIN / name if (BIN / name).is_file() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return str(found)


@pytest.fixture(scope="module", params=["lab-stacked", "lab-external", "servers-example"])
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    topology, _ = load_topology(EXAMPLES / request.param / "cluster.yaml")
    tree = render(topology, tmp_path_factory.mktemp(request.param)).out
    extravars = tmp_path_factory.mktemp("vars") / "extravars.yml"
    extravars.write_text(yaml.safe_dump(playbook_variables(topology, tree)))
    return tree / INVENTORY, extravars


@pytest.mark.parametrize("playbook", PLAYBOOK_FILES, ids=lambda path: path.name)
def test_syntax_check(playbook: Path, rendered: tuple[Path, Path]) -> None:
    inventory, extravars = rendered
    result = subprocess.run([_tool("ansible-playbook"), "--syntax-check", "-i", str(inventory), "-e", f"@{extravars}",
                             playbook.name], cwd=PLAYBOOKS, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ansible_lint_production_profile_passes() -> None:
    result = subprocess.run([_tool("ansible-lint"), "--profile", "production", "--offline", "--nocolor", "."],
                            cwd=PLAYBOOKS, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_playbook_phase_has_its_playbook() -> None:
    shipped = {path.name for path in PLAYBOOK_FILES}
    for phase in APPLY_PHASES:
        if issubclass(phase, PlaybookPhase):
            assert phase.playbook in shipped, phase.title
    assert PREFLIGHT_PLAYBOOK in shipped


def test_the_probe_task_the_preflight_phase_reads_exists() -> None:
    (play,) = yaml.safe_load((PLAYBOOKS / PREFLIGHT_PLAYBOOK).read_text())
    assert [task["name"] for task in play["tasks"]] == [PROBE_TASK]


def _tasks(path: Path) -> list[dict[str, Any]]:
    content = yaml.safe_load(path.read_text()) or []
    if not isinstance(content, list):  # defaults files
        return []
    tasks: list[dict[str, Any]] = []
    for item in content:
        plays_own = [] if "hosts" in item else [item]
        tasks += [*plays_own, *item.get("tasks", []), *item.get("handlers", []), *item.get("block", [])]
    return tasks


def test_tasks_handling_keys_or_kubeadm_credentials_hide_their_output() -> None:
    hidden: list[str] = []
    for path in PLAYBOOKS.rglob("*.yml"):
        for task in _tasks(path):
            text = yaml.safe_dump(task)
            handles_secrets = any(word in text for word in (
                "provisioner_secret_files", "kubernetes_token", "kubernetes_certificate_key", "certificate-key"))
            # Importing a task file or removing a file handles no secret itself.
            plumbing = "import_tasks" in text or "ansible.builtin.file:" in text
            if handles_secrets and "name" in task and not plumbing:
                hidden.append(f"{path.relative_to(PLAYBOOKS)}: {task['name']}: no_log={task.get('no_log')}")
    assert hidden and all(line.endswith("no_log=True") for line in hidden), "\n".join(hidden)


def test_no_rendered_file_is_templated_again() -> None:
    for path in PLAYBOOKS.rglob("*.yml"):
        assert "ansible.builtin.template" not in path.read_text(), path
