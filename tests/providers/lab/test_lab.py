"""A real three-machine lab: strict SSH, identity, quiet role services, no way out, VRRP, power drills,
and a `down` that leaves nothing behind. Needs root and the lab tools; skipped (with the reason) without."""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from provisioner.providers.lab import Lab, LabError, LabHost, MachineState, cgroups, lab_prerequisites_problems, names

PROBLEMS = lab_prerequisites_problems()
pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(bool(PROBLEMS), reason="lab cannot run here: " + "; ".join(PROBLEMS)),
]

CLUSTER = "pytest"
SUBNET = "198.19.250"
HOSTS = [LabHost(name, ipaddress.IPv4Address(f"{SUBNET}.{octet}")) for name, octet in
         [("cp1", 11), ("cp2", 12), ("lb1", 31)]]
VIP = ipaddress.IPv4Address(f"{SUBNET}.100")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    lab = Lab(CLUSTER, HOSTS, state_root=tmp_path_factory.mktemp("labs"))
    try:
        lab.up(progress=print)
        yield lab
    finally:
        lab.down()


def ssh(lab: Lab, host: str, command: str) -> str:
    result = subprocess.run(lab.ssh_command(host, [command]), capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, f"{host}: `{command}` failed: {result.stderr.strip()}"
    return result.stdout.strip()


@pytest.mark.parametrize("host", HOSTS, ids=lambda host: host.name)
def test_machine_answers_strict_ssh_as_itself(lab: Lab, host: LabHost) -> None:
    assert ssh(lab, host.name, "hostname") == host.name
    assert f"inet {host.address}/24" in ssh(lab, host.name, "ip -4 -o address show dev host0")
    assert ssh(lab, host.name, "systemctl is-system-running --wait") == "running"


def test_connection_alone_is_enough_for_strict_ssh(lab: Lab) -> None:
    # What ansible and testinfra get: the lab's key and known_hosts (root on port 22 by default), nothing
    # from ssh_command.
    connection = lab.connection
    argv = ["ssh", "-F", "none", "-p", "22", "-i", str(connection.private_key),
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", f"UserKnownHostsFile={connection.known_hosts}", f"root@{HOSTS[2].address}", "hostname"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert (result.returncode, result.stdout.strip()) == (0, HOSTS[2].name), result.stderr


def test_ssh_refuses_a_host_key_not_in_known_hosts(lab: Lab, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    argv = [word.replace(str(lab.connection.known_hosts), str(empty)) for word in lab.ssh_command("cp1", ["true"])]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode != 0


def test_machines_have_distinct_identities(lab: Lab) -> None:
    machine_ids = {ssh(lab, host.name, "cat /etc/machine-id") for host in HOSTS}
    host_keys = {ssh(lab, host.name, "cat /etc/ssh/ssh_host_ed25519_key.pub").split()[1] for host in HOSTS}
    assert len(machine_ids) == len(host_keys) == len(HOSTS)


def test_role_services_are_installed_but_not_running(lab: Lab) -> None:
    for unit in ("etcd", "haproxy", "keepalived"):
        assert ssh(lab, "cp1", f"systemctl show -P LoadState {unit}") == "loaded"
        assert ssh(lab, "cp1", f"systemctl is-enabled {unit} || true") == "disabled"
        assert ssh(lab, "cp1", f"systemctl is-active {unit} || true") == "inactive"


def test_machines_have_no_way_out(lab: Lab) -> None:
    assert ssh(lab, "cp2", "ip route show default") == ""
    assert ssh(lab, "cp2", "ip -4 route") == f"{SUBNET}.0/24 dev host0 proto kernel scope link src {SUBNET}.12"


def test_machines_reach_each_other_and_this_machine(lab: Lab) -> None:
    assert ssh(lab, "cp1", f"exec 3<>/dev/tcp/{SUBNET}.31/22 && head -c 4 <&3") == "SSH-"
    # Later steps serve files to the machines from the bridge address.
    with socket.create_server((str(lab.bridge_address), 0)) as server:
        server.settimeout(10)
        port = server.getsockname()[1]
        ssh(lab, "lb1", f"echo hello-from-lb1 > /dev/tcp/{lab.bridge_address}/{port}")
        connection, _ = server.accept()
        with connection:
            assert connection.recv(64).strip() == b"hello-from-lb1"


def test_a_second_lab_on_the_same_subnet_is_refused(lab: Lab, tmp_path: Path) -> None:
    other = Lab("pytest-other", [LabHost("x", ipaddress.IPv4Address(f"{SUBNET}.50"))], state_root=tmp_path)
    with pytest.raises(LabError, match=f"lab '{CLUSTER}' already uses"):
        other.up()
    assert not (tmp_path / "pytest-other").exists()


def test_keepalived_elects_one_master_and_fails_over(lab: Lab) -> None:
    for host, priority in (("cp1", 150), ("cp2", 100)):
        ssh(lab, host, f"printf '%s\\n' 'vrrp_instance lab {{' 'state BACKUP' 'interface host0' "
                       f"'virtual_router_id 51' 'priority {priority}' 'advert_int 1' "
                       f"'virtual_ipaddress {{' '{VIP}/24' '}}' '}}' > /etc/keepalived/keepalived.conf "
                       "&& systemctl start keepalived")
    # If VRRP multicast did not cross the bridge, both would claim the VIP.
    assert wait_for(lambda: vip_holders(lab) == ["cp1"]), f"VIP held by {vip_holders(lab)}"
    assert banner(VIP)

    lab.stop("cp1")
    assert {status.host: status.state for status in lab.status()}["cp1"] == MachineState.STOPPED
    assert wait_for(lambda: vip_holders(lab, ["cp2"]) == ["cp2"])

    lab.start("cp1")
    assert ssh(lab, "cp1", "systemctl is-system-running --wait") == "running"
    assert ssh(lab, "cp1", "systemctl is-active keepalived || true") == "inactive"
    assert [status.state for status in lab.status()] == [MachineState.RUNNING] * len(HOSTS)


def test_two_labs_run_side_by_side(lab: Lab, tmp_path: Path) -> None:
    other = Lab("pytest-side", [LabHost("solo", ipaddress.IPv4Address("198.19.251.11"))], state_root=tmp_path)
    try:
        other.up()
        assert ssh(other, "solo", "hostname") == "solo"
        assert ssh(lab, "cp1", "hostname") == "cp1"
    finally:
        other.down()
    assert leftovers("pytest-side", tmp_path / "pytest-side") == []


def test_down_leaves_nothing_behind(lab: Lab) -> None:
    lab.down()
    assert leftovers(CLUSTER, lab.paths.state_dir) == []
    assert [status.state for status in lab.status()] == [MachineState.ABSENT] * len(HOSTS)
    lab.down()  # idempotent


def vip_holders(lab: Lab, hosts: list[str] | None = None) -> list[str]:
    return [host for host in hosts or [h.name for h in HOSTS]
            if f"{VIP}/24" in ssh(lab, host, "ip -4 -o address show dev host0")]


def banner(address: ipaddress.IPv4Address) -> bool:
    with socket.create_connection((str(address), 22), timeout=5) as connection:
        return connection.recv(4) == b"SSH-"


def wait_for(condition: Callable[[], bool], timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def leftovers(cluster: str, state_dir: Path) -> list[str]:
    found = []
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = entry.read_bytes().split(b"\0")
        except OSError:
            continue
        if any(word.endswith(b"systemd-nspawn") for word in words) and str(state_dir).encode() in b" ".join(words):
            found.append(f"process {entry.parent.name}")
    found += [f"mount {line.split()[1]}" for line in Path("/proc/mounts").read_text().splitlines()
              if line.split()[1].startswith(str(state_dir))]
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    found += [f"netns {line.split()[0]}" for line in netns.splitlines()
              if line.startswith(names.netns_prefix(cluster))]
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True).stdout
    for line in links.splitlines():
        link = line.split(":")[1].strip().split("@")[0]
        if link.startswith((names.veth_prefix(cluster), names.bridge_name(cluster))):  # front bridge too
            found.append(f"link {link}")
    found += [f"cgroup {cgroup}" for cgroup in cgroups.leftovers(names.netns_prefix(cluster))]
    if state_dir.exists():
        found.append(f"folder {state_dir}")
    return found
