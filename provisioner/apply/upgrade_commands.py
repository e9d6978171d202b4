"""Shell commands of a rolling etcd upgrade on one member: switch to the unpacked release, read the
cluster version. Pure: they are strings, tested against real programs in tests/apply."""

from __future__ import annotations

import shlex

from provisioner import hostpaths
from provisioner.apply import remote_paths

BINARIES = ("etcd", "etcdctl", "etcdutl")


def switch_release_command(unpacked: str, version: str) -> str:
    """Points the release links at `unpacked` (an older release may lack etcdutl: its link goes) once the
    etcd binary there says it is `version`, forgets a pending restart, and restarts etcd with it."""
    folder, links = shlex.quote(unpacked), shlex.quote(hostpaths.ETCD_RELEASE_DIR)
    lines = [
        "set -eu",
        f"if [ ! -x {folder}/etcd ]; then echo 'the release is not unpacked in {unpacked}: run apply again' >&2; "
        "exit 1; fi",
        f"found=$({folder}/etcd --version | sed -n 's/^etcd Version: //p')",
        f"if [ \"$found\" != {shlex.quote(version)} ]; then "
        f"echo \"the release in {unpacked} holds etcd $found, not {version}\" >&2; exit 1; fi",
    ]
    for binary in BINARIES:
        source, link = f"{folder}/{binary}", f"{links}/{binary}"
        lines.append(f"if [ -e {source} ]; then ln -sfn {source} {link}; else rm -f {link}; fi")
    lines += [
        f"rm -f {shlex.quote(remote_paths.PENDING_RESTART_DIR)}/etcd",
        "systemctl daemon-reload",
        "systemctl restart etcd",
    ]
    return "\n".join(lines)


def cluster_version_command(metrics_port: int) -> str:
    """Prints the cluster version the member reports on its metrics endpoint (etcd_cluster_version)."""
    script = ("import re, urllib.request\n"
              f"text = urllib.request.urlopen('http://127.0.0.1:{metrics_port}/metrics', timeout=5).read().decode()\n"
              # The gauge keeps the old version's line at 0 and sets the current one to 1.
              "found = re.search(r'^etcd_cluster_version\\{cluster_version=\"([0-9.]+)\"\\} 1$', text, re.M)\n"
              "print(found.group(1) if found else 'unknown')\n")
    return f"{hostpaths.PYTHON_INTERPRETER} -c {shlex.quote(script)}"
