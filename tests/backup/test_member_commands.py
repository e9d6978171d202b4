"""The offline snapshot check runs etcd's own tool, whichever the member has: etcdutl (etcd 3.5 and
newer) or etcdctl (3.4, Debian 12's etcd-server, which has no etcdutl). Run here with the real binaries:
this machine's etcdctl 3.4, and etcdutl from the lab image."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from provisioner.backup.member import snapshot_status
from tests.backup.conftest import LAB_ETCDUTL, needs_etcd, tools_folder


def status_with(path: Path, tools: Path) -> subprocess.CompletedProcess[str]:
    """snapshot_status run by sh with only `tools` (and the basics) on PATH."""
    return subprocess.run(["sh", "-c", snapshot_status(str(path))], capture_output=True, text=True, check=False,
                          env={"PATH": f"{tools}:/bin"})


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
