"""The upgrade step's shell commands, run for real: the release switch in a private mount namespace (a
tmpfs over the link folder and the pending-restart folder; systemctl replaced by a recorder), and the
cluster version read from a real etcd's metrics endpoint."""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from provisioner import hostpaths
from provisioner.apply import remote_paths
from provisioner.apply.upgrade_commands import cluster_version_command, switch_release_command
from tests.local_etcd import LocalEtcd

ETCD = Path("/usr/bin/etcd")


def in_namespace(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`script` with private, empty link and pending folders, and a systemctl that only records its calls."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare (apt-get install -y util-linux)")
    fake = tmp_path / "fake-bin"
    fake.mkdir(exist_ok=True)
    (fake / "systemctl").write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path}/systemctl.log\n")
    (fake / "systemctl").chmod(0o755)
    setup = (f"mount -t tmpfs tmpfs {hostpaths.ETCD_RELEASE_DIR} && mkdir -p {remote_paths.PENDING_RESTART_DIR} && "
             f"mount -t tmpfs tmpfs {remote_paths.PENDING_RESTART_DIR} && "
             f"touch {hostpaths.ETCD_RELEASE_DIR}/etcdutl {remote_paths.PENDING_RESTART_DIR}/etcd")
    probe = (f"; echo rc=$?; readlink {hostpaths.ETCD_RELEASE_DIR}/etcd {hostpaths.ETCD_RELEASE_DIR}/etcdctl; "
             f"ls -A {hostpaths.ETCD_RELEASE_DIR} {remote_paths.PENDING_RESTART_DIR}")
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                           f"{setup} && ( {script} ){probe}"],
                          capture_output=True, text=True, env={**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"},
                          check=False, timeout=60)


@pytest.fixture
def release_3_4(tmp_path: Path) -> Path:
    """An unpacked release as etcd 3.4's tarball holds it: etcd and etcdctl, no etcdutl."""
    if not ETCD.exists():
        pytest.skip("etcd is not installed (apt-get install -y etcd-server etcd-client)")
    folder = tmp_path / "etcd-v3.4-linux-amd64"
    folder.mkdir()
    for binary in ("etcd", "etcdctl"):
        (folder / binary).symlink_to(Path("/usr/bin") / binary)
    return folder


def installed_version() -> str:
    output = subprocess.run([str(ETCD), "--version"], capture_output=True, text=True, check=True).stdout
    return output.splitlines()[0].removeprefix("etcd Version: ")


def test_the_switch_links_the_release_forgets_the_pending_restart_and_restarts_etcd(
        release_3_4: Path, tmp_path: Path) -> None:
    done = in_namespace(switch_release_command(str(release_3_4), installed_version()), tmp_path)
    assert "rc=0" in done.stdout, done.stdout + done.stderr
    assert f"{release_3_4}/etcd\n{release_3_4}/etcdctl\n" in done.stdout
    listed = done.stdout.split(":", 1)[1]
    assert "etcdutl" not in listed, "the link to an etcdutl the release does not hold stays"
    assert "etcd\n" not in done.stdout.split(remote_paths.PENDING_RESTART_DIR + ":")[1]
    assert (tmp_path / "systemctl.log").read_text() == "daemon-reload\nrestart etcd\n"


def test_the_switch_refuses_a_release_holding_another_version_and_restarts_nothing(
        release_3_4: Path, tmp_path: Path) -> None:
    done = in_namespace(switch_release_command(str(release_3_4), "3.5.99"), tmp_path)
    assert "rc=1" in done.stdout
    assert f"holds etcd {installed_version()}, not 3.5.99" in done.stderr
    assert not (tmp_path / "systemctl.log").exists()


def test_the_switch_refuses_a_release_that_is_not_unpacked(tmp_path: Path) -> None:
    done = in_namespace(switch_release_command(str(tmp_path / "missing"), "3.5.16"), tmp_path)
    assert "rc=1" in done.stdout and "is not unpacked" in done.stderr


@pytest.fixture
def local_etcd(tmp_path: Path) -> Iterator[LocalEtcd]:
    etcd = LocalEtcd(tmp_path / "etcd")
    etcd.start()
    try:
        etcd.wait_healthy()
        yield etcd
    finally:
        etcd.stop()


def test_the_cluster_version_is_read_from_the_members_metrics(local_etcd: LocalEtcd) -> None:
    port = int(local_etcd.metrics_url.rsplit(":", 1)[1])
    expected = ".".join(installed_version().split(".")[:2])
    deadline = time.monotonic() + 30
    while True:  # a new cluster sets its version a moment after it elects a leader
        found = subprocess.run(["sh", "-c", cluster_version_command(port)], capture_output=True, text=True,
                               check=True).stdout.strip()
        if found == expected or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert found == expected


def test_after_an_upgrade_the_current_cluster_version_is_read_not_the_old_one(tmp_path: Path) -> None:
    """etcd keeps the old version's gauge at 0 and sets the new one to 1 (as a 3.5 member upgraded from 3.4
    reports it): a stand-in metrics endpoint serving exactly that."""
    (tmp_path / "metrics").write_text('# TYPE etcd_cluster_version gauge\n'
                                      'etcd_cluster_version{cluster_version="3.4"} 0\n'
                                      'etcd_cluster_version{cluster_version="3.5"} 1\n')
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        found = subprocess.run(["sh", "-c", cluster_version_command(server.server_address[1])], capture_output=True,
                               text=True, check=True).stdout.strip()
    finally:
        server.shutdown()
        server.server_close()
    assert found == "3.5"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass
