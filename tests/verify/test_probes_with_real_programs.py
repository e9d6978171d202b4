"""The probes against a real local etcd (with the rendered PKI) and a real haproxy: the answers the
readers expect are the answers these programs give."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioner import etcdctl
from provisioner.cluster.etcd_release import version_of_etcd_binary
from provisioner.verify.probes import haproxy, http, kubernetes
from tests.local_etcd import LocalEtcd, free_port, needs

pytestmark = pytest.mark.tools


def _sh(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def local_etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEtcd]:
    needs("etcdctl")
    etcd = LocalEtcd(tmp_path_factory.mktemp("etcd"))
    etcd.start()
    try:
        yield etcd
    finally:
        etcd.stop()


@pytest.fixture(scope="module")
def ready_etcd(local_etcd: LocalEtcd) -> LocalEtcd:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        result = _sh(etcdctl.etcdctl([local_etcd.url], local_etcd.member_client, "endpoint", "health"))
        if result.returncode == 0:
            return local_etcd
        time.sleep(0.2)
    pytest.fail(f"local etcd did not become healthy: {result.stderr.strip()[-300:]}")


def test_etcdctl_readers_understand_real_answers(ready_etcd: LocalEtcd) -> None:
    def ask(*words: str) -> subprocess.CompletedProcess[str]:
        return _sh(etcdctl.etcdctl([ready_etcd.url], ready_etcd.member_client, *words))

    [status] = etcdctl.statuses(ask("endpoint", "status").stdout)
    assert status.endpoint == ready_etcd.url and status.leader == status.member_id and status.revision >= 1
    # The running server's version is the one its binary reports (what apply reads after installing).
    binary = _sh(f"{needs('etcd')} --version").stdout
    assert status.version and status.version == version_of_etcd_binary(binary), (status.version, binary)
    [hashed] = etcdctl.hashes(ask("endpoint", "hashkv", f"--rev={status.revision}").stdout)
    assert hashed.endpoint == ready_etcd.url and hashed.hash != 0
    assert etcdctl.health(ask("endpoint", "health").stdout) == {ready_etcd.url: (True, "")}


def test_etcdctl_names_an_endpoint_that_does_not_answer(ready_etcd: LocalEtcd) -> None:
    silent = f"https://127.0.0.1:{free_port()}"
    result = _sh(etcdctl.etcdctl([ready_etcd.url, silent], ready_etcd.member_client, "endpoint", "status"))
    assert result.returncode != 0
    assert [s.endpoint for s in etcdctl.statuses(result.stdout)] == [ready_etcd.url]
    assert silent in etcdctl.first_error(result.stderr)


def test_http_probe_sees_tls_only_with_client_certificates(ready_etcd: LocalEtcd) -> None:
    plain = ready_etcd.url.replace("https://", "http://") + "/health"
    client = ready_etcd.apiserver_client
    requests = [http.Request(plain), http.Request(f"{ready_etcd.url}/health", ca=client.ca),
                http.Request(f"{ready_etcd.url}/health", ca=client.ca, cert=client.cert, key=client.key)]
    result = _sh(http.get_command(requests))
    assert result.returncode == 0, result.stderr
    no_tls, no_certificate, with_certificate = http.answers(result.stdout)
    assert not no_tls.ok  # etcd answers plain HTTP on a TLS port with 400
    assert http.tls_rejected(no_certificate), no_certificate
    assert not http.tls_rejected(no_tls), no_tls
    assert http.etcd_healthy(with_certificate), with_certificate


def test_a_port_nobody_serves_is_not_a_tls_rejection(ready_etcd: LocalEtcd) -> None:
    ca = ready_etcd.apiserver_client.ca
    [silent] = http.answers(_sh(http.get_command([http.Request(f"https://127.0.0.1:{free_port()}/health",
                                                               ca=ca)])).stdout)
    assert silent.status is None and not http.tls_rejected(silent), silent


def test_http_probe_reports_a_missing_client_certificate_file(ready_etcd: LocalEtcd, tmp_path: Path) -> None:
    missing = str(tmp_path / "gone.crt")
    request = http.Request(f"{ready_etcd.url}/health", ca=ready_etcd.apiserver_client.ca, cert=missing,
                           key=ready_etcd.apiserver_client.key)
    [answer] = http.answers(_sh(http.get_command([request])).stdout)
    assert answer.status is None and missing in answer.error


def test_haproxy_servers_state_reader_understands_a_real_haproxy(tmp_path: Path) -> None:
    binary = needs("haproxy")
    stats = tmp_path / "admin.sock"
    port = free_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(f"""global
    stats socket {stats} mode 600 level admin
defaults
    mode tcp
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend kube-apiserver
    bind 127.0.0.1:{port}
    default_backend {haproxy.BACKEND}
backend {haproxy.BACKEND}
    server cp1 127.0.0.11:6443
    server cp2 127.0.0.12:6443
""")
    process = subprocess.Popen([binary, "-db", "-f", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not stats.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        result = _sh(haproxy.servers_state_command(socket=str(stats)))
        assert result.returncode == 0, result.stderr
        assert haproxy.servers(result.stdout) == [haproxy.Server("cp1", "127.0.0.11", 6443),
                                                  haproxy.Server("cp2", "127.0.0.12", 6443)]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_process_start_probe_sees_which_files_changed_after_a_real_process_started(tmp_path: Path) -> None:
    # A real process under a name of its own (sleep copied), so no other process on this machine matches.
    program = tmp_path / f"probe{time.monotonic_ns() % 10**8}"
    program.write_bytes(Path("/bin/sleep").read_bytes())
    program.chmod(0o755)
    older, newer = tmp_path / "older.crt", tmp_path / "newer.crt"
    older.write_text("before")
    assert _sh(kubernetes.process_start_command(program.name, [str(older)])).returncode == kubernetes.NOT_RUNNING
    process = subprocess.Popen([str(program), "60"])
    try:
        time.sleep(1.1)
        started = time.time()
        newer.write_text("after")
        # Whole seconds both: a file changed in the second the process started counts as before it.
        stale = int(started) + 2
        subprocess.run(["touch", "-d", f"@{stale}", str(newer)], check=True)
        subprocess.run(["touch", "-d", f"@{int(started) - 100}", str(older)], check=True)
        result = _sh(kubernetes.process_start_command(program.name, [str(older), str(newer)]))
        assert result.returncode == 0, result.stderr
        found = kubernetes.started_after(result.stdout)
    finally:
        process.kill()
        process.wait()
    assert abs(found.started - (started - 1.1)) <= 2
    assert found.changed == {str(older): int(started) - 100, str(newer): stale}
    assert found.changed_since == [str(newer)]
