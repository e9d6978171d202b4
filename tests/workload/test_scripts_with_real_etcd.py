"""The scripts that run on the hosts (writer, readback, prober), run here against a real local etcd with
the rendered PKI and a real TCP listener: what they record is what happened, through a crash of etcd."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from provisioner.workload import Attempt, check_history, key_of, parse_attempts, parse_probes, value_of, writer
from provisioner.workload import prober as prober_script
from provisioner.workload import readback as readback_script
from tests.local_etcd import LocalEtcd, free_port, needs

pytestmark = pytest.mark.tools

# The hosts' interpreter when this machine has it, so the scripts are run as they will be there.
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


@pytest.fixture
def etcd(tmp_path: Path) -> Iterator[LocalEtcd]:
    local = LocalEtcd(tmp_path / "etcd")
    local.start()
    try:
        local.wait_healthy()
        yield local
    finally:
        local.stop()


def start_writer(etcd: LocalEtcd, folder: Path, endpoints: list[str], run_id: str,
                 max_seconds: float = 60, *extra: str) -> subprocess.Popen[bytes]:
    client = etcd.apiserver_client
    return subprocess.Popen([
        PYTHON, writer.__file__, f"--run-id={run_id}", *(f"--endpoint={url}" for url in endpoints),
        f"--cacert={client.ca}", f"--cert={client.cert}", f"--key={client.key}",
        f"--history={folder / 'history.jsonl'}", f"--stop-file={folder / 'stop'}", f"--max-seconds={max_seconds}",
        *extra])


def acknowledged(folder: Path) -> int:
    history = folder / "history.jsonl"
    return history.read_text().count('"outcome":"ok"') if history.exists() else 0


def stop_writer(process: subprocess.Popen[bytes], folder: Path) -> list[Attempt]:
    """Stops the writer through its stop file and returns every attempt it recorded."""
    (folder / "stop").touch()
    assert process.wait(timeout=10) == 0
    return parse_attempts((folder / "history.jsonl").read_text().splitlines(keepends=True))


def wait_for(folder: Path, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while acknowledged(folder) < count:
        assert time.monotonic() < deadline, f"only {acknowledged(folder)} of {count} writes acknowledged"
        time.sleep(0.05)


def test_the_writer_fails_over_rides_out_a_crash_and_loses_nothing(etcd: LocalEtcd, tmp_path: Path) -> None:
    refusing = f"https://127.0.0.1:{free_port()}"  # nothing listens: refused before anything is sent
    process = start_writer(etcd, tmp_path, [refusing, etcd.url], "crash")
    try:
        wait_for(tmp_path, 30)
        etcd.kill()
        killed = time.time()
        time.sleep(1.5)
        etcd.start()
        restarted = time.time()
        etcd.wait_healthy()
        wait_for(tmp_path, acknowledged(tmp_path) + 30)
        attempts = stop_writer(process, tmp_path)
    finally:
        process.kill()

    first, second = attempts[0], attempts[1]
    assert (first.outcome, first.endpoint, first.revision) == ("failed", refusing, None)
    assert "connect" in first.error and "refused" in first.error.lower()
    assert (second.outcome, second.endpoint, second.key, second.value) == (
        "ok", etcd.url, key_of("crash", 2), value_of("crash", 2))
    assert [a.seq for a in attempts] == list(range(1, len(attempts) + 1))
    assert all(a.sent <= a.answered for a in attempts)
    assert any(a.acknowledged and a.answered < killed for a in attempts)
    assert any(a.acknowledged and a.sent > restarted for a in attempts)
    # While etcd was down every attempt was refused (failed) or cut off on the kept-alive connection (unknown).
    down = [a for a in attempts if killed < a.sent < restarted - 0.1]
    assert down and not any(a.acknowledged for a in down)
    assert {a.outcome for a in down} <= {"failed", "unknown"} and any(a.outcome == "failed" for a in down)

    held = readback_script.read_member(etcd.url, "/provisioner-workload/crash/", etcd.apiserver_tls())
    report = check_history(attempts, {"m1": {key: (value, rev) for key, (value, rev) in held.items()}})
    assert report.ok, report.lines()
    assert report.acknowledged >= 60 and not report.lost
    gap = report.longest_gap
    assert gap is not None and gap.seconds >= 1.5 and gap.start <= killed + 0.1
    assert any(window.start <= killed + 0.1 and window.end >= restarted - 0.1 for window in report.failure_windows)
    assert sum(report.writes_per_bucket) == report.acknowledged


def kubeadm_configuration(endpoints: list[str]) -> str:
    listed = "".join(f"    - {url}\n" for url in endpoints)
    return f"kind: ClusterConfiguration\netcd:\n  external:\n    endpoints:\n{listed}    caFile: /ca.crt\n"


def test_the_writer_follows_the_endpoint_list_its_kubeadm_configuration_names(etcd: LocalEtcd,
                                                                             tmp_path: Path) -> None:
    refusing = f"https://127.0.0.1:{free_port()}"
    configuration = tmp_path / "kubeadm.yaml"
    configuration.write_text(kubeadm_configuration([etcd.url]))
    process = start_writer(etcd, tmp_path, [refusing], "follow", 60, f"--endpoints-from={configuration}")
    try:
        wait_for(tmp_path, 20)
        switched = time.time()
        configuration.write_text(kubeadm_configuration([refusing]))
        os.utime(configuration, (switched + 1, switched + 1))  # a new mtime even within the clock's resolution
        time.sleep(1)
        configuration.write_text(kubeadm_configuration([etcd.url]))
        os.utime(configuration, (switched + 2, switched + 2))
        wait_for(tmp_path, acknowledged(tmp_path) + 20)
        attempts = stop_writer(process, tmp_path)
    finally:
        process.kill()
    # The list on the command line is never used while the file names one; the file's changes are.
    assert attempts[0].endpoint == etcd.url and attempts[0].acknowledged
    while_refusing = [a for a in attempts if a.endpoint == refusing]
    assert while_refusing and all(a.outcome == "failed" for a in while_refusing)
    assert all(a.sent > switched for a in while_refusing)
    assert attempts[-1].endpoint == etcd.url and attempts[-1].acknowledged


def test_the_writer_reads_its_ca_again_when_it_changes_for_the_connections_it_opens(etcd: LocalEtcd,
                                                                                   tmp_path: Path) -> None:
    """As an API server restarted after a step of a CA rotation: a CA that does not sign etcd's certificate
    makes the next connection fail the handshake; the right one back, writes resume."""
    from datetime import UTC, datetime

    from provisioner.render.pki.issue import issue_ca

    client = etcd.apiserver_client
    trusted = tmp_path / "ca.crt"
    shutil.copy(client.ca, trusted)
    process = subprocess.Popen([
        PYTHON, writer.__file__, "--run-id=reload", f"--endpoint={etcd.url}", f"--cacert={trusted}",
        f"--cert={client.cert}", f"--key={client.key}", f"--history={tmp_path / 'history.jsonl'}",
        f"--stop-file={tmp_path / 'stop'}", "--max-seconds=60"])
    try:
        wait_for(tmp_path, 20)
        foreign = issue_ca("foreign", "ecdsa-p256", datetime.now(UTC)).certificate
        trusted.write_bytes(foreign.public_bytes(Encoding.PEM))
        changed = time.time()
        os.utime(trusted, (changed + 1, changed + 1))
        time.sleep(0.5)
        etcd.kill()  # the kept-alive connection ends; the next one is opened with the foreign CA
        etcd.start()
        etcd.wait_healthy()
        time.sleep(1.5)
        shutil.copy(client.ca, trusted)
        os.utime(trusted, (changed + 2, changed + 2))
        restored = time.time()
        wait_for(tmp_path, acknowledged(tmp_path) + 20)
        attempts = stop_writer(process, tmp_path)
    finally:
        process.kill()
    refused = [a for a in attempts if "TLS handshake" in a.error and "CERTIFICATE_VERIFY_FAILED" in a.error]
    assert refused and all(a.outcome == "failed" and changed < a.sent < restored + 0.5 for a in refused)
    assert attempts[-1].acknowledged and attempts[-1].sent > restored


def test_the_endpoints_of_a_rendered_kubeadm_configuration_are_read_in_order() -> None:
    rendered = Path(__file__).parents[1] / "render/golden/lab-external/hosts/cp1/kubeadm.yaml"
    assert writer.configured_endpoints(rendered.read_text()) == [
        "https://198.18.0.21:2379", "https://198.18.0.22:2379", "https://198.18.0.23:2379"]
    assert writer.configured_endpoints("kind: InitConfiguration\n") == []


def test_the_writer_stops_by_itself_after_max_seconds(etcd: LocalEtcd, tmp_path: Path) -> None:
    refusing = f"https://127.0.0.1:{free_port()}"
    started = time.monotonic()
    process = start_writer(etcd, tmp_path, [refusing], "bounded", max_seconds=1)
    try:
        assert process.wait(timeout=15) == 0
    finally:
        process.kill()
    assert time.monotonic() - started < 10
    attempts = parse_attempts((tmp_path / "history.jsonl").read_text().splitlines(keepends=True))
    assert attempts and {a.outcome for a in attempts} == {"failed"}


def test_readback_pages_through_the_prefix_and_nothing_beside_it(etcd: LocalEtcd, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    etcdctl = needs("etcdctl")
    client = etcd.apiserver_client
    puts = [(key_of("r1", seq), value_of("r1", seq)) for seq in range(1, 24)]
    puts += [("/provisioner-workload/r10/00000001", "other run"), ("/provisioner-workload/r1", "no slash")]
    for key, value in puts:
        subprocess.run([etcdctl, f"--endpoints={etcd.url}", f"--cacert={client.ca}", f"--cert={client.cert}",
                        f"--key={client.key}", "put", key, value], env={**os.environ, "ETCDCTL_API": "3"},
                       check=True, capture_output=True, timeout=30)
    monkeypatch.setattr(readback_script, "PAGE_SIZE", 5)
    held = readback_script.read_member(etcd.url, "/provisioner-workload/r1/", etcd.apiserver_tls())
    assert sorted(held) == [key_of("r1", seq) for seq in range(1, 24)]
    assert held[key_of("r1", 7)][0] == value_of("r1", 7) and isinstance(held[key_of("r1", 7)][1], int)

    answers = readback_script.read_members({"m1": etcd.url, "gone": f"https://127.0.0.1:{free_port()}"},
                                           "/provisioner-workload/r1/", etcd.apiserver_tls())["members"]
    assert answers["m1"]["error"] == "" and len(answers["m1"]["keys"]) == 23
    assert "refused" in answers["gone"]["error"].lower() and answers["gone"]["keys"] == {}


def test_prefix_end_is_the_next_prefix() -> None:
    assert readback_script.prefix_end(b"/a/") == b"/a0"
    assert readback_script.prefix_end(b"a\xff") == b"b"


def test_the_prober_records_connects_and_refusals(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    out = tmp_path / "probes.jsonl"
    with out.open("a") as stream:
        prober_script.run("127.0.0.1", port, stream, str(tmp_path / "stop"), max_seconds=0.5)
        listener.close()
        prober_script.run("127.0.0.1", port, stream, str(tmp_path / "stop"), max_seconds=0.25)

    probes = parse_probes(out.read_text().splitlines(keepends=True))
    accepted = [p for p in probes if p.ok]
    refused = [p for p in probes if not p.ok]
    assert 4 <= len(accepted) <= 6 and 2 <= len(refused) <= 3  # every 100 ms
    assert all(p.latency is not None and p.latency < 0.5 for p in accepted)
    assert all(p.latency is None and "Refused" in p.error for p in refused)
    assert all(p.balancer is None for p in probes)


def test_the_prober_reads_the_neighbour_table(tmp_path: Path) -> None:
    table = tmp_path / "arp"
    table.write_text("IP address       HW type     Flags       HW address            Mask     Device\n"
                     "198.18.11.100    0x1         0x2         0A:11:22:33:44:55     *        host0\n"
                     "198.18.11.101    0x1         0x0         00:00:00:00:00:00     *        host0\n")
    assert prober_script.neighbor_mac("198.18.11.100", str(table)) == "0a:11:22:33:44:55"
    assert prober_script.neighbor_mac("198.18.11.101", str(table)) is None  # incomplete entry
    assert prober_script.neighbor_mac("198.18.11.102", str(table)) is None
    assert prober_script.neighbor_mac("198.18.11.100", str(tmp_path / "none")) is None
