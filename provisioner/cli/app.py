"""The `provisioner` command: each command lives in its own module and only parses and hands over."""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

from provisioner.cli import output
from provisioner.cli.apply import apply_command
from provisioner.cli.certs import certs_command
from provisioner.cli.drill import drill_command
from provisioner.cli.etcd import etcd_app
from provisioner.cli.kubeconfig import kubeconfig_command
from provisioner.cli.lab import lab_app
from provisioner.cli.ping import ping_command
from provisioner.cli.plan import plan_command
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
app.command("plan")(plan_command)
app.command("apply")(apply_command)
app.add_typer(vagrant_app, name="vagrant")
app.command("ping")(ping_command)
app.command("verify")(verify_command)
app.command("kubeconfig")(kubeconfig_command)
app.command("up")(up_command)
app.command("drill")(drill_command)
app.command("down")(down_command)
app.add_typer(etcd_app, name="etcd")
app.command("certs")(certs_command)


@app.callback()
def _commands() -> None:
    """Keeps `provisioner COMMAND` a group even while a single command is registered."""


def _click_class(name: str) -> type[Exception]:
    """A class of the command-line parser typer runs on (typer carries its own copy of click), found
    from the one usage error typer exports."""
    return next(base for base in typer.BadParameter.__mro__ if base.__name__ == name)


_PARSER_ERROR = _click_class("ClickException")
_USAGE_ERROR = _click_class("UsageError")


def main() -> None:
    # Every error, the command-line parser's included, is printed one line each, like bad input.
    try:
        code = app(standalone_mode=False, prog_name="provisioner")
    except _PARSER_ERROR as error:
        parser_error: Any = error
        if type(error).__name__ == "NoArgsIsHelpError":
            parser_error.show()  # the help a plain `provisioner` or `provisioner lab` asks for
        else:
            output.fail([usage_line(parser_error)])
        sys.exit(parser_error.exit_code)
    except typer.Abort:
        output.fail(["aborted"])
        sys.exit(1)
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
    if isinstance(code, int) and code:
        sys.exit(code)


def usage_line(error: Any) -> str:
    """`provisioner render: No such option: --bogus (Possible options: --out); see provisioner render --help`."""
    message = "; ".join(line.strip() for line in error.format_message().splitlines() if line.strip()).rstrip(".")
    context = getattr(error, "ctx", None) if isinstance(error, _USAGE_ERROR) else None
    if context is None:
        return message
    return f"{context.command_path}: {message}; see {context.command_path} --help"
