"""Commands on the cluster's hosts over SSH, one-shot or streaming, with the inventory's strict settings."""

from __future__ import annotations

import shlex
import subprocess
import threading
import time
from collections.abc import Callable

from provisioner.errors import StepFailed
from provisioner.providers import SshTarget
from provisioner.reach.reasons import ssh_failure
from provisioner.reach.ssh import ssh_command

CONNECT_TIMEOUT = 10


def _as_root(target: SshTarget, command: str) -> str:
    return f"sudo -n sh -c {shlex.quote(command)}" if target.connection.become else command


def run_on(target: SshTarget, command: str, *, step: str, stdin: str | None = None, timeout: float = 60,
           root: bool = True) -> str:
    """Runs `command` on the host (as root when `root`, through sudo where the host needs it) and
    returns its standard output; a failure names the host and the step."""
    argv = ssh_command(target, _as_root(target, command) if root else command, connect_timeout=CONNECT_TIMEOUT)
    try:
        completed = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False,
                                   stdin=None if stdin is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise StepFailed(step, target.host, f"no answer within {timeout:g} s") from None
    if completed.returncode == 255:
        raise StepFailed(step, target.host, ssh_failure(completed.stderr, target.connection))
    if completed.returncode != 0:
        said = completed.stderr.strip().splitlines()
        raise StepFailed(step, target.host, f"exit status {completed.returncode}: {said[-1] if said else 'no message'}")
    return completed.stdout


class Stream:
    """A remote command whose output lines are collected, each with this machine's receive time, by a
    thread until `close`. The remote side must stop by itself too (bounded loops): closing the ssh
    client makes its next write fail."""

    def __init__(self, target: SshTarget, command: str, *, stdin: str | None = None) -> None:
        self.host = target.host
        argv = ssh_command(target, command, connect_timeout=CONNECT_TIMEOUT)
        self.lines: list[tuple[float, str]] = []
        self._process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True)
        assert self._process.stdin is not None
        if stdin is not None:
            self._process.stdin.write(stdin)
        self._process.stdin.close()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self.lines.append((time.time(), line.rstrip("\n")))

    def wait_for_lines(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.lines) < count:
            if time.monotonic() > deadline or self._process.poll() is not None:
                return len(self.lines) >= count
            time.sleep(0.05)
        return True

    def close(self) -> list[tuple[float, str]]:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._reader.join(timeout=5)
        return list(self.lines)


def parallel(calls: list[Callable[[], None]]) -> None:
    """Runs the calls at once (faults on several hosts land together); the first error is raised."""
    errors: list[BaseException] = []

    def guarded(call: Callable[[], None]) -> None:
        try:
            call()
        except BaseException as error:  # re-raised below in the caller's thread
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
