"""What the checks ask hosts, one helper per question, each turning odd answers into CannotCheck."""

from __future__ import annotations

from collections.abc import Sequence

from provisioner import etcdctl, hostpaths
from provisioner.cluster.ports import ETCD_CLIENT_PORT
from provisioner.cluster.topology import Topology
from provisioner.verify.expect import CannotCheck
from provisioner.verify.fleet import Fleet, Target
from provisioner.verify.probes import files, http, services
from provisioner.verify.probes.certificates import CertificateFacts, read_certificate

MEMBER_CLIENT = etcdctl.MEMBER_CLIENT
# The certificate the API server uses; the control-plane checks use exactly this one.
APISERVER_CLIENT = etcdctl.ClientCertificate(hostpaths.KUBE_ETCD_CA, hostpaths.APISERVER_ETCD_CLIENT_CERT,
                                             hostpaths.APISERVER_ETCD_CLIENT_KEY)


def unit_states(target: Target, units: Sequence[str]) -> dict[str, services.UnitState]:
    result = target.run(services.states_command(units))
    states = services.states(result.stdout)
    if set(states) != set(units):
        raise CannotCheck(f"systemctl gave no state for {', '.join(sorted(set(units) - set(states)))}: "
                          f"{result.stderr.strip()[:200]}", "is this host running systemd?")
    return states


def listening_sockets(target: Target) -> list[str]:
    sockets: list[str] = target.host.socket.get_listening_sockets()
    return sockets


def file_stats(target: Target, paths: Sequence[str]) -> dict[str, files.FileFacts]:
    return files.stats(target.run(files.stat_command(paths)).stdout)


def certificate(target: Target, path: str) -> CertificateFacts | None:
    """The certificate at `path`, or None when the file is missing."""
    result = target.run("cat %s", path)
    if result.rc != 0:
        return None
    try:
        return read_certificate(result.stdout)
    except ValueError as error:
        raise CannotCheck(f"{path} is not a PEM certificate: {error}", f"compare {path} with the rendered PKI") \
            from None


def http_get(target: Target, requests: list[http.Request]) -> list[http.Answer]:
    result = target.run(http.get_command(requests))
    if result.rc != 0:
        raise CannotCheck(f"python3 on the host failed: {result.stderr.strip()[-200:]}",
                          "the host needs python3 (Ansible needs it too)")
    return http.answers(result.stdout)


def etcd_url(address: str, topology: Topology) -> str:
    member = next((m for m in topology.etcd_members if m.address == address), None)
    return member.client_url if member else f"https://{address}:{ETCD_CLIENT_PORT}"


def etcdctl_json(target: Target, endpoints: Sequence[str], client: etcdctl.ClientCertificate,
                 *words: str) -> tuple[str, str]:
    """etcdctl's stdout (JSON, possibly partial) and the error it printed, if any."""
    result = target.run(etcdctl.etcdctl(endpoints, client, *words))
    if result.rc == 127:
        raise CannotCheck("etcdctl is not installed on this host", "etcd hosts get etcdctl with etcd")
    error = etcdctl.first_error(result.stderr) if result.rc != 0 else ""
    return result.stdout, error


def etcd_vantage(fleet: Fleet, topology: Topology) -> Target:
    """The etcd member to ask about the whole cluster: the first one whose etcd is running."""
    reachable = [fleet[host.name] for host in topology.etcd_hosts if fleet[host.name].unreachable is None]
    for target in reachable:
        if unit_states(target, ["etcd"])["etcd"].running:
            return target
    if not reachable:
        raise CannotCheck("no etcd member answers SSH", "check the etcd hosts are up")
    raise CannotCheck("etcd runs on no member", "journalctl -u etcd on the etcd hosts")
