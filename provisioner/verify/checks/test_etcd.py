"""Each etcd member: running, listening where it should and only over TLS, a member of the right
cluster, healthy, and its data and certificates in order."""

from __future__ import annotations

from collections.abc import Callable

from provisioner import etcdctl, hostpaths
from provisioner.cluster.etcd_release import Difference, difference
from provisioner.cluster.ports import ETCD_CLIENT_PORT, ETCD_PEER_PORT
from provisioner.cluster.topology import Topology
from provisioner.verify import facts
from provisioner.verify.expect import CannotCheck, expect, listing
from provisioner.verify.fleet import Target
from provisioner.verify.live import LiveFacts
from provisioner.verify.probes import http, network
from provisioner.verify.probes.certificates import now

ROLE = "etcd"
MIN_DAYS_LEFT = 30
_LOOPBACK = "127.0.0.1"


def _journal(target: Target) -> str:
    return f"journalctl -u etcd -n 50 on {target.name}; etcd config {hostpaths.ETCD_CONFIG}"


def test_service_active_and_enabled(etcd_host: Target) -> None:
    """etcd runs now and starts again at boot."""
    state = facts.unit_states(etcd_host, ["etcd"])["etcd"]
    expect(state.running and state.enabled == "enabled", expected="active, enabled", found=state.describe(),
           hint=_journal(etcd_host))


def test_runs_the_etcd_release_of_the_file(etcd_host: Target, topology: Topology,
                                           record_property: Callable[[str, object], None]) -> None:
    """The member runs the minor release etcd.version names (a patch release apart is reported, not failed)."""
    stdout, error = facts.etcdctl_json(etcd_host, [facts.etcd_url(etcd_host.address, topology)],
                                       facts.MEMBER_CLIENT, "endpoint", "status")
    running = next((status.version for status in etcdctl.statuses(stdout) if status.version), None)
    if running is None:
        raise CannotCheck(f"the member gave no status: {error or 'empty answer'}", _journal(etcd_host))
    record_property("found", f"etcd {running}")
    wanted = topology.cluster.etcd.version
    expect(difference(running, wanted) in (Difference.NONE, Difference.PATCH), expected=f"etcd {wanted}",
           found=f"etcd {running}", hint=f"etcd.version and etcd.install in the cluster file; `etcd --version` on "
                                         f"{etcd_host.name}")


def test_client_port_listens_on_host_and_loopback(etcd_host: Target) -> None:
    """Clients reach etcd on the host address and on 127.0.0.1, port 2379."""
    sockets = facts.listening_sockets(etcd_host)
    missing = [f"{address}:{ETCD_CLIENT_PORT}" for address in (etcd_host.address, _LOOPBACK)
               if not network.listens_on(sockets, address, ETCD_CLIENT_PORT)]
    expect(not missing, expected=f"listening on {etcd_host.address}:{ETCD_CLIENT_PORT} and "
           f"{_LOOPBACK}:{ETCD_CLIENT_PORT}", found=f"not on {listing(missing)} (listening: "
           f"{listing(network.tcp_ports(sockets, ETCD_CLIENT_PORT))})", hint=_journal(etcd_host))


def test_peer_port_listens_on_host_address(etcd_host: Target) -> None:
    """Peers reach this member on the host address, port 2380."""
    sockets = facts.listening_sockets(etcd_host)
    expect(network.listens_on(sockets, etcd_host.address, ETCD_PEER_PORT),
           expected=f"listening on {etcd_host.address}:{ETCD_PEER_PORT}",
           found=f"listening on {listing(network.tcp_ports(sockets, ETCD_PEER_PORT))}", hint=_journal(etcd_host))


def _client_urls(target: Target, scheme: str) -> list[str]:
    return [f"{scheme}://{address}:{ETCD_CLIENT_PORT}/health" for address in (target.address, _LOOPBACK)]


def _answers_beside_a_served_client(target: Target, probes: list[http.Request]) -> list[http.Answer]:
    """The probes' answers, once the same addresses have answered a client with the member's certificate:
    a port that refuses everybody (etcd down, wrong address) proves nothing about refusing some."""
    client = facts.MEMBER_CLIENT
    controls = [http.Request(url, ca=client.ca, cert=client.cert, key=client.key)
                for url in _client_urls(target, "https")]
    answers = facts.http_get(target, [*probes, *controls])
    silent = [answer for answer in answers[len(probes):] if answer.status is None]
    if silent:
        raise CannotCheck(f"{silent[0].url} does not answer a client with the member's certificate either "
                          f"({silent[0].describe()}), so a refusal there proves nothing", _journal(target))
    return answers[:len(probes)]


def test_client_port_refuses_plain_http(etcd_host: Target) -> None:
    """Nothing is served without TLS on the client port."""
    probes = [http.Request(url) for url in _client_urls(etcd_host, "http")]
    served = [a for a in _answers_beside_a_served_client(etcd_host, probes) if a.ok]
    expect(not served, expected="plain HTTP refused", found="; ".join(f"{a.url} answered {a.describe()}"
           for a in served), hint=f"client-transport-security in {hostpaths.ETCD_CONFIG}")


def test_client_port_refuses_tls_without_client_certificate(etcd_host: Target) -> None:
    """A client without a certificate signed by the etcd CA gets nothing (client-cert-auth is on)."""
    probes = [http.Request(url, ca=hostpaths.ETCD_CA) for url in _client_urls(etcd_host, "https")]
    accepted = [a for a in _answers_beside_a_served_client(etcd_host, probes) if not http.tls_rejected(a)]
    expect(not accepted, expected="TLS handshake refused without a client certificate",
           found="; ".join(f"{a.url} gave {a.describe()}" for a in accepted),
           hint=f"client-cert-auth in {hostpaths.ETCD_CONFIG}")


def test_member_list_matches_cluster_file(etcd_host: Target, live: LiveFacts, topology: Topology) -> None:
    """This member sees exactly the voting members of the cluster file, with their peer URLs: no extra
    member, no learner left behind (from the member list the facts read on this host)."""
    host = live.facts.host(etcd_host.name)
    listed = host.members if host is not None else None
    found = {f"{m.name or '(unstarted)'}={','.join(m.peer_urls)}{' (learner)' if m.is_learner else ''}"
             for m in listed or ()}
    expected = {f"{m.name}={m.peer_url}" for m in topology.etcd_members}
    expect(listed is not None and found == expected, expected=listing(expected),
           found=_difference(expected, found) if listed is not None else live.why_silent(etcd_host.name),
           hint=f"etcdctl member list on {etcd_host.name}; `provisioner plan` says how apply would remove a stray "
                f"member or promote a learner")


def test_endpoint_healthy(etcd_host: Target, topology: Topology) -> None:
    """The member serves a quorum read on its client URL (etcdctl endpoint health)."""
    url = facts.etcd_url(etcd_host.address, topology)
    stdout, error = facts.etcdctl_json(etcd_host, [url], facts.MEMBER_CLIENT, "endpoint", "health")
    healthy, reason = etcdctl.health(stdout).get(url, (False, error or "no answer"))
    expect(healthy, expected=f"{url} healthy", found=f"unhealthy: {reason or error}", hint=_journal(etcd_host))


def test_data_dir_owned_by_etcd_and_private(etcd_host: Target, topology: Topology) -> None:
    """The data directory belongs to etcd and others cannot read it."""
    data_dir = topology.cluster.etcd.data_dir
    stat = facts.file_stats(etcd_host, [data_dir]).get(data_dir)
    expect(stat is not None and stat.owner == "etcd" and stat.mode & 0o007 == 0,
           expected=f"{data_dir} owned by etcd, no access for others",
           found=stat.describe() if stat else f"{data_dir} missing",
           hint=f"chown -R etcd:etcd {data_dir}; chmod 700 {data_dir}")


def test_certificates_name_the_host_address(etcd_host: Target) -> None:
    """The server and peer certificates carry this host's address as an IP SAN (etcd checks peers' IPs)."""
    problems = []
    for path in (hostpaths.ETCD_SERVER_CERT, hostpaths.ETCD_PEER_CERT):
        certificate = facts.certificate(etcd_host, path)
        if certificate is None:
            problems.append(f"{path} missing")
        elif not certificate.names(etcd_host.address):
            problems.append(f"{path} names {listing(certificate.ip_addresses)}")
    expect(not problems, expected=f"{etcd_host.address} among the IP SANs", found="; ".join(problems),
           hint="re-render the PKI and apply")


def test_certificates_valid_for_30_days(etcd_host: Target) -> None:
    """The CA, server, peer and health-check certificates stay valid for more than 30 days."""
    moment, problems = now(), []
    for path in (hostpaths.ETCD_CA, hostpaths.ETCD_SERVER_CERT, hostpaths.ETCD_PEER_CERT,
                 hostpaths.ETCD_HEALTHCHECK_CERT):
        certificate = facts.certificate(etcd_host, path)
        if certificate is None:
            problems.append(f"{path} missing")
        elif certificate.days_left(moment) <= MIN_DAYS_LEFT:
            problems.append(f"{path} expires {certificate.not_after:%Y-%m-%d} "
                            f"({certificate.days_left(moment):.0f} days)")
    expect(not problems, expected=f"more than {MIN_DAYS_LEFT} days left on each", found="; ".join(problems),
           hint="renew the certificates (re-render the PKI) and apply")


def _difference(expected: set[str], found: set[str]) -> str:
    parts = []
    if found - expected:
        parts.append(f"unexpected {listing(found - expected)}")
    if expected - found:
        parts.append(f"missing {listing(expected - found)}")
    return "; ".join(parts) or listing(found)
