"""A real snapshot of a one-member etcd on this machine, for tests of the offline snapshot tools."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

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


def tools_folder(folder: Path, *programs: Path) -> Path:
    """A folder holding links to `programs`: the only etcd tools a shell given it on PATH finds."""
    folder.mkdir()
    for program in programs:
        (folder / program.name).symlink_to(program)
    return folder
