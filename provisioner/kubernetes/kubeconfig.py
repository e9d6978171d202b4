"""The admin kubeconfig for the operator: read from the first control-plane host where kubeadm init or
join succeeded, its server rewritten to the API endpoint, written 0600.

Only the `server:` lines change, in place, so the file keeps kubeadm's bytes otherwise (the client
certificate and key it embeds included); the result is parsed back to prove exactly that.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from provisioner import hostpaths
from provisioner.atomic import write_atomically
from provisioner.errors import ProvisionerError
from provisioner.providers.base import SshTarget
from provisioner.reach.reasons import ssh_failure
from provisioner.reach.ssh import ssh_command

MEMBER_MARKER = hostpaths.KUBE_MEMBER_MARKER
_NOT_A_MEMBER = 3
_SESSION_SECONDS = 60
_SERVER_LINE = re.compile(r"^(?P<indent>\s*)server:[ \t]*\S+[ \t]*$", re.MULTILINE)


class KubeconfigUnavailable(ProvisionerError):
    """No control-plane host could give its admin kubeconfig; one line per host with the reason."""

    def __init__(self, message: str, reasons: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.reasons = list(reasons)

    def lines(self) -> list[str]:
        return [str(self), *self.reasons]


def remote_read(become: bool) -> str:
    read = f"test -f {MEMBER_MARKER} || exit {_NOT_A_MEMBER}; cat {hostpaths.KUBE_ADMIN_KUBECONFIG}"
    return f"sudo -n sh -c {shlex.quote(read)}" if become else read


def fetch_admin_kubeconfig(targets: Sequence[SshTarget], connect_timeout: int) -> tuple[str, str]:
    """(host, text) of the first control-plane host in `targets` that is a member; the reasons of
    every other host when none is."""
    reasons = []
    for target in targets:
        become = bool(target.connection.become)
        run = subprocess.run(ssh_command(target, remote_read(become), connect_timeout=connect_timeout),
                             capture_output=True, text=True, timeout=connect_timeout + _SESSION_SECONDS)
        if run.returncode == 0:
            return target.host, run.stdout
        if run.returncode == _NOT_A_MEMBER:
            reasons.append(f"{target.host}: kubeadm init or join has not succeeded there ({MEMBER_MARKER} missing)")
        elif run.returncode == 255:
            reasons.append(f"{target.host}: {ssh_failure(run.stderr, target.connection)}")
        else:
            last = (run.stderr.strip().splitlines() or ["no output"])[-1]
            reasons.append(f"{target.host}: cannot read {hostpaths.KUBE_ADMIN_KUBECONFIG}: {last}")
    raise KubeconfigUnavailable("no control-plane host gave an admin kubeconfig; run apply first", reasons)


def with_server(text: str, server: str) -> str:
    """`text` with every cluster's server set to `server`, nothing else changed."""
    rewritten, count = _SERVER_LINE.subn(lambda match: f"{match['indent']}server: {server}", text)
    original, result = _parsed(text), _parsed(rewritten)
    if count != len(original.get("clusters") or []) or count == 0:
        raise KubeconfigUnavailable(f"the admin kubeconfig has {count} server lines for "
                                    f"{len(original.get('clusters') or [])} clusters; not rewritten")
    for cluster in original["clusters"]:
        cluster["cluster"]["server"] = server
    if result != original:
        raise KubeconfigUnavailable("rewriting the server changed more than the server; not written")
    return rewritten


def _parsed(text: str) -> dict[str, Any]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise KubeconfigUnavailable(f"the admin kubeconfig is not YAML: {error}") from None
    if not isinstance(document, dict) or document.get("kind") != "Config":
        raise KubeconfigUnavailable("the admin kubeconfig is not a kubeconfig (kind: Config)")
    return document


def write_private(path: Path, text: str) -> None:
    """Written 0600 from the start (it holds the cluster admin's key), replacing any file there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text, 0o600)
