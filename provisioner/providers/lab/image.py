"""The Debian root file system every lab machine starts from: built once with debootstrap, then shared.

Images live under the cache root keyed by a hash of what goes into them, so changing the package list
builds a new image next to the old one and labs already running keep theirs. A build happens in a
temporary folder that is renamed into place only when complete: a crash never leaves a half image.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from provisioner.providers.lab import mounts
from provisioner.providers.lab.commands import last_line, run
from provisioner.providers.lab.errors import LabError

DEFAULT_CACHE_ROOT = Path("/var/cache/provisioner")
MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = (
    "ca-certificates", "curl", "dbus", "iproute2", "openssh-server", "procps", "python3", "sudo",
    "systemd", "systemd-sysv",
)
# Installed up front so no machine needs the internet; left disabled for the tool to configure.
ROLE_PACKAGES = ("etcd-client", "etcd-server", "haproxy", "keepalived")
ROLE_UNITS = ("etcd.service", "haproxy.service", "keepalived.service")
# Timers that would only fail or churn in a machine without internet or real disks.
QUIET_UNITS = ("apt-daily.timer", "apt-daily-upgrade.timer", "dpkg-db-backup.timer", "fstrim.timer")
# Bump when `make_shareable` or the lab's own additions change, so cached images built the old way are replaced.
RECIPE_VERSION = 1
BUILD_TIMEOUT_SECONDS = 1800


@dataclass(frozen=True)
class ImageSpec:
    suite: str = "trixie"
    packages: tuple[str, ...] = BASE_PACKAGES + ROLE_PACKAGES

    @property
    def key(self) -> str:
        recipe = {"suite": self.suite, "packages": sorted(set(self.packages)), "recipe": RECIPE_VERSION}
        return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def image_rootfs(cache_root: Path, spec: ImageSpec) -> Path:
    return cache_root / "images" / spec.key / "rootfs"


def ensure_image(cache_root: Path, spec: ImageSpec, progress: Callable[[str], None]) -> Path:
    """The image's root file system, built first if no complete image for `spec` exists yet."""
    rootfs = image_rootfs(cache_root, spec)

    def build(images: Path) -> None:
        _remove_abandoned_builds(images)
        _build(images, spec)

    return build_once(rootfs, f"the Debian {spec.suite} image with debootstrap (once; about a minute)", build,
                      progress)


def build_once(result: Path, what: str, build: Callable[[Path], None], progress: Callable[[str], None]) -> Path:
    """`result` (a cache entry two levels under its cache folder), made by `build(cache folder)` unless it
    exists: under the folder's lock, so concurrent callers build it once."""
    if result.exists():
        return result
    folder = result.parent.parent
    folder.mkdir(parents=True, exist_ok=True)
    with build_lock(folder):
        if result.exists():  # another process built it while we waited for the lock
            return result
        progress(f"building {what}")
        started = time.monotonic()
        build(folder)
        progress(f"built in {time.monotonic() - started:.0f}s: {result.parent}")
    return result


def _build(images: Path, spec: ImageSpec) -> None:
    building = images / f".build-{spec.key}-{os.getpid()}"
    log = building / "debootstrap.log"
    building.mkdir()
    try:
        returncode = _debootstrap(
            ["debootstrap", "--variant=minbase", f"--include={','.join(sorted(set(spec.packages)))}",
             spec.suite, str(building / "rootfs"), MIRROR], log)
        if returncode != 0:
            kept = images / f"failed-{spec.key}.log"
            shutil.copyfile(log, kept)
            raise LabError(f"debootstrap {spec.suite} failed ({last_line(log.read_text())}); log: {kept}")
        make_shareable(building / "rootfs")
        (building / "rootfs/etc/ssh/sshd_config.d/provisioner-lab.conf").write_text(
            "# Only the per-machine key the lab writes before boot.\nHostKey /etc/ssh/ssh_host_ed25519_key\n")
        (building / "image.json").write_text(json.dumps(
            {"suite": spec.suite, "packages": sorted(set(spec.packages)), "recipe": RECIPE_VERSION},
            indent=2) + "\n")
        mounts.unmount_all_under(building)  # debootstrap normally unmounts its proc and sys itself
        final = images / spec.key
        shutil.rmtree(final, ignore_errors=True)  # an image folder without rootfs is an old leftover
        building.rename(final)
    finally:
        _discard(building)


def _debootstrap(argv: list[str], log: Path) -> int:
    with log.open("w") as output:
        # Its own process group, so what it starts (wget, chroot, dpkg) can be stopped with it.
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        return process.wait(timeout=BUILD_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as error:
        raise LabError(f"debootstrap did not finish within {BUILD_TIMEOUT_SECONDS}s") from error
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _discard(building: Path) -> None:
    """Removes a build folder: stops whatever still writes into it (debootstrap orphaned by a crash),
    then unmounts what debootstrap mounted inside (proc, sys, sometimes a bind of /dev) before deleting."""
    needle = str(building).encode()
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
            if needle in command and b"debootstrap" in command:
                group = os.getpgid(int(entry.name))
                if group != os.getpgrp():
                    os.killpg(group, signal.SIGKILL)
        except OSError:  # gone meanwhile
            continue
    mounts.remove_tree(building)


def make_shareable(rootfs: Path) -> None:
    """Turns a fresh Debian root file system into something every machine can share (lab machines and
    the Vagrant box alike): role services off, no machine id, no host keys, no resolver."""
    # Package postinst scripts enable their services; the tool enables them when it configures them.
    present = [unit for unit in ROLE_UNITS + QUIET_UNITS if _unit_file(rootfs, unit) is not None]
    run(["systemctl", f"--root={rootfs}", "disable", *present])
    # Empty means "not set yet": each machine gets its own id before its first boot.
    (rootfs / "etc/machine-id").write_text("")
    dbus_id = rootfs / "var/lib/dbus/machine-id"
    dbus_id.unlink(missing_ok=True)
    dbus_id.symlink_to("/etc/machine-id")
    # Host keys are made per machine, never shared through the image.
    for key in (rootfs / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    # No resolver is reachable from a machine; host names come from /etc/hosts.
    (rootfs / "etc/resolv.conf").unlink(missing_ok=True)
    (rootfs / "etc/resolv.conf").write_text("")
    for package in (rootfs / "var/cache/apt/archives").glob("*.deb"):
        package.unlink()


def _unit_file(rootfs: Path, unit: str) -> Path | None:
    for folder in ("usr/lib/systemd/system", "lib/systemd/system", "etc/systemd/system"):
        if (rootfs / folder / unit).is_file():
            return rootfs / folder / unit
    return None


def _remove_abandoned_builds(images: Path) -> None:
    # Only called under the build lock, so no live build can be among these.
    for leftover in images.glob(".build-*"):
        _discard(leftover)


@contextmanager
def build_lock(images: Path) -> Iterator[None]:
    with (images / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
