"""A one-member etcd on 127.0.0.1 with the rendered PKI (TLS and client certificates, as on the hosts),
for tests that talk to a real etcd without a lab. It can be killed and started again on its data."""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from provisioner import etcdctl
from provisioner.render.pki import PkiFolders, PkiMember, ensure_pki


def needs(program: str) -> str:
    found = shutil.which(program) or next(
        (str(p) for p in (Path("/usr/sbin") / program, Path("/usr/bin") / program) if p.exists()), None)
    if found is None:
        pytest.skip(f"{program} is not installed (apt-get install -y etcd-server etcd-client haproxy)")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalEtcd:
    def __init__(self, folder: Path) -> None:
        self.binary = needs("etcd")
        pki = folder / "pki"
        ensure_pki(PkiFolders(pki, pki), cluster_name="probe",
                   etcd_members=[PkiMember("m1", ipaddress.IPv4Address("127.0.0.1"))])
        etcd = pki / "etcd"
        self.member_dir = etcd / "members" / "m1"
        self.ca = str(etcd / "ca.crt")
        self.member_client = etcdctl.ClientCertificate(self.ca, str(etcd / "healthcheck-client.crt"),
                                                       str(etcd / "healthcheck-client.key"))
        self.apiserver_client = etcdctl.ClientCertificate(self.ca, str(etcd / "apiserver-etcd-client.crt"),
                                                          str(etcd / "apiserver-etcd-client.key"))
        self.url = f"https://127.0.0.1:{free_port()}"
        self.peer_url = f"https://127.0.0.1:{free_port()}"
        self.metrics_url = f"http://127.0.0.1:{free_port()}"
        self.data = folder / "data"
        self.process: subprocess.Popen[bytes] | None = None

    def argv(self) -> list[str]:
        member, ca = self.member_dir, self.ca
        return [self.binary, "--name=m1", f"--data-dir={self.data}", f"--listen-client-urls={self.url}",
                f"--advertise-client-urls={self.url}", f"--listen-peer-urls={self.peer_url}",
                f"--initial-advertise-peer-urls={self.peer_url}", f"--initial-cluster=m1={self.peer_url}",
                "--client-cert-auth", f"--trusted-ca-file={ca}", f"--cert-file={member / 'server.crt'}",
                f"--key-file={member / 'server.key'}", "--peer-client-cert-auth",
                f"--peer-trusted-ca-file={ca}", f"--peer-cert-file={member / 'peer.crt'}",
                f"--peer-key-file={member / 'peer.key'}", f"--listen-metrics-urls={self.metrics_url}"]

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self) -> None:
        """SIGKILL, as a crash would end it."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=20)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None

    def wait_healthy(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.metrics_url}/health", timeout=2) as answer:
                    if b'"true"' in answer.read():
                        return
            except OSError:
                pass
            time.sleep(0.2)
        pytest.fail(f"local etcd at {self.url} did not become healthy in {timeout:g} s")

    def apiserver_tls(self) -> ssl.SSLContext:
        """The TLS settings a control-plane host's API server uses towards etcd."""
        context = ssl.create_default_context(cafile=self.ca)
        context.load_cert_chain(self.apiserver_client.cert, self.apiserver_client.key)
        return context
