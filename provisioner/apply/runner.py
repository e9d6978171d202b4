"""The one place that talks to ansible-runner: a playbook run with explicit settings, typed events out."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provisioner.apply.events import AnsibleEvent, HostCounts, HostResult, PlaybookStats, parse_event
from provisioner.errors import UsageError

EventCallback = Callable[[AnsibleEvent], None]


@dataclass(frozen=True)
class RunOutcome:
    ident: str
    status: str  # ansible-runner's: successful | failed | timeout | canceled
    rc: int
    artifact_dir: Path
    stats: Mapping[str, HostCounts]
    # Final results of every task on every host, in the order they arrived.
    results: list[HostResult] = field(repr=False)

    @property
    def failures(self) -> list[HostResult]:
        return [r for r in self.results if r.status in ("failed", "unreachable") and not r.ignored]

    def results_of(self, task: str) -> dict[str, HostResult]:
        return {r.host: r for r in self.results if r.task == task}


def search_path() -> str:
    """PATH with the folder of this Python first, so ansible-runner starts the ansible-playbook
    installed with this package (a venv's) even when that venv is not activated."""
    here = Path(sys.executable).parent
    if not (here / "ansible-playbook").is_file() and not any(
            (Path(folder) / "ansible-playbook").is_file() for folder in os.environ.get("PATH", "").split(os.pathsep)):
        raise UsageError("ansible-playbook not found: install provisioner with its dependencies (ansible-core)")
    return os.pathsep.join([str(here), os.environ.get("PATH", "")])


def run_playbook(
    *,
    private_data_dir: Path,
    project_dir: Path,
    playbook: str,
    inventory: Path,
    extravars: Mapping[str, Any],
    envvars: Mapping[str, str],
    ident: str,
    forks: int,
    timeout_seconds: int,
    on_event: EventCallback,
    limit: str | None = None,
) -> RunOutcome:
    import ansible_runner  # type: ignore[import-untyped]  # heavy; only apply needs it

    results: list[HostResult] = []
    stats: dict[str, HostCounts] = {}

    def handle(raw: dict[str, Any]) -> bool:
        event = parse_event(raw)
        if isinstance(event, HostResult):
            results.append(event)
        elif isinstance(event, PlaybookStats):
            stats.update(event.hosts)
        if event is not None:
            on_event(event)
        # False would keep the event out of the artifacts, and ansible-runner's stats with it.
        return True

    runner = ansible_runner.run(
        private_data_dir=str(private_data_dir),
        project_dir=str(project_dir),
        playbook=playbook,
        inventory=str(inventory),
        extravars=dict(extravars),
        envvars={**envvars, "PATH": search_path()},
        ident=ident,
        forks=forks,
        timeout=timeout_seconds,
        event_handler=handle,
        quiet=True,
        # Facts are not cached between runs: each phase asks the hosts for what it needs.
        fact_cache_type="memory",
        limit=limit,
    )
    _forget_environment(Path(runner.config.artifact_dir) / "command", envvars)
    return RunOutcome(
        ident=ident,
        status=str(runner.status),
        rc=int(runner.rc if runner.rc is not None else -1),
        artifact_dir=Path(runner.config.artifact_dir),
        stats=stats,
        results=results,
    )


def _forget_environment(record: Path, envvars: Mapping[str, str]) -> None:
    """ansible-runner records this process's whole environment next to the command; the artifacts
    keep only what apply set, not whatever credentials the operator's shell holds."""
    try:
        data = json.loads(record.read_text())
    except (OSError, ValueError):
        return
    data["env"] = {key: value for key, value in data.get("env", {}).items() if key in envvars}
    record.write_text(json.dumps(data))


@dataclass(frozen=True)
class AnsibleSession:
    """What every playbook run of one apply shares: the private data dir, inventory and settings."""

    private_data_dir: Path
    project_dir: Path
    inventory: Path
    envvars: Mapping[str, str]
    forks: int
    timeout_seconds: int = 1800

    def run(self, playbook: str, ident: str, extravars: Mapping[str, Any], on_event: EventCallback,
            limit: str | None = None) -> RunOutcome:
        return run_playbook(
            private_data_dir=self.private_data_dir,
            project_dir=self.project_dir,
            playbook=playbook,
            inventory=self.inventory,
            extravars=extravars,
            envvars=self.envvars,
            ident=ident,
            forks=self.forks,
            timeout_seconds=self.timeout_seconds,
            on_event=on_event,
            limit=limit,
        )
