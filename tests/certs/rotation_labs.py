"""What the CA rotation lab tests do on the hosts: place a client certificate the old CA signs, count the
certificates of a trust file, ask a member for its health with a given client certificate."""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from datetime import UTC, datetime

from cryptography.hazmat.primitives.serialization import Encoding

from provisioner.render.pki import store
from provisioner.render.pki.issue import LeafProfile, issue_leaf
from provisioner.render.secrets import pki_folders
from tests.apply.labs import LabCluster

ETCDCTL = "ETCDCTL_API=3 etcdctl --dial-timeout=3s --command-timeout=5s"
OLD_CLIENT = ("/root/old-client.crt", "/root/old-client.key")


def place_old_client(cluster: LabCluster, hosts: Iterable[str]) -> None:
    """A client certificate the tree's etcd CA (the one about to be replaced) signs, on every host as
    /root/old-client.{crt,key}."""
    ca = store.read_pair(*pki_folders(cluster.out).pair("etcd/ca"), required=True)
    assert ca is not None
    pair = issue_leaf(LeafProfile("old-client", "old-ca-client"), ca, "ecdsa-p256", datetime.now(UTC))
    certificate = pair.certificate.public_bytes(Encoding.PEM).decode()
    key = store.key_pem(pair.key).decode()
    for host in hosts:
        cluster.ssh(host, f"umask 077; printf %s {shlex.quote(certificate)} > {OLD_CLIENT[0]}; "
                          f"printf %s {shlex.quote(key)} > {OLD_CLIENT[1]}")


def certificates_in(cluster: LabCluster, host: str, path: str) -> int:
    return int(cluster.ssh(host, f"grep -c 'BEGIN CERTIFICATE' {path}").stdout.strip())


def health_with(cluster: LabCluster, host: str, address: str, cert: str, key: str) -> bool:
    """Whether the member at `address` answers a health request from `host` made with this client pair."""
    command = (f"{ETCDCTL} --cacert /etc/etcd/pki/ca.crt --cert {cert} --key {key} "
               f"--endpoints https://{address}:2379 endpoint health")
    return cluster.ssh(host, command, check=False).returncode == 0
