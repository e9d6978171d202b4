"""How the CLI speaks: results on stdout, problems one per line on stderr."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from provisioner.errors import Problem

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def warn(problems: list[Problem]) -> None:
    for problem in problems:
        err.print(f"[yellow]warning:[/] {escape(str(problem))}", soft_wrap=True)


def fail(lines: list[str]) -> None:
    for line in lines:
        err.print(f"[red]error:[/] {escape(line)}", soft_wrap=True, markup=True, emoji=False)
