"""Each control-plane host holds the etcd client material the API server needs and, with exactly that
certificate, reaches every etcd member: this is what proves the layout's wiring."""

from __future__ import annotations

from provisioner import hostpaths
from provisioner.cluster.topology import Topology
from provisioner.verify import facts
from provisioner.verify.expect import expect, listing
from provisioner.verify.fleet import Target
from provisioner.verify.probes import http, kubeadm
from provisioner.verify.probes.certificates import now

ROLE = "control_plane"
MIN_DAYS_LEFT = 30
_CLIENT_FILES = (hostpaths.KUBE_ETCD_CA, hostpaths.APISERVER_ETCD_CLIENT_CERT, hostpaths.APISERVER_ETCD_CLIENT_KEY)
_REPAIR = "run apply again; it copies the files from the rendered pki/etcd/"


def test_etcd_client_files_in_place(control_plane_host: Target) -> None:
    """The etcd CA and the apiserver-etcd-client certificate and key are there; the key is 0600."""
    stats = facts.file_stats(control_plane_host, _CLIENT_FILES)
    problems = [f"{path} missing" for path in _CLIENT_FILES if path not in stats]
    key = stats.get(hostpaths.APISERVER_ETCD_CLIENT_KEY)
    if key is not None and key.mode != 0o600:
        problems.append(f"{key.path} mode {key.mode:04o}")
    expect(not problems, expected=f"{listing(_CLIENT_FILES)} present, key mode 0600", found="; ".join(problems),
           hint=_REPAIR)


def test_etcd_client_certificate_valid_for_30_days(control_plane_host: Target) -> None:
    """The etcd CA and the API server's etcd client certificate stay valid for more than 30 days."""
    moment, problems = now(), []
    for path in (hostpaths.KUBE_ETCD_CA, hostpaths.APISERVER_ETCD_CLIENT_CERT):
        certificate = facts.certificate(control_plane_host, path)
        if certificate is None:
            problems.append(f"{path} missing")
        elif certificate.days_left(moment) <= MIN_DAYS_LEFT:
            problems.append(f"{path} expires {certificate.not_after:%Y-%m-%d}")
    expect(not problems, expected=f"more than {MIN_DAYS_LEFT} days left on each", found="; ".join(problems),
           hint="renew the certificates (re-render the PKI) and apply")


def test_reaches_every_etcd_member_with_its_client_certificate(control_plane_host: Target,
                                                               topology: Topology) -> None:
    """From this host, with the API server's own certificate, every etcd member answers healthy."""
    requests = [http.Request(f"{url}/health", ca=hostpaths.KUBE_ETCD_CA, cert=hostpaths.APISERVER_ETCD_CLIENT_CERT,
                             key=hostpaths.APISERVER_ETCD_CLIENT_KEY) for url in topology.etcd_endpoints]
    answers = facts.http_get(control_plane_host, requests)
    names = {f"{m.client_url}/health": m.name for m in topology.etcd_members}
    failing = [f"{names.get(a.url, a.url)}: {a.describe()}" for a in answers if not http.etcd_healthy(a)]
    expect(not failing, expected=f"healthy answers from {listing(m.name for m in topology.etcd_members)}",
           found="; ".join(failing),
           hint="a member that is down fails here too; otherwise the client files on this host or a firewall "
                "between it and etcd port 2379")


def test_kubeadm_config_names_every_etcd_member(control_plane_host: Target, topology: Topology) -> None:
    """kubeadm is told to use exactly the etcd members of the cluster file, with this host's client files."""
    result = control_plane_host.run("cat %s", hostpaths.KUBEADM_CONFIG)
    expect(result.rc == 0, expected=f"{hostpaths.KUBEADM_CONFIG} present", found="missing", hint=_REPAIR)
    external = kubeadm.external_etcd(result.stdout)
    wanted = kubeadm.ExternalEtcd(tuple(topology.etcd_endpoints), *_CLIENT_FILES)
    found = "no etcd.external section" if external is None else (
        f"endpoints {listing(external.endpoints)}; files {external.ca_file}, {external.cert_file}, "
        f"{external.key_file}")
    expect(external is not None and set(external.endpoints) == set(wanted.endpoints)
           and (external.ca_file, external.cert_file, external.key_file) == _CLIENT_FILES,
           expected=f"endpoints {listing(wanted.endpoints)}; files {', '.join(_CLIENT_FILES)}", found=found,
           hint=f"{hostpaths.KUBEADM_CONFIG} differs from the rendered one: render, then apply")
