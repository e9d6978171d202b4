"""What a drill needs beyond one-shot commands (provisioner.reach.remote): a streaming remote command, and
faults on several hosts at once."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable

from provisioner.providers import SshTarget
from provisioner.reach.remote import remote_argv


class Stream:
    """A remote command whose output lines are collected, each with this machine's receive time, by a
    thread until `close`. The remote side must stop by itself too (bounded loops): closing the ssh
    client makes its next write fail."""

    def __init__(self, target: SshTarget, command: str, *, stdin: str | None = None, root: bool = True) -> None:
        self.host = target.host
        argv = remote_argv(target, command, root=root)
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
