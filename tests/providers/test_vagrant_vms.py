"""Real Vagrant VMs: the box built here, `provisioner vagrant up`, apply, verify, a drill and `vagrant down`.

The drill (verify, kill -9 of the etcd leader, a control-plane VM powered off with `vagrant halt --force`
and booted again, verify) runs on the same VMs under the workload.

Three VMs (two stacked control-plane hosts and a load balancer carrying the VIP on eth1) run under
vagrant-libvirt with QEMU's software emulation, 1 vCPU each: QEMU also reserves about 1 GiB of
translation cache per VM, so this stays within 2 cores and about 5 GiB. Everything the module
started is removed at its end, also when a test fails: VMs, libvirt networks and pool volumes,
libvirtd and virtlogd (by PID), libvirt's firewall chains. Addresses: 198.18.20.0/24 for the
cluster, 198.18.21.0/24 for Vagrant's management network.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from provisioner.cluster.record import RECORD_FILE
from provisioner.providers.vagrant import read_recorded
from tests.conftest import run_cli
from tests.providers.libvirt_host import libvirt_host, names, virsh

CLUSTER = "vm-stacked"
CLUSTER_SUBNET = ipaddress.ip_network("198.18.20.0/24")
MANAGEMENT_SUBNET = ipaddress.ip_network("198.18.21.0/24")
MANAGEMENT_NETWORK = "vm-management"
PRIVATE_NETWORK = f"provisioner-{CLUSTER}"
VIP = "198.18.20.100"
HOSTS = {"vm-cp1": "198.18.20.11", "vm-cp2": "198.18.20.12", "vm-lb1": "198.18.20.31"}
TOOLS = {"qemu-system-x86_64": "qemu-system-x86", "qemu-img": "qemu-utils", "libvirtd": "libvirt-daemon-system",
         "virtlogd": "libvirt-daemon-system", "virsh": "libvirt-clients", "dnsmasq": "dnsmasq-base",
         "iptables": "iptables", "mmdebstrap": "mmdebstrap", "mkfs.ext4": "e2fsprogs", "vagrant": "vagrant"}
_missing = sorted({package for tool, package in TOOLS.items() if shutil.which(tool) is None})

pytestmark = [
    pytest.mark.vm,
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="VMs need root (libvirtd, mmdebstrap)"),
    pytest.mark.skipif(bool(_missing), reason=f"missing programs: apt-get install -y {' '.join(_missing)}"),
]

CLUSTER_FILE = {
    "name": CLUSTER,
    "layout": "stacked",
    # The cluster address is on the VMs' second NIC: keepalived puts the VIP there.
    "endpoint": {"address": VIP, "load_balancer": "keepalived", "interface": "eth1"},
    # Emulated VMs are slow: etcd's timers get room, as on a loaded real network.
    "etcd": {"install": "package", "heartbeat_interval": 200, "election_timeout": 2000},
    # Kubernetes packages cannot be downloaded here.
    "kubernetes": {"install": "none"},
    "vagrant": {
        "box": "provisioner/debian-trixie",
        "management_network": {"name": MANAGEMENT_NETWORK, "address": str(MANAGEMENT_SUBNET)},
        "control_plane": {"cpus": 1, "memory": 768},
        "load_balancer": {"cpus": 1, "memory": 512},
    },
    "hosts": [
        {"name": "vm-cp1", "address": HOSTS["vm-cp1"], "roles": ["control_plane"]},
        {"name": "vm-cp2", "address": HOSTS["vm-cp2"], "roles": ["control_plane"]},
        {"name": "vm-lb1", "address": HOSTS["vm-lb1"], "roles": ["load_balancer"]},
    ],
}


@dataclass
class VmCluster:
    cluster_file: Path
    out: Path
    ip_forward_before: str
    seconds: dict[str, float] = field(default_factory=dict)

    def ssh(self, host: str, command: str) -> str:
        """Plain ssh to a VM with the settings `vagrant up` recorded, built here rather than by the tool."""
        recorded = read_recorded(self.out)
        assert recorded is not None
        entry = recorded.hosts[host]
        argv = ["ssh", "-F", "none", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new",
                "-o", f"UserKnownHostsFile={entry.known_hosts}", "-o", "ConnectTimeout=30", "-p", str(entry.port),
                *(["-i", entry.private_key] if entry.private_key else []), f"{entry.user}@{entry.address}", command]
        completed = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        assert completed.returncode == 0, f"{host}: {command}: {completed.stderr}"
        return completed.stdout

    def timed(self, stage: str, *arguments: str) -> str:
        """Runs the command, which must succeed, and returns its output."""
        started = time.monotonic()
        result = run_cli(*arguments)
        self.seconds[stage] = time.monotonic() - started
        assert result.exit_code == 0, f"{' '.join(arguments)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout


@pytest.fixture(scope="module")
def vms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VmCluster]:
    folder = tmp_path_factory.mktemp("vms")
    cluster_file = folder / "cluster.yaml"
    cluster_file.write_text(yaml.safe_dump(CLUSTER_FILE, sort_keys=False))
    cluster = VmCluster(cluster_file, folder / "build", Path("/proc/sys/net/ipv4/ip_forward").read_text().strip())
    with pytest.MonkeyPatch.context() as environment, \
            libvirt_host(folder / "libvirt", f"{CLUSTER}-"):
        environment.setenv("VAGRANT_HOME", str(folder / "vagrant.d"))
        environment.setenv("VAGRANT_CHECKPOINT_DISABLE", "1")
        try:
            cluster.timed("box build (cached) + box add", "vagrant", "box", "build")
            cluster.timed("vagrant up", "vagrant", "up", str(cluster_file), "--out", str(cluster.out))
            yield cluster
        finally:
            if (cluster.out / ".vagrant").is_dir():
                subprocess.run(["vagrant", "destroy", "--force"], cwd=cluster.out, capture_output=True, check=False,
                               timeout=600)
            print("\nVM test stages (s): " + ", ".join(f"{k} {v:.0f}" for k, v in cluster.seconds.items()))


def _routes_stay_inside_the_lab(routes: str) -> list[str]:
    """Routes that lead anywhere but the cluster and management subnets (a default route, NAT gateway)."""
    outside: list[str] = []
    for line in routes.splitlines():
        destination = line.split()[0]
        if destination == "default" or not any(
                ipaddress.ip_network(destination, strict=False).subnet_of(subnet)  # type: ignore[arg-type]
                for subnet in (CLUSTER_SUBNET, MANAGEMENT_SUBNET)):
            outside.append(line)
    return outside


def test_vagrant_up_starts_vms_on_isolated_networks_with_the_cluster_address_on_eth1(vms: VmCluster) -> None:
    assert {f"{CLUSTER}-{host}" for host in HOSTS} <= names("list", "--name")
    active = names("net-list", "--name")
    assert "default" not in active
    assert {MANAGEMENT_NETWORK, PRIVATE_NETWORK} <= active
    for network in (MANAGEMENT_NETWORK, PRIVATE_NETWORK):
        assert "<forward" not in virsh("net-dumpxml", network), f"{network} forwards beyond this machine"
    assert Path("/proc/sys/net/ipv4/ip_forward").read_text().strip() == vms.ip_forward_before
    nat = subprocess.run(["iptables", "-t", "nat", "-S"], capture_output=True, text=True, check=True).stdout
    assert "MASQUERADE" not in nat
    for host, address in HOSTS.items():
        assert _routes_stay_inside_the_lab(vms.ssh(host, "ip -4 route show")) == []
        assert f"{address}/24" in vms.ssh(host, "ip -4 -o address show dev eth1")
        assert vms.ssh(host, "hostname").strip() == host
    # Host keys are made by each VM on its first boot, not shared through the box.
    fingerprints = {vms.ssh(host, "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub") for host in HOSTS}
    assert len(fingerprints) == len(HOSTS)
    assert len({vms.ssh(host, "cat /etc/machine-id") for host in HOSTS}) == len(HOSTS)
    ping = run_cli("ping", str(vms.cluster_file), "--out", str(vms.out))
    assert ping.exit_code == 0, ping.stdout + ping.stderr


def test_apply_places_the_vip_on_eth1_and_both_members(vms: VmCluster) -> None:
    vms.timed("apply", "apply", str(vms.cluster_file), "--out", str(vms.out))
    keepalived = (vms.out / "hosts" / "vm-lb1" / "keepalived.conf").read_text()
    assert "interface eth1" in keepalived
    assert f"{VIP}/" in vms.ssh("vm-lb1", "ip -4 -o address show dev eth1")
    members = vms.ssh("vm-cp1", "sudo etcdctl --endpoints=https://127.0.0.1:2379 "
                                "--cacert=/etc/etcd/pki/ca.crt --cert=/etc/etcd/pki/healthcheck-client.crt "
                                "--key=/etc/etcd/pki/healthcheck-client.key member list -w simple")
    assert sorted(line.split(", ")[2] for line in members.splitlines()) == ["vm-cp1", "vm-cp2"]


# Written out here, not taken from the tool: two stacked members tolerate no loss, so killing etcd on
# one of them, or powering off a control-plane host (and its member with it), stops writes until healed.
DRILL = {"etcd-kill-leader": "stop", "cp-power-off-one": "stop"}


def test_verify_passes_then_a_drill_powers_a_vm_off_and_kills_etcd_and_loses_nothing(vms: VmCluster) -> None:
    """The drill runs verify first and refuses a cluster that fails it (exit status 1), so its success says
    verify passed after apply (one verify run on emulated VMs costs minutes: it is not run twice)."""
    boot_before = vms.ssh("vm-cp2", "cat /proc/sys/kernel/random/boot_id")
    report = vms.out.parent / "drill.json"
    scenarios = [argument for name in DRILL for argument in ("--scenario", name)]
    started = time.monotonic()
    result = run_cli("drill", str(vms.cluster_file), "--out", str(vms.out), *scenarios, "--json", str(report))
    vms.seconds["drill"] = time.monotonic() - started
    assert result.exit_code == 0, f"drill failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    assert "Vagrant VMs (libvirt): power off = vagrant halt --force" in result.stdout
    assert "verify after the drill: passed" in result.stdout
    found = json.loads(report.read_text())
    assert [scenario["name"] for scenario in found["scenarios"]] == list(DRILL) and found["passed"]
    measured = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("measured: ")]
    for scenario, printed in zip(found["scenarios"], measured, strict=True):
        observed = scenario["observed"]
        assert observed["writes"] == DRILL[scenario["name"]], scenario
        assert observed["lost"] == 0 and observed["history_ok"], scenario["history"]
        assert observed["acknowledged"] > 20 and observed["writes_resumed"] and observed["recovery"] is not None
        # Nothing got through for at least the hold: the writes really stopped.
        assert observed["longest_gap"] >= scenario["marks"]["heal_start"] - scenario["marks"]["fault_end"]
        assert observed["vip_holders_after"] == ["vm-lb1"]
        # The CLI says the same as its report, in words.
        assert printed.startswith(f"measured: writes {observed['writes']}, longest gap {observed['longest_gap']:.1f} s")
        assert printed.endswith(f"{observed['acknowledged']} writes acknowledged, 0 lost")
        assert (report.parent / f"{CLUSTER}-{scenario['name']}.svg").read_text().lstrip().startswith("<?xml")
    power_off = found["scenarios"][1]
    assert (power_off["targets"], power_off["writer_host"]) == (["vm-cp2"], "vm-cp1")
    marks = power_off["marks"]
    vms.seconds["drill: vagrant up of the halted VM"] = marks["heal_end"] - marks["heal_start"]
    # vm-cp2 was really off (it booted again) and is back: running, reachable where the record says, its
    # member started at boot.
    assert vms.ssh("vm-cp2", "cat /proc/sys/kernel/random/boot_id") != boot_before
    assert virsh("domstate", f"{CLUSTER}-vm-cp2").strip() == "running"
    assert vms.ssh("vm-cp2", "systemctl is-active etcd").strip() == "active"


def test_vagrant_down_removes_the_vms_and_the_networks_vagrant_made(vms: VmCluster) -> None:
    recorded = (vms.out / RECORD_FILE).read_text()
    said = vms.timed("vagrant down", "vagrant", "down", str(vms.cluster_file), "--out", str(vms.out))
    assert not [domain for domain in names("list", "--all", "--name") if domain.startswith(f"{CLUSTER}-")]
    assert not {MANAGEMENT_NETWORK, PRIVATE_NETWORK} & names("net-list", "--all", "--name")
    assert not (vms.out / "vagrant-ssh.yml").exists()
    # The cluster went with its VMs: the record is kept aside, so the next apply bootstraps a new one.
    [aside] = vms.out.glob("record-of-removed-machines-*.yml")
    assert not (vms.out / RECORD_FILE).exists() and aside.read_text() == recorded and aside.name in said
