"""Runs a playbook of the test against this machine (connection local) with apply's own modules, action
plugins and roles, through apply's ansible-runner wrapper."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from provisioner.apply.ansible_env import ansible_environment
from provisioner.apply.apply import PLAYBOOKS
from provisioner.apply.events import AnsibleEvent
from provisioner.apply.runner import RunOutcome, run_playbook


def run_local(folder: Path, plays: list[dict[str, Any]], extravars: dict[str, Any] | None = None,
              groups: dict[str, list[str]] | None = None) -> RunOutcome:
    """`plays` become folder/project/play.yml; hosts (default: localhost) all connect locally."""
    project = folder / "project"
    project.mkdir(parents=True, exist_ok=True)
    (project / "play.yml").write_text(yaml.safe_dump(plays, sort_keys=False))
    names = sorted({name for members in (groups or {}).values() for name in members}) or ["localhost"]
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = {"all": {"hosts": {name: local for name in names},
                         "children": {group: {"hosts": {name: None for name in members}}
                                      for group, members in (groups or {}).items()}}}
    (folder / "inventory.yml").write_text(yaml.safe_dump(inventory))
    environment = {
        **ansible_environment(folder),
        "ANSIBLE_LIBRARY": str(PLAYBOOKS / "library"),
        "ANSIBLE_ACTION_PLUGINS": str(PLAYBOOKS / "action_plugins"),
        "ANSIBLE_FILTER_PLUGINS": str(PLAYBOOKS / "filter_plugins"),
        "ANSIBLE_ROLES_PATH": str(PLAYBOOKS / "roles"),
        "ANSIBLE_INTERPRETER_PYTHON": sys.executable,
    }
    (folder / "run").mkdir(exist_ok=True)
    artifacts = folder / "run" / "artifacts"
    events: list[AnsibleEvent] = []
    return run_playbook(private_data_dir=folder / "run", project_dir=project, playbook="play.yml",
                        inventory=folder / "inventory.yml", extravars=extravars or {}, envvars=environment,
                        ident=f"run{len(list(artifacts.iterdir())) if artifacts.is_dir() else 0}", forks=5,
                        timeout_seconds=300, on_event=events.append)
