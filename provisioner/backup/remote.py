"""Shell commands and file reads on one host over the real `ssh` binary (same settings as apply)."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from provisioner.errors import StepFailed
from provisioner.etcdctl import first_error
from provisioner.providers.base import SshTarget
from provisioner.reach.reasons import ssh_failure
from provisioner.reach.remote import remote_argv, run_on

CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Remote:
    """One host reached over SSH. Every call names its step, so a failure says host and step."""

    target: SshTarget

    @property
    def host(self) -> str:
        return self.target.host

    def _argv(self, script: str) -> list[str]:
        return remote_argv(self.target, script)

    def run(self, step: str, script: str, *, timeout: float = 120) -> str:
        """The script's stdout; a non-zero status (or ssh failing) raises StepFailed naming host and step."""
        return run_on(self.target, script, step=step, timeout=timeout)

    def probe(self, script: str, *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Runs the script and returns its result whatever the status: for questions, not for changes."""
        return subprocess.run(self._argv(script), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)

    def read_file(self, step: str, path: str, sink: BinaryIO, on_chunk: Callable[[bytes], None]) -> None:
        """Streams the remote file into `sink`; `on_chunk` sees every piece (hashing, progress)."""
        with subprocess.Popen(self._argv(f"cat -- {shlex.quote(path)}"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL) as process:
            assert process.stdout is not None and process.stderr is not None
            while chunk := process.stdout.read(CHUNK_BYTES):
                sink.write(chunk)
                on_chunk(chunk)
            stderr = process.stderr.read().decode(errors="replace")
            status = process.wait()
        if status == 255:
            raise StepFailed(step, self.host, ssh_failure(stderr, self.target.connection))
        if status != 0:
            raise StepFailed(step, self.host, first_error(stderr) or f"exit status {status}")

