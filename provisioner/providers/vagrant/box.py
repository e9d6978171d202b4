"""A vagrant-libvirt box built on this machine from Debian packages only: nothing else is downloaded.

The root file system comes from mmdebstrap with the same packages as the lab image (etcd, haproxy and
keepalived installed but disabled, since VMs have no internet), plus a kernel. It is packed with
`mkfs.ext4 -d` (no loop device, no mount) into a bare ext4 disk without partition table or boot loader;
the kernel and initrd travel inside the box and libvirt boots them directly. The box's own Vagrantfile
says so, and picks QEMU's software emulation: on machines whose /dev/kvm cannot run a stock kernel, TCG
is what works.

Boxes are cached like the lab image: keyed by a hash of their recipe, built in a temporary folder that
is renamed into place only when complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from provisioner.errors import ProvisionerError
from provisioner.providers.lab.image import BASE_PACKAGES, MIRROR, ROLE_PACKAGES, ImageSpec, build_once
from provisioner.providers.vagrant.guest import prepare_guest

BOX_NAME = "provisioner/debian"
# What a VM needs beyond the lab image: a kernel to boot, udev to name its NICs, networkd for DHCP on
# the management NIC (Vagrant configures the private one through networkd as well).
VM_PACKAGES = ("initramfs-tools", "iputils-ping", "linux-image-amd64", "udev")
# Virtual size of the disk; ext4 only allocates what is written, the qcow2 stays small.
DISK_GIB = 8
# Bump when the recipe (guest preparation, box Vagrantfile) changes, so cached boxes are replaced.
RECIPE_VERSION = 2
BUILD_TIMEOUT_SECONDS = 1800

BOX_VAGRANTFILE = """\
# The box's own settings: its disk is a bare ext4 file system (no partition table, no boot loader),
# so libvirt boots the kernel and initrd shipped next to it.
Vagrant.configure("2") do |config|
  config.vm.boot_timeout = 900
  config.vm.provider :libvirt do |libvirt|
    box = File.expand_path(File.dirname(__FILE__))
    libvirt.kernel = File.join(box, "vmlinuz")
    libvirt.initrd = File.join(box, "initrd.img")
    # quiet: every character on the emulated serial console costs, and boot messages are many.
    libvirt.cmd_line = "root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet"
    # QEMU's software emulation (TCG): runs anywhere, including where /dev/kvm cannot run this kernel.
    libvirt.driver = "qemu"
    # No display to emulate: the VMs are reached over SSH, their console is the serial port.
    libvirt.graphics_type = "none"
  end
end
"""


@dataclass(frozen=True)
class BoxSpec:
    suite: str = ImageSpec().suite
    packages: tuple[str, ...] = BASE_PACKAGES + ROLE_PACKAGES + VM_PACKAGES

    @property
    def key(self) -> str:
        recipe = {"suite": self.suite, "packages": sorted(set(self.packages)), "recipe": RECIPE_VERSION}
        return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def box_file(cache_root: Path, spec: BoxSpec) -> Path:
    return cache_root / "boxes" / spec.key / f"debian-{spec.suite}.box"


def ensure_box(cache_root: Path, spec: BoxSpec, progress: Callable[[str], None]) -> Path:
    """The .box file for `spec`, built first if no complete one exists yet."""

    def build(boxes: Path) -> None:
        for leftover in boxes.glob(".build-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        _build(boxes, spec, insecure_public_key())

    return build_once(box_file(cache_root, spec), f"the Debian {spec.suite} box with mmdebstrap (once; about "
                      "two and a half minutes)", build, progress)


def insecure_public_key() -> str:
    """Vagrant's well-known insecure key, which Vagrant replaces with a key of each VM's own on first boot."""
    vagrant = shutil.which("vagrant")
    candidates = sorted(Path("/usr/share/rubygems-integration/all/gems").glob("vagrant-*/keys/vagrant.pub"))
    if vagrant is not None:
        # Upstream packages keep the gem next to the binary's real location.
        candidates += sorted(Path(os.path.realpath(vagrant)).parent.parent.glob("**/keys/vagrant.pub"))
    for candidate in candidates:
        return candidate.read_text().strip()
    raise BoxError("Vagrant's insecure public key (keys/vagrant.pub) was not found: install vagrant "
                   "(apt-get install -y vagrant)")


class BoxError(ProvisionerError):
    """The box cannot be built; the message says why in one line."""


def _build(boxes: Path, spec: BoxSpec, public_key: str) -> None:
    building = boxes / f".build-{spec.key}-{os.getpid()}"
    rootfs = building / "rootfs"
    contents = building / "box"
    building.mkdir()
    try:
        _mmdebstrap(spec, rootfs, building / "mmdebstrap.log", boxes / f"failed-{spec.key}.log")
        prepare_guest(rootfs, public_key)
        contents.mkdir()
        shutil.copyfile(_one(rootfs, "boot/vmlinuz-*"), contents / "vmlinuz")
        shutil.copyfile(_one(rootfs, "boot/initrd.img-*"), contents / "initrd.img")
        _pack_disk(rootfs, building / "disk.raw", contents / "box.img")
        shutil.rmtree(rootfs)
        (contents / "metadata.json").write_text(json.dumps(
            {"provider": "libvirt", "format": "qcow2", "virtual_size": DISK_GIB}) + "\n")
        (contents / "Vagrantfile").write_text(BOX_VAGRANTFILE)
        (contents / "info.json").write_text(json.dumps(
            {"suite": spec.suite, "packages": sorted(set(spec.packages)), "recipe": RECIPE_VERSION}, indent=2) + "\n")
        final_name = box_file(boxes.parent, spec).name
        with tarfile.open(building / final_name, "w") as box:
            for member in ("metadata.json", "Vagrantfile", "info.json", "vmlinuz", "initrd.img", "box.img"):
                box.add(contents / member, arcname=member)
        shutil.rmtree(contents)
        final = boxes / spec.key
        shutil.rmtree(final, ignore_errors=True)
        building.rename(final)
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _mmdebstrap(spec: BoxSpec, rootfs: Path, log: Path, kept: Path) -> None:
    argv = ["nice", "-n", "10", "mmdebstrap", "--variant=minbase", "--mode=root",
            f"--include={','.join(sorted(set(spec.packages)))}", spec.suite, str(rootfs), MIRROR]
    with log.open("w") as output:
        try:
            completed = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                       timeout=BUILD_TIMEOUT_SECONDS, check=False)
        except FileNotFoundError:
            raise BoxError("mmdebstrap not found: apt-get install -y mmdebstrap") from None
        except subprocess.TimeoutExpired:
            raise BoxError(f"mmdebstrap did not finish within {BUILD_TIMEOUT_SECONDS}s") from None
    if completed.returncode != 0:
        shutil.copyfile(log, kept)
        lines = [line for line in log.read_text().splitlines() if line.strip()]
        raise BoxError(f"mmdebstrap {spec.suite} failed ({lines[-1] if lines else 'no output'}); log: {kept}")


def _one(rootfs: Path, pattern: str) -> Path:
    found = sorted(rootfs.glob(pattern))
    if len(found) != 1:
        raise BoxError(f"expected exactly one {pattern} in the box's root file system, found {len(found)}")
    return found[0]


def _pack_disk(rootfs: Path, raw: Path, qcow2: Path) -> None:
    with raw.open("wb") as disk:
        disk.truncate(DISK_GIB * 1024**3)
    for argv in (["mkfs.ext4", "-q", "-F", "-L", "root", "-d", str(rootfs), str(raw)],
                 ["qemu-img", "convert", "-O", "qcow2", str(raw), str(qcow2)]):
        try:
            completed = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
        except FileNotFoundError:
            raise BoxError(f"{argv[0]} not found: apt-get install -y e2fsprogs qemu-utils") from None
        if completed.returncode != 0:
            raise BoxError(f"{argv[0]} failed: {completed.stderr.strip().splitlines()[-1:]}")
    raw.unlink()


def box_name(spec: BoxSpec) -> str:
    return f"{BOX_NAME}-{spec.suite}"


def add_box(built: Path, name: str, environment: dict[str, str]) -> str:
    """Adds the box to Vagrant (VAGRANT_HOME of `environment`) under `name`; returns its version.

    The version is the box file's build time: vagrant-libvirt names the disk it uploads into the
    storage pool after box name and version, so a rebuilt box must not reuse the old one's disk."""
    version = time.strftime("%Y%m%d.%H%M%S", time.gmtime(built.stat().st_mtime))
    catalog = built.with_name(f"catalog-{version}.json")
    catalog.write_text(json.dumps({"name": name, "versions": [{"version": version, "providers": [
        {"name": "libvirt", "url": built.as_uri()}]}]}) + "\n")
    try:
        completed = subprocess.run(["vagrant", "box", "add", "--force", "--provider", "libvirt", catalog.as_uri()],
                                   env={**environment, "VAGRANT_CHECKPOINT_DISABLE": "1"}, capture_output=True,
                                   text=True, check=False, timeout=600)
    except FileNotFoundError:
        raise BoxError("vagrant is not installed: apt-get install -y vagrant vagrant-libvirt") from None
    finally:
        catalog.unlink(missing_ok=True)
    if completed.returncode != 0:
        lines = [line.strip() for line in completed.stderr.splitlines() if line.strip()]
        raise BoxError(f"vagrant box add failed: {' '.join(lines[:3]) or completed.returncode}")
    return version
