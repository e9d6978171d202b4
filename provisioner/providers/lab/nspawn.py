"""Starting and stopping systemd-nspawn machines on a host whose PID 1 may not be systemd.

Machines run detached from the caller (own session, reparented to PID 1) so they outlive the Python
process that started them. They are found again by the `--directory=` argument in their command line,
which is unique per machine, so a recorded PID is a hint and never trusted blindly.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from provisioner.providers.lab.commands import last_line
from provisioner.providers.lab.errors import LabError

# On a host with the v1/v2 "hybrid" cgroup layout, nspawn would hand the machine the same hybrid layout.
# systemd 256+ calls cgroup v1 (hybrid included) obsolete and 258 removed it; trixie's 257 still boots
# there but logs cgroup errors. This makes nspawn mount a pure cgroup2 hierarchy in the machine (taken
# from the host's /sys/fs/cgroup/unified), the only layout newer guests accept. No-op on unified hosts.
NSPAWN_ENVIRONMENT = {"SYSTEMD_NSPAWN_UNIFIED_HIERARCHY": "1"}
STOP_TIMEOUT_SECONDS = 20.0
NSPAWN_RUNTIME = Path("/run/systemd/nspawn")
# Moves itself into each cgroup.procs file given before "--", then becomes the command after it.
_JOIN_CGROUPS_THEN_EXEC = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 1; shift; done; shift; exec "$@"'


def nspawn_argv(root: Path, machine: str, hostname: str, netns: str, *, keep_unit: bool) -> list[str]:
    """`keep_unit`: run in the cgroup nspawn is started in (see cgroups.py) rather than ask systemd for a
    scope, which needs systemd as this host's PID 1."""
    return [
        "systemd-nspawn",
        "--boot",  # systemd as PID 1, like a real host
        f"--directory={root}",
        f"--machine={machine}",
        f"--hostname={hostname}",
        # Our own namespace (see network.py); implies a private network.
        f"--network-namespace-path=/run/netns/{netns}",
        "--capability=CAP_NET_ADMIN",  # keepalived adds the VIP and sends VRRP
        # machined may be missing (always is without systemd), and nothing here needs it.
        "--register=no",
        *(["--keep-unit"] if keep_unit else []),
        # No terminal: the console is copied to the machine's log file, input is ignored.
        "--console=read-only",
        "--resolv-conf=off",
        "--timezone=off",
        "--link-journal=no",
        "--settings=false",  # ignore any stray /etc/systemd/nspawn/<machine>.nspawn
    ]


def launch(root: Path, argv: list[str], console_log: Path, cgroups: list[Path]) -> int:
    """Starts nspawn (argv from nspawn_argv for `root`) in its own session, inside `cgroups` if any;
    returns its PID once visible."""
    if cgroups:
        procs = [str(cgroup / "cgroup.procs") for cgroup in cgroups]
        argv = ["sh", "-c", _JOIN_CGROUPS_THEN_EXEC, "sh", *procs, "--", *argv]
    with console_log.open("ab") as output:
        # --fork: the caller never becomes nspawn's parent, so nspawn is reaped by PID 1, not by us.
        subprocess.run(["setsid", "--fork", *argv], stdin=subprocess.DEVNULL, stdout=output,
                       stderr=subprocess.STDOUT, env={**os.environ, **NSPAWN_ENVIRONMENT}, check=True)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        pid = find_machine_process(root)
        if pid is not None:
            return pid
        time.sleep(0.02)
    raise LabError(f"systemd-nspawn for {root} exited at once: {console_tail(console_log)}")


def find_machine_process(root: Path, hint: int | None = None) -> int | None:
    """PID of the nspawn running `root`, checking the recorded hint first."""
    if hint is not None and _directory_of(_cmdline(hint)) == root:
        return hint
    return nspawn_processes(root).get(root)


def nspawn_processes(under: Path) -> dict[Path, int]:
    """Every live nspawn whose machine directory is `under` or below it, by directory."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        root = _directory_of(_cmdline(int(entry.name)))
        if root is not None and (root == under or under in root.parents):
            found[root] = int(entry.name)
    return found


def stop(processes: Mapping[Path, int], timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """Asks each nspawn (by machine directory) to shut its machine down, then kills what is still there
    after `timeout`. Returns when all are gone."""
    # nspawn turns SIGTERM into systemd's halt signal for the machine, an orderly shutdown.
    _signal(processes, signal.SIGTERM)
    remaining = _wait_gone(processes, timeout)
    if remaining:
        _signal(remaining, signal.SIGKILL)
        remaining = _wait_gone(remaining, 10)
    if remaining:
        raise LabError(f"systemd-nspawn did not exit even after SIGKILL: {sorted(map(str, remaining))}")


def remove_runtime_leftovers(machine: str, root: Path) -> None:
    """Removes what a killed nspawn leaves in /run (a clean exit removes it itself): its mount
    propagation folder and the lock on the machine directory. Call only once the machine is stopped."""
    if any(f"--machine={machine}" in _cmdline(pid) for pid in nspawn_processes(Path("/")).values()):
        return  # a machine of the same name in another lab
    shutil.rmtree(NSPAWN_RUNTIME / "propagate" / machine, ignore_errors=True)
    with contextlib.suppress(OSError):
        status = root.stat()
        (NSPAWN_RUNTIME / "locks" / f"inode-{status.st_dev}:{status.st_ino}").unlink(missing_ok=True)


def console_tail(console_log: Path) -> str:
    try:
        return f"{last_line(console_log.read_text(errors='replace'))} (console log: {console_log})"
    except OSError:
        return f"no console log at {console_log}"


def _directory_of(argv: list[str]) -> Path | None:
    # Also matches the short moment between `setsid --fork` and exec, when the argv is setsid's.
    if not any(Path(word).name == "systemd-nspawn" for word in argv):
        return None
    for word in argv:
        if word.startswith("--directory="):
            return Path(word.removeprefix("--directory="))
    return None


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    # Empty for zombies and kernel threads, so neither ever counts as a running machine.
    return [word.decode(errors="replace") for word in raw.split(b"\0") if word]


def _signal(processes: Mapping[Path, int], signum: signal.Signals) -> None:
    for root, pid in processes.items():
        if _directory_of(_cmdline(pid)) == root:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)


def _wait_gone(processes: Mapping[Path, int], timeout: float) -> dict[Path, int]:
    deadline = time.monotonic() + timeout
    while True:
        remaining = {root: pid for root, pid in processes.items() if _directory_of(_cmdline(pid)) == root}
        if not remaining or time.monotonic() >= deadline:
            return remaining
        time.sleep(0.05)
