"""What turns a shared Debian root file system into a Vagrant guest: the `vagrant` user, networking for
the management NIC, host keys made on each VM's first boot, a root file system on the bare disk."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from provisioner.providers.lab.image import make_shareable

# Vagrant's management NIC is eth0 (the kernel command line turns predictable names off); Vagrant
# configures the private network's NIC (eth1) through networkd itself. No IPv6 autoconfiguration:
# nothing may give a VM a route out.
MANAGEMENT_NETWORK = """\
[Match]
Name=eth0

[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no
"""
HOST_KEYS_UNIT = """\
[Unit]
Description=Make this VM's own SSH host keys
Before=ssh.service ssh.socket
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
"""


# Work an emulated VM would otherwise do at every first boot, for nothing a cluster host needs.
IDLE_UNITS = ("proc-sys-fs-binfmt_misc.automount", "systemd-binfmt.service", "e2scrub_all.timer",
              "e2scrub_reap.service", "getty@tty1.service")


def prepare_guest(rootfs: Path, public_key: str) -> None:
    make_shareable(rootfs)
    _vagrant_user(rootfs, public_key)
    (rootfs / "etc/systemd/network/90-management.network").write_text(MANAGEMENT_NETWORK)
    (rootfs / "etc/systemd/system/ssh-host-keys.service").write_text(HOST_KEYS_UNIT)
    _systemctl(rootfs, "enable", "systemd-networkd.service", "ssh-host-keys.service", "ssh.service")
    _systemctl(rootfs, "mask", *IDLE_UNITS)
    (rootfs / "etc/fstab").write_text("/dev/vda / ext4 rw,errors=remount-ro 0 1\n")
    (rootfs / "etc/hostname").write_text("debian\n")
    (rootfs / "etc/hosts").write_text("127.0.0.1 localhost\n127.0.1.1 debian\n::1 localhost\n")
    _update_caches(rootfs)


def _update_caches(rootfs: Path) -> None:
    """Builds now what systemd would rebuild on first boot (hardware database, linker and journal
    catalog caches), then marks /etc and /var up to date so those services are skipped: under
    emulation they take minutes."""
    subprocess.run(["chroot", str(rootfs), "systemd-hwdb", "update"], check=True, capture_output=True)
    subprocess.run(["chroot", str(rootfs), "ldconfig"], check=True, capture_output=True)
    subprocess.run(["chroot", str(rootfs), "journalctl", "--update-catalog"], check=True, capture_output=True)
    usr_changed = (rootfs / "usr").stat().st_mtime
    for marker in (rootfs / "etc/.updated", rootfs / "var/.updated"):
        marker.write_text("")
        os.utime(marker, (usr_changed + 1, usr_changed + 1))


def _vagrant_user(rootfs: Path, public_key: str) -> None:
    subprocess.run(["useradd", "--root", str(rootfs), "--create-home", "--shell", "/bin/bash", "--user-group",
                    "vagrant"], check=True, capture_output=True)
    sudoers = rootfs / "etc/sudoers.d/vagrant"
    sudoers.write_text("vagrant ALL=(ALL) NOPASSWD: ALL\n")
    sudoers.chmod(0o440)
    uid, gid = _ids(rootfs, "vagrant")
    ssh = rootfs / "home/vagrant/.ssh"
    ssh.mkdir(mode=0o700)
    keys = ssh / "authorized_keys"
    keys.write_text(public_key + "\n")
    keys.chmod(0o600)
    for path in (ssh, keys):
        os.chown(path, uid, gid)  # the guest's ids: the name may not exist on this machine


def _ids(rootfs: Path, user: str) -> tuple[int, int]:
    for line in (rootfs / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return int(fields[2]), int(fields[3])
    raise LookupError(f"{user} is not in {rootfs}/etc/passwd")


def _systemctl(rootfs: Path, *arguments: str) -> None:
    subprocess.run(["systemctl", f"--root={rootfs}", *arguments], check=True, capture_output=True)
