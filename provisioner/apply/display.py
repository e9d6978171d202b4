"""What the operator sees during apply: live per-host progress while a phase runs (on a terminal),
one line per finished phase, and the recap table at the end."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from provisioner.apply.events import AnsibleEvent, HostResult, PlaybookStats, TaskRetrying, TaskStarted
from provisioner.apply.recap import Recap

_STYLE = {"ok": "green", "changed": "yellow", "failed": "red", "unreachable": "red", "skipped": "dim"}


@dataclass
class _HostLine:
    task: str = ""
    status: str = ""
    changed: int = 0
    done: int = 0


class ApplyDisplay:
    def __init__(self, console: Console) -> None:
        self.console = console
        self._hosts: dict[str, _HostLine] = {}
        # From the play's stats, which also count tasks whose results no_log hides.
        self._changed: set[str] = set()
        self._title = ""
        self._live: Live | None = None

    def started(self, tree: str, run_dir: str) -> None:
        self.console.print(f"Applying {escape(tree)}; Ansible artifacts in {escape(run_dir)}")

    def phase_started(self, index: int, total: int, title: str) -> None:
        self._title = f"[{index}/{total}] {title}"
        self._hosts = {}
        self._changed = set()
        if self.console.is_terminal:
            self._live = Live(self._render(), console=self.console, transient=True, refresh_per_second=8)
            self._live.start()

    def on_event(self, event: AnsibleEvent) -> None:
        if isinstance(event, TaskStarted):
            line = self._hosts.setdefault(event.host, _HostLine())
            line.task, line.status = event.task, "running"
        elif isinstance(event, TaskRetrying):
            line = self._hosts.setdefault(event.host, _HostLine())
            line.task, line.status = event.task, f"waiting ({event.attempt}/{event.retries})"
        elif isinstance(event, HostResult):
            line = self._hosts.setdefault(event.host, _HostLine())
            line.task, line.status = event.task, event.status
            line.done += 1
            line.changed += event.status == "changed"
        elif isinstance(event, PlaybookStats):
            self._changed |= {host for host, counts in event.hosts.items() if counts.changed}
            return
        else:
            return
        if self._live is not None:
            self._live.update(self._render())

    def phase_finished(self, seconds: float, failed: bool) -> None:
        self._stop_live()
        mark = "[red]✗[/]" if failed else "[green]✓[/]"
        changed = sorted(self._changed | {host for host, line in self._hosts.items() if line.changed})
        detail = f"  changed on {', '.join(changed)}" if changed else ""
        self.console.print(f"{mark} {escape(self._title)}  [dim]{seconds:.1f}s[/]{escape(detail)}")

    def phase_skipped(self, index: int, total: int, title: str, reason: str) -> None:
        self.console.print(f"[dim]-[/] {escape(f'[{index}/{total}] {title}')}: skipped: {escape(reason)}")

    def warn(self, line: str) -> None:
        self.console.print(f"  [yellow]warning:[/] {escape(line)}")

    def note(self, line: str) -> None:
        self.console.print(f"  {escape(line)}")

    def recap(self, recap: Recap) -> None:
        self.console.print(recap_table(recap))

    def _stop_live(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _render(self) -> RenderableType:
        table = Table(title=escape(self._title), title_justify="left", box=None, pad_edge=False)
        table.add_column("host")
        table.add_column("task")
        table.add_column("status")
        table.add_column("done", justify="right")
        for host, line in sorted(self._hosts.items()):
            style = _STYLE.get(line.status, "cyan")
            table.add_row(host, escape(line.task), f"[{style}]{escape(line.status)}[/]", str(line.done))
        return table


def recap_table(recap: Recap) -> Table:
    table = Table(title="Recap", title_justify="left")
    table.add_column("host")
    for column in ("ok", "changed", "failed", "unreachable", "skipped"):
        table.add_column(column, justify="right")
    for host, counts in recap.hosts.items():
        table.add_row(
            host, str(counts.ok),
            f"[yellow]{counts.changed}[/]" if counts.changed else "0",
            f"[red]{counts.failed}[/]" if counts.failed else "0",
            f"[red]{counts.unreachable}[/]" if counts.unreachable else "0",
            str(counts.skipped),
        )
    return table
