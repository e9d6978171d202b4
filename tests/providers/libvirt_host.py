"""libvirt on this machine for the VM tests: the daemons started by hand (PID 1 is not systemd here) and
everything they made taken down again, by name and PID, also when a test fails.

What is changed on the machine, and undone at the end: qemu.conf gets QEMU running as root without a
security driver (no AppArmor or SELinux here; the box's kernel lives under a test's VAGRANT_HOME);
libvirtd and virtlogd run as children of the test; libvirt adds its firewall chains for the isolated
networks. libvirt's `default` network (NAT to the outside) is never started: a machine where it would
start by itself is refused.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

QEMU_CONF = Path("/etc/libvirt/qemu.conf")
DEFAULT_NETWORK_AUTOSTART = Path("/etc/libvirt/qemu/networks/autostart/default.xml")
SOCKET = Path("/run/libvirt/libvirt-sock")
URI = "qemu:///system"
_MARK = "# provisioner VM tests"
_SETTINGS = f'{_MARK}: QEMU as root, no security driver (removed when the tests end)\n' \
            'user = "+0"\ngroup = "+0"\nsecurity_driver = "none"\n'
_CHAINS = ("LIBVIRT_INP", "LIBVIRT_OUT", "LIBVIRT_FWO", "LIBVIRT_FWI", "LIBVIRT_FWX", "LIBVIRT_PRT")


def virsh(*arguments: str, check: bool = True) -> str:
    completed = subprocess.run(["virsh", "-c", URI, *arguments], capture_output=True, text=True, check=False,
                               timeout=120)
    if check and completed.returncode != 0:
        raise RuntimeError(f"virsh {' '.join(arguments)}: {completed.stderr.strip()}")
    return completed.stdout


def names(*arguments: str) -> set[str]:
    return {line.strip() for line in virsh(*arguments, check=False).splitlines() if line.strip()}


def pool_volumes(pool: str) -> set[str]:
    if pool not in names("pool-list", "--all", "--name"):
        return set()
    return {line.split()[0] for line in virsh("vol-list", pool, check=False).splitlines()[2:] if line.strip()}


def iptables_chains() -> set[str]:
    found: set[str] = set()
    for table in ("filter", "nat", "mangle"):
        listed = subprocess.run(["iptables", "-t", table, "-S"], capture_output=True, text=True, check=False)
        found |= {f"{table}:{line.split()[1]}" for line in listed.stdout.splitlines() if line.startswith("-N ")}
    return found


@dataclass
class LibvirtHost:
    """The daemons this test started and what existed before, so teardown removes only what is new."""

    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    qemu_conf: str | None = None
    chains_before: set[str] = field(default_factory=set)
    networks_before: set[str] = field(default_factory=set)
    pools_before: set[str] = field(default_factory=set)
    volumes_before: set[str] = field(default_factory=set)

    def start(self, log_folder: Path) -> None:
        if DEFAULT_NETWORK_AUTOSTART.exists():
            raise RuntimeError(f"{DEFAULT_NETWORK_AUTOSTART} would start libvirt's NAT network `default`: "
                               "remove it (virsh net-autostart default --disable) before running VM tests")
        if SOCKET.exists() and _answers():
            raise RuntimeError("libvirtd already runs on this machine: the VM tests start and stop their own")
        self.chains_before = iptables_chains()
        # Without the settings a crashed earlier run may have left: they are put back as found before it.
        self.qemu_conf = QEMU_CONF.read_text().replace(_SETTINGS, "")
        QEMU_CONF.write_text(self.qemu_conf.rstrip("\n") + "\n" + _SETTINGS)
        log_folder.mkdir(parents=True, exist_ok=True)
        # niced: QEMU inherits it, so emulated VMs yield to everything else on this machine.
        for daemon in ("virtlogd", "libvirtd"):
            with (log_folder / f"{daemon}.log").open("ab") as log:
                self.processes.append(subprocess.Popen(["nice", "-n", "10", daemon], stdin=subprocess.DEVNULL,
                                                       stdout=log, stderr=log, start_new_session=True))
        deadline = time.monotonic() + 60
        while not (SOCKET.exists() and _answers()):
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                raise RuntimeError(f"libvirtd did not come up; see {log_folder}")
            time.sleep(0.5)
        self.networks_before = names("net-list", "--all", "--name")
        self.pools_before = names("pool-list", "--all", "--name")
        self.volumes_before = pool_volumes("default")

    def remove_left_overs(self, domain_prefix: str) -> None:
        """Whatever a failed run left. libvirtd did not run before the test, so every running domain and
        active network is the test's: all are stopped; the cluster's domains, networks defined during the
        test, new pool volumes and pools are removed."""
        for domain in names("list", "--name"):
            virsh("destroy", domain, check=False)
        for domain in names("list", "--all", "--name"):
            if domain.startswith(domain_prefix):
                virsh("undefine", domain, "--remove-all-storage", check=False)
        for network in names("net-list", "--name"):
            virsh("net-destroy", network, check=False)
        for network in names("net-list", "--all", "--name") - self.networks_before:
            virsh("net-undefine", network, check=False)
        for volume in pool_volumes("default") - self.volumes_before:
            virsh("vol-delete", "--pool", "default", volume, check=False)
        for pool in names("pool-list", "--all", "--name") - self.pools_before:
            virsh("pool-destroy", pool, check=False)
            virsh("pool-undefine", pool, check=False)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.processes.clear()
        if self.qemu_conf is not None:
            QEMU_CONF.write_text(self.qemu_conf)
        _remove_new_chains(self.chains_before)


def _answers() -> bool:
    return subprocess.run(["virsh", "-c", URI, "version"], capture_output=True, check=False,
                          timeout=30).returncode == 0


def _remove_new_chains(before: set[str]) -> None:
    """libvirt leaves its chains (and the jumps into them) behind when it stops: drop the ones it added."""
    for entry in sorted(iptables_chains() - before):
        table, chain = entry.split(":")
        if chain not in _CHAINS:
            continue
        rules = subprocess.run(["iptables", "-t", table, "-S"], capture_output=True, text=True, check=False).stdout
        for rule in rules.splitlines():
            words = rule.split()
            if words[:1] == ["-A"] and words[-2:] == ["-j", chain]:
                subprocess.run(["iptables", "-t", table, "-D", *words[1:]], capture_output=True, check=False)
        subprocess.run(["iptables", "-t", table, "-F", chain], capture_output=True, check=False)
        subprocess.run(["iptables", "-t", table, "-X", chain], capture_output=True, check=False)


@contextlib.contextmanager
def libvirt_host(log_folder: Path, domain_prefix: str) -> Iterator[LibvirtHost]:
    host = LibvirtHost()
    try:
        host.start(log_folder)
        yield host
    finally:
        try:
            if host.processes:
                host.remove_left_overs(domain_prefix)
        finally:
            host.stop()
