"""Readers of what hosts answer (etcdctl, haproxy, ip, ss, stat, systemctl, kubeadm config, kubectl) and the
command lines that ask them."""

from __future__ import annotations

import datetime
import ipaddress
import json
import shlex

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from provisioner.verify.probes import files, haproxy, http, kubeadm, kubernetes, network, services
from provisioner.verify.probes.certificates import read_certificate

SERVERS_STATE = """1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight \
srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state \
bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr \
srv_agent_addr srv_agent_port
3 kube-apiserver 1 cp1 198.18.2.11 0 0 1 1 193 8 2 0 6 0 0 0 - 6443 - 0 0 - - 0
3 kube-apiserver 3 cp3 198.18.2.13 0 0 1 1 191 8 2 0 6 0 0 0 - 6443 - 0 0 - - 0
4 other 1 x 10.9.9.9 0 0 1 1 191 8 2 0 6 0 0 0 - 80 - 0 0 - - 0
"""


def test_haproxy_servers_state_reader_keeps_the_api_backend_only() -> None:
    assert haproxy.servers(SERVERS_STATE) == [haproxy.Server("cp1", "198.18.2.11", 6443),
                                              haproxy.Server("cp3", "198.18.2.13", 6443)]
    assert "show servers state kube-apiserver" in shlex.split(haproxy.servers_state_command())


def test_network_readers() -> None:
    ip_addr = ("1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n"
               "2: host0    inet 198.18.2.31/24 scope global host0\\\n"
               "2: host0    inet 198.18.2.100/32 scope global proto keepalived host0\\\n"
               "2: host0    inet6 fe80::1/64 scope link\\\n")
    assert network.addresses(ip_addr) == {"127.0.0.1", "198.18.2.31", "198.18.2.100", "fe80::1"}
    sockets = ["tcp://127.0.0.1:2379", "tcp://10.0.0.1:2379", "tcp://0.0.0.0:6443", "unix:///run/x"]
    assert network.listens_on(sockets, "10.0.0.1", 2379)
    assert not network.listens_on(sockets, "10.0.0.2", 2379)
    assert network.listens_on(sockets, "10.0.0.100", 6443)  # the wildcard serves the VIP too
    # A wildcard serves its own family only; `*` is an IPv6 socket taking IPv4 too (haproxy's v4v6).
    assert not network.listens_on(sockets, "fd00::100", 6443)
    assert network.listens_on(["tcp://:::6443"], "fd00::100", 6443)
    assert not network.listens_on(["tcp://:::6443"], "10.0.0.100", 6443)
    assert network.listens_on(["tcp://*:6443"], "fd00::100", 6443)
    assert network.listens_on(["tcp://*:6443"], "10.0.0.100", 6443)
    assert network.listens_on(["tcp://fd00::100:6443"], "fd00::100", 6443)
    assert network.tcp_ports(sockets, 2379) == ["10.0.0.1:2379", "127.0.0.1:2379"]


def test_unit_states_reader_and_command() -> None:
    assert services.states("etcd active enabled\nhaproxy inactive not-found\n") == {
        "etcd": services.UnitState("active", "enabled"), "haproxy": services.UnitState("inactive", "not-found")}
    assert services.UnitState("active", "enabled").running
    assert "for unit in etcd keepalived;" in services.states_command(["etcd", "keepalived"])


def test_file_stats_reader() -> None:
    text = "/etc/a|root|root|600\n/var/lib/etcd|etcd|etcd|700\n"
    stats = files.stats(text)
    assert stats["/var/lib/etcd"] == files.FileFacts("/var/lib/etcd", "etcd", "etcd", 0o700)
    assert stats["/etc/a"].describe() == "/etc/a root:root 0600"


KUBEADM = """---
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
etcd:
  external:
    endpoints: [https://10.0.0.1:2379, https://10.0.0.2:2379]
    caFile: /etc/kubernetes/pki/etcd/ca.crt
    certFile: /etc/kubernetes/pki/apiserver-etcd-client.crt
    keyFile: /etc/kubernetes/pki/apiserver-etcd-client.key
"""


def test_kubeadm_external_etcd_reader() -> None:
    assert kubeadm.external_etcd(KUBEADM) == kubeadm.ExternalEtcd(
        ("https://10.0.0.1:2379", "https://10.0.0.2:2379"), "/etc/kubernetes/pki/etcd/ca.crt",
        "/etc/kubernetes/pki/apiserver-etcd-client.crt", "/etc/kubernetes/pki/apiserver-etcd-client.key")
    assert kubeadm.external_etcd("kind: ClusterConfiguration\netcd: {local: {}}\n") is None


def test_kubernetes_commands_go_through_the_admin_kubeconfig() -> None:
    assert shlex.split(kubernetes.readyz_command("https://10.0.0.100:6443")) == [
        "kubectl", "--kubeconfig=/etc/kubernetes/admin.conf", "--request-timeout=5s",
        "--server=https://10.0.0.100:6443", "get", "--raw=/readyz"]
    assert shlex.split(kubernetes.readyz_command("https://10.0.0.1:6443", "etcd"))[-1] == "--raw=/readyz/etcd"
    assert shlex.split(kubernetes.nodes_command())[-3:] == ["get", "nodes", "--output=json"]


def test_node_readiness_reader() -> None:
    nodes = {"items": [
        {"metadata": {"name": "cp1"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}},
        {"metadata": {"name": "cp2"}, "status": {"conditions": [
            {"type": "Ready", "status": "False", "reason": "KubeletNotReady"}]}},
    ]}
    readiness = kubernetes.node_readiness(json.dumps(nodes))
    assert readiness["cp1"].ready and not readiness["cp2"].ready
    assert readiness["cp2"].reason == "KubeletNotReady"


def test_http_answers_and_etcd_health() -> None:
    answers = http.answers(json.dumps([
        {"url": "https://a/health", "status": 200, "body": '{"health":"true","reason":""}', "error": ""},
        {"url": "https://b/health", "status": 503, "body": '{"health":"false"}', "error": ""},
        {"url": "http://c/health", "status": None, "body": "", "error": "ConnectionRefusedError: refused"}]))
    assert [http.etcd_healthy(a) for a in answers] == [True, False, False]
    assert answers[2].describe() == "ConnectionRefusedError: refused"
    command = http.get_command([http.Request("https://a/health", ca="/ca.crt")])
    words = shlex.split(command)
    assert words[:2] == ["python3", "-c"] and json.loads(words[3]) == [{"url": "https://a/health", "ca": "/ca.crt"}]


def test_certificate_reader_gives_ip_sans_and_expiry() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "etcd1")])
    not_after = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(1).not_valid_before(datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
                   .not_valid_after(not_after)
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("etcd1"),
                                                               x509.IPAddress(ipaddress.ip_address("10.0.0.1"))]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    facts = read_certificate(certificate.public_bytes(serialization.Encoding.PEM).decode())
    assert facts.names("10.0.0.1") and not facts.names("10.0.0.2")
    assert facts.dns_names == {"etcd1"} and facts.not_after == not_after
    assert round(facts.days_left(datetime.datetime(2029, 12, 2, tzinfo=datetime.UTC))) == 30
