"""A local etcd release mirror for the lab: a tarball laid out like upstream's, built from the etcd
binaries of a Debian root file system (the lab image's trixie packages, 3.5; or this machine's own, Debian
12's 3.4, which run on the machines too), served over HTTP on this machine's address on the lab bridge only."""

from __future__ import annotations

import hashlib
import http.server
import io
import re
import tarfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

BINARIES = ("etcd", "etcdctl", "etcdutl")


@dataclass(frozen=True)
class Release:
    version: str
    archive: Path
    sha256: str


def package_version(rootfs: Path, package: str = "etcd-server") -> str:
    """Upstream version of a package installed in a root file system: 3.5.16 for 3.5.16-4."""
    status = (rootfs / "var/lib/dpkg/status").read_text()
    match = re.search(rf"^Package: {re.escape(package)}\n(?:.+\n)*?Version: (?:\d+:)?([0-9.]+)", status, re.MULTILINE)
    if match is None:
        raise LookupError(f"{package} is not installed in {rootfs}")
    return match.group(1)


def build_release(rootfs: Path, folder: Path) -> Release:
    version = package_version(rootfs)
    name = f"etcd-v{version}-linux-amd64"
    archive = folder / f"{name}.tar.gz"
    folder.mkdir(parents=True, exist_ok=True)
    # Fast compression: the tarball only travels over the lab bridge.
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        directory = tarfile.TarInfo(name)
        directory.type, directory.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(directory)
        for binary in BINARIES:
            if binary == "etcdutl" and not (rootfs / "usr/bin" / binary).exists():
                continue  # etcd 3.4 has no etcdutl, its upstream tarballs neither
            data = (rootfs / "usr/bin" / binary).read_bytes()
            member = tarfile.TarInfo(f"{name}/{binary}")
            member.size, member.mode = len(data), 0o755
            tar.addfile(member, io.BytesIO(data))
    return Release(version, archive, hashlib.sha256(archive.read_bytes()).hexdigest())


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(folder: Path, address: str) -> Iterator[str]:
    """Serves folder on address (the lab bridge) at a free port; yields the base URL."""
    server = http.server.ThreadingHTTPServer((address, 0), partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{address}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
