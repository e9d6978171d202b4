"""The rendered Vagrantfile passes `vagrant validate` for both providers, with no VM and no box.

No hypervisor is needed: validate only loads the Vagrantfile and checks each provider's settings.
libvirt needs the vagrant-libvirt plugin (Debian package). VirtualBox is not installed on CI, and
Vagrant only checks a provider's settings when the provider says it is usable, which it decides by
running `VBoxManage --version`: a stub that prints a version lets the settings be checked.
A box is never downloaded by validate.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from provisioner.cluster.load import load_topology
from provisioner.cluster.topology import Topology
from provisioner.render import render
from provisioner.render.vagrantfile import vagrantfile
from tests.conftest import EXAMPLES

pytestmark = [
    pytest.mark.tools,
    pytest.mark.skipif(shutil.which("vagrant") is None, reason="vagrant is not installed: apt-get install -y vagrant"),
]

CLUSTER_FILES = [EXAMPLES / "lab-stacked" / "cluster.yaml", EXAMPLES / "servers-example" / "cluster.yaml",
                 Path(__file__).parent / "fixtures" / "vagrant-cluster.yaml"]


def _libvirt_plugin_installed() -> bool:
    if shutil.which("vagrant") is None:
        return False
    with tempfile.TemporaryDirectory() as home:  # system plugins are listed whatever VAGRANT_HOME is
        listed = subprocess.run(["vagrant", "plugin", "list"], capture_output=True, text=True, check=False,
                                env={**os.environ, "VAGRANT_HOME": home, "VAGRANT_CHECKPOINT_DISABLE": "1"})
    return "vagrant-libvirt" in listed.stdout


def _validate(folder: Path, provider: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "VAGRANT_HOME": str(tmp_path / "vagrant.d"), "VAGRANT_CHECKPOINT_DISABLE": "1",
                   "VAGRANT_DEFAULT_PROVIDER": provider}
    if provider == "virtualbox":
        stub = tmp_path / "stub-bin"
        stub.mkdir(exist_ok=True)
        (stub / "VBoxManage").write_text("#!/bin/sh\necho 7.0.14r161095\n")
        (stub / "VBoxManage").chmod(0o755)
        environment["PATH"] = f"{stub}{os.pathsep}{environment['PATH']}"
    return subprocess.run(["vagrant", "validate"], cwd=folder, env=environment, capture_output=True, text=True,
                          check=False)


def _rendered(cluster_file: Path, tmp_path: Path) -> Path:
    topology, _ = load_topology(cluster_file)
    out = tmp_path / "build"
    render(topology, out)
    return out


needs_libvirt_plugin = pytest.mark.skipif(
    not _libvirt_plugin_installed(), reason="the vagrant-libvirt plugin is missing: apt-get install -y vagrant-libvirt")
PROVIDERS = [pytest.param("libvirt", marks=needs_libvirt_plugin), "virtualbox"]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("cluster_file", CLUSTER_FILES, ids=lambda p: p.parent.name if p.name == "cluster.yaml"
                         else p.stem)
def test_rendered_vagrantfile_validates(cluster_file: Path, provider: str, tmp_path: Path) -> None:
    result = _validate(_rendered(cluster_file, tmp_path), provider, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "validated successfully" in result.stdout


@pytest.mark.parametrize(("provider", "setting"), [
    pytest.param("libvirt", "libvirt.cpus", marks=needs_libvirt_plugin), ("virtualbox", "virtualbox.cpus")])
def test_validate_really_checks_each_provider_block(provider: str, setting: str, tmp_path: Path) -> None:
    # Guards the test above: a misspelt provider setting must fail, or "validated" proves nothing.
    out = _rendered(CLUSTER_FILES[0], tmp_path)
    vagrantfile = out / "Vagrantfile"
    vagrantfile.write_text(vagrantfile.read_text().replace(setting, setting + "_misspelt"))
    result = _validate(out, provider, tmp_path)
    assert result.returncode != 0
    assert "cpus_misspelt" in result.stdout + result.stderr


RUBY_PAYLOADS = {
    "interpolation": '#{File.write(%q(MARKER), %q(ran))}',
    "quote": "x', File.write('MARKER', 'ran'), '",
    "backslash and quote": "x\\', File.write('MARKER', 'ran'), '",
}


@pytest.mark.parametrize("payload", RUBY_PAYLOADS.values(), ids=RUBY_PAYLOADS.keys())
def test_code_in_a_cluster_value_does_not_run_during_validate(payload: str, tmp_path: Path) -> None:
    # The model refuses such a box name (tests/cluster/bad/code_in_strings.yaml); the Vagrantfile must
    # still not run it, so the value is put in here past the model's checks.
    marker = tmp_path / "ran"
    topology, _ = load_topology(CLUSTER_FILES[0])
    cluster = topology.cluster
    vagrant = cluster.vagrant.model_copy(update={"box": payload.replace("MARKER", str(marker))})
    out = tmp_path / "build"
    out.mkdir()
    (out / "Vagrantfile").write_text(vagrantfile(Topology(cluster.model_copy(update={"vagrant": vagrant}),
                                                          source=topology.source)))
    result = _validate(out, "virtualbox", tmp_path)
    assert not marker.exists(), "the box name ran as Ruby code"
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_payload_would_run_if_the_value_were_double_quoted(tmp_path: Path) -> None:
    # Guards the test above: the same payload in a double-quoted Ruby string does run during validate.
    marker = tmp_path / "ran"
    out = _rendered(CLUSTER_FILES[0], tmp_path)
    vagrantfile_path = out / "Vagrantfile"
    payload = RUBY_PAYLOADS["interpolation"].replace("MARKER", str(marker))
    vagrantfile_path.write_text(vagrantfile_path.read_text().replace("'debian/bookworm64'", f'"{payload}"'))
    _validate(out, "virtualbox", tmp_path)
    assert marker.read_text() == "ran"
