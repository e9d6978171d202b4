"""The `provisioner` command: each command lives in its own module and only parses and hands over."""

from __future__ import annotations

import os
import sys

import typer

from provisioner.cli import output
from provisioner.cli.render import render_command
from provisioner.errors import ProvisionerError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Stand up a highly available Kubernetes control plane (stacked or external etcd) and verify it.",
)

# Commands, in the order an operator meets them. Modules import heavy libraries (ansible-runner,
# testinfra) inside their functions so that `--help` and `render` start fast.
app.command("render")(render_command)


@app.callback()
def _commands() -> None:
    """Keeps `provisioner COMMAND` a group even while a single command is registered."""


def main() -> None:
    # Usage errors are the CLI library's (exit 2); our own errors are printed one line each.
    try:
        app()
    except ProvisionerError as error:
        output.fail(error.lines())
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        output.fail(["interrupted"])
        sys.exit(130)
    except Exception as error:
        if os.environ.get("PROVISIONER_DEBUG"):
            raise
        output.fail([f"unexpected {type(error).__name__}: {error} (set PROVISIONER_DEBUG=1 for the traceback)"])
        sys.exit(1)
