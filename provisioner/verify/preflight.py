"""Before touching hosts: the rendered tree verify is asked to check must be the one for this file.

"The one for this file" means: everything apply places on the hosts (each host's files.yml and every
file it lists) is what rendering this cluster file now would write, and the PKI is one render would
reuse as it is. A digest of each side is compared; the files that differ are named. How SSH reaches the
hosts is not part of it: verify, like apply, reaches them as the command's targets say now.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from provisioner.cluster.topology import Topology
from provisioner.errors import InputError, Problem
from provisioner.render import build_tree, pki_members
from provisioner.render.folder import MANIFEST
from provisioner.render.pki import stale_pki
from provisioner.render.placement import placements
from provisioner.render.secrets import pki_folders, read_keepalived_auth_pass

_SHOWN = 3


def check_rendered(topology: Topology, out: Path) -> None:
    """Raises InputError when `out` holds no rendered tree, or one rendered from a different cluster file."""
    if not (out / MANIFEST).is_file():
        raise InputError([Problem(str(out), "", "no rendered tree here: run `provisioner render` (or "
                                  "`provisioner up`) first, or pass --out")])
    stale = stale_pki(pki_folders(out), etcd_members=pki_members(topology), key_type=topology.cluster.pki.key_type)
    if stale:
        _different(topology, out, f"render would issue {_listing(stale)} again")
    auth_pass = read_keepalived_auth_pass(out)
    if topology.load_balancer_hosts and auth_pass is None:
        _different(topology, out, "it has no VRRP password")
    expected = build_tree(topology, out, auth_pass)
    placed: set[str] = set()
    for host in topology.hosts:
        placed.add(f"hosts/{host.name}/files.yml")
        placed.update(placement.src for placement in placements(topology, host))
    # PKI files are not in the in-memory tree: stale_pki above proved them this cluster's.
    wanted = {name: expected.files[name][0] if name in expected.files else _read(out / name) for name in placed}
    found = {name: _read(out / name) for name in placed}
    if _digest(found) != _digest(wanted):
        differing = sorted(name for name in placed if found[name] != wanted[name])
        _different(topology, out, f"{_listing(differing)} differ")


def _different(topology: Topology, out: Path, detail: str) -> None:
    raise InputError([Problem(str(out), "", f"rendered from a different version of {topology.source} ({detail}): "
                              "render and apply again before verifying")])


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _digest(files: dict[str, bytes | None]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        content = files[name]
        digest.update(f"{name}\0{-1 if content is None else len(content)}\0".encode())
        digest.update(content or b"")
    return digest.hexdigest()


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")
