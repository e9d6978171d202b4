"""A lab: one systemd-nspawn machine per cluster host, on a bridge of its own, reachable over strict SSH."""

from __future__ import annotations

import ipaddress
import os
import shlex
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from provisioner.providers.lab import cgroups, mounts, names, network, nspawn, overlay
from provisioner.providers.lab.addressing import bridge_address, front_subnet, lab_subnet
from provisioner.providers.lab.errors import LabError, LabPrerequisitesMissing
from provisioner.providers.lab.guest import write_guest_files
from provisioner.providers.lab.image import DEFAULT_CACHE_ROOT, ImageSpec, ensure_image
from provisioner.providers.lab.keys import ensure_key_pair, public_key, write_known_hosts
from provisioner.providers.lab.model import (
    ROOT,
    LabBastion,
    LabConnection,
    LabHost,
    MachineState,
    MachineStatus,
)
from provisioner.providers.lab.names import BASTION_HOST
from provisioner.providers.lab.prerequisites import NOT_ROOT, lab_prerequisites_problems, raise_inotify_instances
from provisioner.providers.lab.readiness import wait_for_ssh
from provisioner.providers.lab.state import (
    DEFAULT_STATE_ROOT,
    LabPaths,
    LabRecord,
    MachineRecord,
    load_record,
    save_record,
)

Progress = Callable[[str], None]
SSH_TIMEOUT_SECONDS = 120.0


class Lab:
    """The machines of one cluster. Construction only validates; nothing on this machine changes until
    `up`. State lives in `<state_root>/<cluster>/`, the shared image under `<cache_root>/images/`.

    With a `bastion`, the hosts' network is one this machine cannot reach: it has no address there, and
    an unreachable route keeps anything it sends from leaving by the default route. The bastion machine
    has a leg in it and one in a front network shared with this machine."""

    def __init__(self, cluster_name: str, hosts: Sequence[LabHost], *, bastion: LabBastion | None = None,
                 state_root: Path | None = None, cache_root: Path | None = None,
                 image: ImageSpec | None = None) -> None:
        self.cluster = cluster_name
        self.hosts = tuple(hosts)
        self.bastion = bastion
        self.subnet = lab_subnet(cluster_name, self.hosts)
        self.front_subnet: ipaddress.IPv4Network | None = None
        machines = list(self.hosts)
        if bastion is None:
            self._bridge_address = bridge_address(self.subnet, self.hosts)
        else:
            if any(host.name == BASTION_HOST for host in self.hosts):
                raise LabError(f"host name {BASTION_HOST!r} is the lab's jump host: rename that host")
            self.front_subnet = front_subnet(bastion.address, self.subnet)
            self._bridge_address = bridge_address(self.front_subnet, [LabHost(BASTION_HOST, bastion.address)])
            # In the hosts' network the bastion takes the address this machine would have had.
            machines.append(LabHost(BASTION_HOST, bridge_address(self.subnet, self.hosts), bastion.login))
            lab_subnet(cluster_name, machines)  # its machine name must fit as well
        self.machines = tuple(machines)
        state_root = (state_root or DEFAULT_STATE_ROOT).resolve()
        self._cache_root = (cache_root or DEFAULT_CACHE_ROOT).resolve()
        overlay.check_path(state_root)
        overlay.check_path(self._cache_root)
        self.paths = LabPaths(state_root / cluster_name)
        self._image = image or ImageSpec()

    @property
    def bridge_address(self) -> ipaddress.IPv4Address:
        """This machine's address on the lab bridge it reaches (the front one with a bastion): the
        highest free one of the /24, normally .254."""
        return self._bridge_address

    @property
    def connection(self) -> LabConnection:
        return LabConnection(private_key=self.paths.private_key, known_hosts=self.paths.known_hosts)

    def machine_name(self, host: str) -> str:
        return names.machine_name(self.cluster, self._host(host).name)

    def ssh_command(self, host: str, command: Sequence[str] = ()) -> list[str]:
        """An ssh argv for one machine (the bastion included) as root, with strict host key checking and
        through the bastion if there is one; `command` words go to the remote shell as ssh itself passes
        them (joined by spaces)."""
        target = self._host(host)
        argv = self._ssh_options(target.login.port)
        if self.bastion is not None and target.name != BASTION_HOST:
            jump = [*self._ssh_options(self.bastion.login.port), "-W", "%h:%p", f"{ROOT}@{self.bastion.address}"]
            argv += ["-o", f"ProxyCommand={shlex.join(jump)}"]
        return [*argv, f"{ROOT}@{self._ssh_address(target)}", *command]

    def _ssh_options(self, port: int) -> list[str]:
        return [
            "ssh", "-F", "none", "-i", str(self.paths.private_key), "-p", str(port),
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", f"UserKnownHostsFile={self.paths.known_hosts}", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
        ]

    def _ssh_address(self, machine: LabHost) -> ipaddress.IPv4Address:
        """Where this machine's ssh connects: the bastion on its front address, hosts on theirs."""
        if self.bastion is not None and machine.name == BASTION_HOST:
            return self.bastion.address
        return machine.address

    def up(self, progress: Progress | None = None) -> None:
        """Starts every machine not already running; returns when all of them answer SSH. Machines of
        hosts no longer listed (from an earlier `up`) are left alone until `down`."""
        report = progress or _quiet
        _require_prerequisites()
        raised = raise_inotify_instances()
        if raised is not None:
            report(f"raised fs.inotify.max_user_instances from {raised[0]} to {raised[1]}: systemd in every "
                   "machine needs a few")
        record = self._record_for_up(report)
        self.paths.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        save_record(self.paths.record, record)  # first, so `down` can clean up after a crash below
        ensure_key_pair(self.paths.private_key, comment=f"provisioner-lab-{self.cluster}")
        self._ensure_networks()
        for host in self.machines:
            self.paths.machine_dir(host.name).mkdir(parents=True, exist_ok=True)
            ensure_key_pair(self.paths.host_key(host.name), comment=f"root@{host.name}")
        write_known_hosts(self.paths.known_hosts, [
            (host.name, self._ssh_address(host), host.login.port, self.paths.host_key(host.name))
            for host in self.machines])
        running = self._running()
        missing = [host for host in self.machines if host.name not in running]
        where = f"{self.subnet}" if self.bastion is None else f"{self.subnet} behind a bastion on {self.front_subnet}"
        report(f"starting {len(missing)} of {len(self.machines)} machines on {where}")
        for host in missing:
            self._start_machine(host, record)
        report("waiting for SSH on every machine")
        self._wait_for_ssh(self.machines)
        report(f"lab {self.cluster} is up: {len(self.machines)} machines, this machine is {self.bridge_address}")

    def _ensure_networks(self) -> None:
        bridge = names.bridge_name(self.cluster)
        if self.front_subnet is None:
            network.ensure_bridge(self.cluster, bridge, self.subnet, self.bridge_address)
            return
        network.ensure_bridge(self.cluster, bridge, self.subnet, None)
        network.ensure_unreachable(self.subnet)
        network.ensure_bridge(self.cluster, names.front_bridge_name(self.cluster), self.front_subnet,
                              self.bridge_address)

    def status(self) -> list[MachineStatus]:
        running = self._running()
        return [MachineStatus(host=host.name, machine=names.machine_name(self.cluster, host.name),
                              address=self._ssh_address(host), state=self._state(host.name, running))
                for host in self.machines]

    def stop(self, host: str) -> None:
        """Powers one machine off (orderly shutdown, killed if it hangs); its disk and network stay."""
        target = self._host(host)
        _require_prerequisites()
        pid = self._running().get(target.name)
        if pid is not None:
            nspawn.stop({self.paths.root(target.name): pid})
        network.kill_processes_in(names.netns_name(self.cluster, target.name))

    def power_off(self, host: str) -> None:
        """Pulls the plug: every process of the machine is killed at once, with no orderly shutdown (a
        failure drill's power loss). Its disk and network stay; `start` boots it again."""
        target = self._host(host)
        _require_prerequisites()
        network.kill_processes_in(names.netns_name(self.cluster, target.name))
        pid = self._running().get(target.name)
        if pid is not None:
            nspawn.stop({self.paths.root(target.name): pid})

    def set_link(self, host: str, *, up: bool) -> None:
        """Takes the machine's link on the lab bridge down (cut off from every other machine and from this
        one) or up again; the machine itself keeps running."""
        target = self._host(host)
        _require_prerequisites()
        network.set_link(names.veth_name(self.cluster, target.address), up=up)

    def start(self, host: str) -> None:
        """Powers one stopped machine on again; returns when it answers SSH."""
        target = self._host(host)
        _require_prerequisites()
        record = load_record(self.paths.record)
        if record is None or target.name not in record.machines:
            raise LabError(f"machine {self.machine_name(host)} was never brought up: run the lab up first")
        if target.name not in self._running():
            self._start_machine(target, record)
        self._wait_for_ssh([target])

    def reset(self, host: str) -> None:
        """Recreates one machine as a rebuilt server: a fresh overlay of the image, so every file the
        machine wrote (etcd's data, certificates, packages' state) is gone; its address, name and SSH
        host key stay. Returns when it answers SSH."""
        target = self._host(host)
        _require_prerequisites()
        record = load_record(self.paths.record)
        if record is None or target.name not in record.machines:
            raise LabError(f"machine {self.machine_name(host)} was never brought up: run the lab up first")
        self.stop(host)
        machine_dir = self.paths.machine_dir(target.name)
        for layer in ("root", "upper", "work"):
            mounts.remove_tree(machine_dir / layer)
        self._start_machine(target, record)
        self._wait_for_ssh([target])

    def down(self) -> None:
        """Removes every trace of the lab from this machine; safe to repeat, and after a crash."""
        # Only root: tearing down must still work when, say, debootstrap has been uninstalled since.
        if os.geteuid() != 0:
            raise LabError(NOT_ROOT)
        record = load_record(self.paths.record)
        nspawn.stop(nspawn.nspawn_processes(self.paths.machines))
        known = {host.name for host in self.machines} | (set(record.machines) if record else set())
        known |= {folder.name for folder in self.paths.machines.glob("*") if folder.is_dir()}
        for host in sorted(known):
            nspawn.remove_runtime_leftovers(names.machine_name(self.cluster, host), self.paths.root(host))
        recorded = [] if record is None else [record.bridge] + [
            name for machine in record.machines.values()
            for name in (machine.netns, machine.veth, machine.front_veth) if name]
        # The hidden network's route is ours only if this lab made it: another lab may hold the /24.
        hidden = record.front_subnet is not None if record else (
            self.bastion is not None and network.link_exists(names.front_bridge_name(self.cluster)))
        network.remove_lab_network(self.cluster, recorded)
        if hidden:
            network.remove_unreachable(self.subnet)
        cgroups.remove_with_prefix(names.netns_prefix(self.cluster))
        mounts.remove_tree(self.paths.state_dir)

    def _record_for_up(self, report: Progress) -> LabRecord:
        record = load_record(self.paths.record)
        if record is not None and record.subnet != self.subnet:
            raise LabError(f"lab {self.cluster} is up on {record.subnet}, not {self.subnet}: "
                           "bring it down before changing its addresses")
        if record is not None and record.front_subnet != self.front_subnet:
            raise LabError(f"lab {self.cluster} is up with {_front(record.front_subnet)}, not "
                           f"{_front(self.front_subnet)}: bring it down before changing its bastion")
        network.check_subnet_free(self.cluster, self.subnet)
        if self.front_subnet is not None:
            network.check_subnet_free(self.cluster, self.front_subnet)
        if record is not None:
            # Machines keep the image their overlays were made on, even if a newer one exists.
            if not record.image.is_dir():
                raise LabError(f"image {record.image} of lab {self.cluster} is gone: "
                               "bring the lab down first")
            return record
        image = ensure_image(self._cache_root, self._image, report)
        return LabRecord(cluster=self.cluster, subnet=self.subnet, bridge=names.bridge_name(self.cluster),
                         bridge_address=self.bridge_address, image=image, front_subnet=self.front_subnet)

    def _start_machine(self, host: LabHost, record: LabRecord) -> None:
        # A machine whose nspawn was killed keeps running orphaned; it must not share the disk with a new one.
        network.kill_processes_in(names.netns_name(self.cluster, host.name))
        legs = self._legs(host)
        netns = network.ensure_machine_network(self.cluster, host.name, legs)
        record.machines[host.name] = MachineRecord(
            address=host.address, machine=names.machine_name(self.cluster, host.name), netns=netns,
            veth=legs[0].veth, front_veth=legs[1].veth if len(legs) > 1 else None)
        save_record(self.paths.record, record)
        root = overlay.ensure_overlay(record.image, self.paths.machine_dir(host.name))
        write_guest_files(root, host, self.machines, self.paths.host_key(host.name),
                          public_key(self.paths.private_key))
        systemd_host = cgroups.host_runs_systemd()
        own_cgroups = [] if systemd_host else cgroups.machine_cgroups(netns)
        cgroups.create(own_cgroups)
        argv = nspawn.nspawn_argv(root, names.machine_name(self.cluster, host.name), host.name, netns,
                                  keep_unit=not systemd_host)
        record.machines[host.name].pid = nspawn.launch(root, argv, self.paths.console_log(host.name), own_cgroups)
        save_record(self.paths.record, record)

    def _legs(self, host: LabHost) -> list[network.Leg]:
        legs = [network.Leg(names.bridge_name(self.cluster), names.veth_name(self.cluster, host.address),
                            names.GUEST_INTERFACE, host.address, self.subnet)]
        if self.bastion is not None and self.front_subnet is not None and host.name == BASTION_HOST:
            legs.append(network.Leg(names.front_bridge_name(self.cluster), names.front_veth_name(self.cluster),
                                    names.FRONT_GUEST_INTERFACE, self.bastion.address, self.front_subnet))
        return legs

    def _wait_for_ssh(self, hosts: Sequence[LabHost]) -> None:
        deadline = time.monotonic() + SSH_TIMEOUT_SECONDS

        def ready(host: LabHost) -> bool:
            root = self.paths.root(host.name)
            direct = self.bastion is None or host.name == BASTION_HOST
            banner_at = (self._ssh_address(host), host.login.port) if direct else None
            return wait_for_ssh(banner_at, self.ssh_command(host.name, ["true"]), deadline,
                                lambda: nspawn.find_machine_process(root) is not None)

        # The bastion first: every other machine is reached through it.
        for group in ([h for h in hosts if h.name == BASTION_HOST], [h for h in hosts if h.name != BASTION_HOST]):
            with ThreadPoolExecutor(max_workers=max(1, len(group))) as pool:
                answered = list(pool.map(ready, group))
            for host, ok in zip(group, answered, strict=True):
                if not ok:
                    raise self._boot_failure(host)

    def _boot_failure(self, host: LabHost) -> LabError:
        machine = names.machine_name(self.cluster, host.name)
        if nspawn.find_machine_process(self.paths.root(host.name)) is None:
            how = "stopped while booting"
        else:
            how = f"did not answer SSH within {SSH_TIMEOUT_SECONDS:.0f}s"
        return LabError(f"machine {machine} {how}: {nspawn.console_tail(self.paths.console_log(host.name))}")

    def _running(self) -> dict[str, int]:
        """PIDs of this lab's live nspawn processes, by host name."""
        return {root.parent.name: pid for root, pid in nspawn.nspawn_processes(self.paths.machines).items()}

    def _state(self, host: str, running: dict[str, int]) -> MachineState:
        if host in running:
            return MachineState.RUNNING
        return MachineState.STOPPED if self.paths.root(host).is_dir() else MachineState.ABSENT

    def _host(self, host: str) -> LabHost:
        for candidate in self.machines:
            if candidate.name == host:
                return candidate
        known = ", ".join(candidate.name for candidate in self.machines)
        raise LabError(f"lab {self.cluster} has no host {host!r} (hosts: {known})")


def _require_prerequisites() -> None:
    problems = lab_prerequisites_problems()
    if problems:
        raise LabPrerequisitesMissing(problems)


def _quiet(message: str) -> None:
    pass


def _front(subnet: ipaddress.IPv4Network | None) -> str:
    return "no bastion" if subnet is None else f"a bastion on {subnet}"
