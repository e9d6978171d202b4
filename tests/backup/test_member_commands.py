"""The offline snapshot check runs etcd's own tool, whichever the member has: etcdutl (etcd 3.5 and
newer) or etcdctl (3.4, Debian 12's etcd-server, which has no etcdutl). Run here with the real binaries:
this machine's etcdctl 3.4, and etcdutl from the lab image."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioner.backup.member import snapshot_status
from provisioner.providers.lab.image import DEFAULT_CACHE_ROOT, ImageSpec, image_rootfs

LAB_ETCDUTL = image_rootfs(DEFAULT_CACHE_ROOT, ImageSpec()) / "usr/bin/etcdutl"
needs_etcd = pytest.mark.skipif(not (shutil.which("etcd") and shutil.which("etcdctl")),
                                reason="needs etcd and etcdctl: apt-get install etcd-server etcd-client")


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A real snapshot of a one-member etcd on this machine holding one key."""
    folder = tmp_path_factory.mktemp("etcd")
    urls = {"client": "http://127.0.0.1:23971", "peer": "http://127.0.0.1:23972"}
    etcd = subprocess.Popen(["etcd", "--name", "one", "--data-dir", str(folder / "data"),
                             "--listen-client-urls", urls["client"], "--advertise-client-urls", urls["client"],
                             "--listen-peer-urls", urls["peer"], "--initial-advertise-peer-urls", urls["peer"],
                             "--initial-cluster", f"one={urls['peer']}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        environment = {**os.environ, "ETCDCTL_API": "3"}
        for _ in range(50):
            if subprocess.run(["etcdctl", f"--endpoints={urls['client']}", "put", "k", "v"], env=environment,
                              capture_output=True, check=False).returncode == 0:
                break
            subprocess.run(["sleep", "0.2"], check=True)
        subprocess.run(["etcdctl", f"--endpoints={urls['client']}", "snapshot", "save", str(folder / "s.db")],
                       env=environment, capture_output=True, check=True)
    finally:
        etcd.terminate()
        etcd.wait(timeout=30)
    yield folder / "s.db"


def status_with(path: Path, tools: Path) -> subprocess.CompletedProcess[str]:
    """snapshot_status run by sh with only `tools` (and the basics) on PATH."""
    return subprocess.run(["sh", "-c", snapshot_status(str(path))], capture_output=True, text=True, check=False,
                          env={"PATH": f"{tools}:/bin"})


def tools_folder(folder: Path, *programs: Path) -> Path:
    folder.mkdir()
    for program in programs:
        (folder / program.name).symlink_to(program)
    return folder


@needs_etcd
def test_etcdctl_checks_the_snapshot_where_there_is_no_etcdutl(snapshot: Path, tmp_path: Path) -> None:
    tools = tools_folder(tmp_path / "bin", Path(shutil.which("etcdctl") or ""))
    result = status_with(snapshot, tools)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["totalKey"] >= 1


@needs_etcd
@pytest.mark.skipif(not LAB_ETCDUTL.exists(), reason="needs the lab image (provisioner lab up builds it)")
def test_etcdutl_is_preferred_where_it_exists(snapshot: Path, tmp_path: Path) -> None:
    broken = tmp_path / "etcdctl"
    broken.write_text("#!/bin/sh\nexit 7\n")
    broken.chmod(0o755)
    tools = tools_folder(tmp_path / "bin", LAB_ETCDUTL, broken)
    result = status_with(snapshot, tools)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["totalKey"] >= 1


@needs_etcd
@pytest.mark.parametrize("with_etcdutl", [False, True])
def test_a_truncated_snapshot_is_refused(snapshot: Path, tmp_path: Path, with_etcdutl: bool) -> None:
    if with_etcdutl and not LAB_ETCDUTL.exists():
        pytest.skip("needs the lab image (provisioner lab up builds it)")
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(snapshot.read_bytes()[:1000])
    tools = tools_folder(tmp_path / "bin", LAB_ETCDUTL if with_etcdutl else Path(shutil.which("etcdctl") or ""))
    result = status_with(damaged, tools)
    assert result.returncode != 0
    assert "invalid database" in result.stderr
