"""The `provisioner` command: each command lives in its own module and only parses and hands over."""

from __future__ import annotations

import os
import sys

import typer

from provisioner.cli import output
from provisioner.cli.apply import apply_command
from provisioner.cli.lab import lab_app
from provisioner.cli.ping import ping_command
from provisioner.cli.render import render_command
from provisioner.cli.up import down_command, up_command
from provisioner.cli.vagrant import vagrant_app
from provisioner.cli.verify import verify_command
from provisioner.errors import ProvisionerError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Stand up a highly available Kubernetes control plane (stacked or external etcd) and verify it.",
)

# Commands, in the order an operator meets them. Modules import heavy libraries (ansible-runner,
# testinfra) inside their functions so that `--help` and `render` start fast.
app.add_typer(lab_app, name="lab")
app.command("render")(render_command)
app.command("apply")(apply_command)
app.add_typer(vagrant_app, name="vagrant")
app.command("ping")(ping_command)
app.command("verify")(verify_command)
app.command("up")(up_command)
app.command("down")(down_command)


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
