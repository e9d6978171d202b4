"""Running the vagrant binary in the rendered folder, with the provider the cluster file chose."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from provisioner.errors import StepFailed, UsageError

_PACKAGES = {"libvirt": "vagrant vagrant-libvirt", "virtualbox": "vagrant"}


def vagrant_binary(provider: str) -> str:
    found = shutil.which("vagrant")
    if found is None:
        raise UsageError(f"vagrant is not installed (not on PATH); install it with: "
                         f"apt-get install -y {_PACKAGES.get(provider, 'vagrant')}")
    return found


class Vagrant:
    """One folder holding a Vagrantfile, driven with one provider (libvirt or virtualbox)."""

    def __init__(self, folder: Path, provider: str) -> None:
        self.folder = folder
        self.provider = provider
        self.binary = vagrant_binary(provider)

    def _environment(self) -> dict[str, str]:
        environment = dict(os.environ)
        # Every command (not only `up`) must pick the same provider, or `ssh-config` and `destroy`
        # could look for machines of another one.
        environment["VAGRANT_DEFAULT_PROVIDER"] = self.provider
        # No network call to HashiCorp's version service on each run.
        environment.setdefault("VAGRANT_CHECKPOINT_DISABLE", "1")
        return environment

    def run(self, *arguments: str) -> None:
        """Runs with the operator's terminal attached: `up` takes minutes and its progress matters."""
        completed = subprocess.run([self.binary, *arguments], cwd=self.folder, env=self._environment(),
                                   check=False)
        if completed.returncode != 0:
            raise StepFailed(f"vagrant {arguments[0]}", None,
                             f"exit status {completed.returncode} (vagrant's output is above)")

    def output(self, *arguments: str, host: str | None = None) -> str:
        """Runs with its output captured; a failure names `host` when the command was about one VM."""
        completed = subprocess.run([self.binary, *arguments], cwd=self.folder, env=self._environment(),
                                   check=False, capture_output=True, text=True)
        if completed.returncode != 0:
            lines = [line.strip() for line in completed.stderr.splitlines() if line.strip()]
            detail = " ".join(lines[:3]) if lines else f"exit status {completed.returncode}"
            raise StepFailed(f"vagrant {arguments[0]}", host, detail)
        return completed.stdout
