"""etcd from the distribution's package on a real lab machine (Debian trixie: etcd 3.5.16): another minor
release in etcd.version is refused before etcd starts, naming host, step and fix; a patch release apart is
a warning; the packages are held against unattended upgrades; verify reports the member's release.

One single-member lab (tr-etcdpkg, 198.18.4.0/24); needs root and the lab tools."""

from __future__ import annotations

import ipaddress
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from provisioner.providers.lab import Lab, LabHost, lab_prerequisites_problems
from tests.conftest import run_cli

PROBLEMS = lab_prerequisites_problems()
pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(bool(PROBLEMS), reason="lab cannot run here: " + "; ".join(PROBLEMS)),
]

NAME, ADDRESS = "tr-etcdpkg", "198.18.4.11"


def _write(cluster_file: Path, state: Path, version: str) -> None:
    cluster_file.write_text(yaml.safe_dump({
        "name": NAME,
        "layout": "stacked",
        "ssh": {"user": "root", "private_key": str(state / NAME / "id_ed25519"),
                "known_hosts": str(state / NAME / "known_hosts")},
        "etcd": {"install": "package", "version": version},
        "kubernetes": {"install": "none"},
        "hosts": [{"name": "m1", "address": ADDRESS, "roles": ["control_plane"]}],
    }, sort_keys=False))


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lab, Path]]:
    root = tmp_path_factory.mktemp("etcdpkg")
    lab = Lab(NAME, [LabHost("m1", ipaddress.IPv4Address(ADDRESS))], state_root=root / "labs")
    try:
        lab.up()
        yield lab, root
    finally:
        lab.down()


def _on_m1(lab: Lab, command: str) -> str:
    result = subprocess.run(lab.ssh_command("m1", [command]), capture_output=True, text=True, timeout=60,
                            check=False)
    return result.stdout.strip()


def test_the_package_release_is_judged_against_etcd_version_held_and_reported(lab: tuple[Lab, Path]) -> None:
    machines, root = lab
    cluster_file, out = root / "cluster.yaml", root / "build"
    _write(cluster_file, root / "labs", "3.4.23")
    refused = run_cli("apply", str(cluster_file), "--out", str(out))
    assert refused.exit_code == 1, refused.stdout + refused.stderr
    assert refused.stderr.splitlines()[-1] == (
        "error: m1: Install etcd, haproxy and keepalived (Read the installed etcd version): the etcd-server "
        "package installed etcd 3.5.16, but etcd.version is 3.4.23: set etcd.version: \"3.5.16\" to run the "
        "distribution's etcd, or etcd.install: release for 3.4.23")
    assert _on_m1(machines, "systemctl is-active etcd || true") != "active", "refused before etcd starts"
    assert _on_m1(machines, "apt-mark showhold").split() == ["etcd-client", "etcd-server"]

    _write(cluster_file, root / "labs", "3.5.15")
    applied = run_cli("apply", str(cluster_file), "--out", str(out))
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert "m1: the etcd-server package installed etcd 3.5.16, etcd.version says 3.5.15" in " ".join(
        (applied.stdout + applied.stderr).split())

    verified = run_cli("verify", str(cluster_file), "--out", str(out))
    assert verified.exit_code == 0, verified.stdout
    assert "runs_the_etcd_release_of_the_file: m1 etcd 3.5.16" in verified.stdout
