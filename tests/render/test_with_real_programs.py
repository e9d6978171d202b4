"""The rendered configurations are accepted by the programs that will read them on the hosts."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner.cluster.load import load_topology
from provisioner.providers.lab import lab_prerequisites_problems
from provisioner.providers.lab.image import DEFAULT_CACHE_ROOT, ImageSpec, ensure_image
from provisioner.render import render
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.tools


def _needs(program: str) -> str:
    found = shutil.which(program) or next(
        (str(p) for p in (Path("/usr/sbin") / program, Path("/usr/bin") / program) if p.exists()), None
    )
    if found is None:
        pytest.skip(f"{program} is not installed (apt-get install -y haproxy keepalived etcd-server openssl)")
    return found


@pytest.fixture(scope="module", params=["lab-stacked", "lab-external"])
def tree(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    topology, _ = load_topology(EXAMPLES / request.param / "cluster.yaml")
    out = tmp_path_factory.mktemp(request.param)
    render(topology, out)
    return out


def test_haproxy_accepts_every_load_balancer_config(tree: Path) -> None:
    haproxy = _needs("haproxy")
    configs = sorted(tree.glob("hosts/*/haproxy.cfg"))
    assert len(configs) == 2
    for config in configs:
        check = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, f"{config}: {check.stdout}{check.stderr}"


def _an_interface() -> str:
    """keepalived -t insists on an existing, non-loopback interface."""
    names = sorted(p.name for p in Path("/sys/class/net").iterdir() if p.name != "lo")
    if not names:
        pytest.skip("this machine has no network interface besides lo")
    return names[0]


def test_keepalived_accepts_every_load_balancer_config(tree: Path, tmp_path: Path) -> None:
    configs = sorted(tree.glob("hosts/*/keepalived.conf"))
    assert len(configs) == 2
    _check_keepalived(configs, tmp_path)


def test_keepalived_accepts_the_config_of_a_single_load_balancer(tmp_path: Path) -> None:
    data = yaml.safe_load((EXAMPLES / "lab-stacked" / "cluster.yaml").read_text())
    data["hosts"] = [host for host in data["hosts"] if host["name"] != "lb2"]
    cluster_file = tmp_path / "cluster.yaml"
    cluster_file.write_text(yaml.safe_dump(data))
    render(load_topology(cluster_file)[0], tmp_path / "build")
    config = tmp_path / "build" / "hosts" / "lb1" / "keepalived.conf"
    assert "unicast_peer" not in config.read_text()
    _check_keepalived([config], tmp_path)


def _check_keepalived(configs: list[Path], tmp_path: Path) -> None:
    keepalived = _needs("keepalived")
    for config in configs:
        # The rendered config names the script at its place on the host and the lab machines' interface;
        # point them at the rendered copy and at an interface this machine has.
        script = config.parent / "check_haproxy.sh"
        text = config.read_text().replace("/etc/keepalived/check_haproxy.sh", str(script))
        rendered = config.parent.parent.parent  # hosts/<name>/keepalived.conf
        text = text.replace("/etc/keepalived/provisioner-auth.conf", str(rendered / "secrets/keepalived-auth.conf"))
        text = text.replace("interface host0", f"interface {_an_interface()}")
        local = tmp_path / f"{config.parent.name}.conf"
        local.write_text(text)
        check = subprocess.run([keepalived, "-t", "-f", str(local)], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, f"{config}: {check.stdout}{check.stderr}"


def test_systemd_accepts_every_etcd_unit(tree: Path) -> None:
    analyze = _needs("systemd-analyze")
    for unit in sorted(tree.glob("hosts/*/etcd.service")):
        check = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
        problems = [line for line in check.stderr.splitlines() if "etcd.service" in line]
        assert not problems, f"{unit}: {problems}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _https_health(url: str, tree: Path, deadline: float) -> str:
    context = ssl.create_default_context(cafile=str(tree / "pki/etcd/ca.crt"))
    context.load_cert_chain(str(tree / "pki/etcd/healthcheck-client.crt"),
                            str(tree / "secrets/pki/etcd/healthcheck-client.key"))
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, context=context, timeout=2) as response:
                return str(response.read().decode())
        except OSError as error:
            last = str(error)
            time.sleep(0.2)
    raise AssertionError(f"etcd did not answer {url}: {last}")


def _local_member_config(tree: Path, tmp_path: Path) -> tuple[dict[str, Any], int]:
    """A member's own file moved to 127.0.0.1 and temp paths, and its client port."""
    config_file = sorted(tree.glob("hosts/*/etcd.conf.yml"))[0]
    member = config_file.parent.name
    config = yaml.safe_load(config_file.read_text())
    client, peer, metrics = _free_port(), _free_port(), _free_port()
    pki = tree / "pki"
    member_pki, member_keys = pki / "etcd/members" / member, tree / "secrets/pki/etcd/members" / member
    config |= {
        "data-dir": str(tmp_path / "data"),
        "listen-client-urls": f"https://127.0.0.1:{client}",
        "advertise-client-urls": f"https://127.0.0.1:{client}",
        "listen-peer-urls": f"https://127.0.0.1:{peer}",
        "initial-advertise-peer-urls": f"https://127.0.0.1:{peer}",
        "initial-cluster": f"{member}=https://127.0.0.1:{peer}",
        "listen-metrics-urls": f"http://127.0.0.1:{metrics}",
    }
    for section, kind in (("client-transport-security", "server"), ("peer-transport-security", "peer")):
        config[section] |= {"cert-file": str(member_pki / f"{kind}.crt"), "key-file": str(member_keys / f"{kind}.key"),
                            "trusted-ca-file": str(pki / "etcd/ca.crt")}
    return config, client


def test_etcd_starts_from_a_rendered_member_config(tree: Path, tmp_path: Path) -> None:
    """The member's own file starts etcd with TLS and client auth, and the initial corruption check on."""
    etcd = _needs("etcd")
    config, client = _local_member_config(tree, tmp_path)
    local = tmp_path / "etcd.conf.yml"
    local.write_text(yaml.safe_dump(config))
    log = tmp_path / "etcd.log"
    process = subprocess.Popen([etcd, "--config-file", str(local)], stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    try:
        health = _https_health(f"https://127.0.0.1:{client}/health", tree, time.monotonic() + 20)
        assert '"health":"true"' in health
        with pytest.raises(OSError):
            # Plain HTTP on the client port is refused.
            urllib.request.urlopen(f"http://127.0.0.1:{client}/health", timeout=2).read()
    finally:
        process.terminate()
        process.wait(timeout=15)
    started = next(json.loads(line) for line in log.read_text().splitlines()
                   if '"starting an etcd server"' in line)
    assert started["initial-corrupt-check"] is True


def assert_etcd_reads_every_key(etcd: str, config: dict[str, Any], folder: Path) -> None:
    """etcd ignores keys it does not know in its YAML file, so starting is no proof that a setting took.
    A key etcd knows makes it refuse a value of the wrong type before it starts: each rendered key,
    given a mapping (a list for a section), must be refused with etcd's decoding error naming it."""
    unknown = []
    for key, value in config.items():
        probe = folder / f"{key}.yml"
        wrong: object = ["not a section"] if isinstance(value, dict) else {"not": "this type"}
        probe.write_text(yaml.safe_dump(config | {key: wrong}))
        try:
            # In the test's folder: anything a run would write relative to its directory stays there.
            run = subprocess.run([etcd, "--config-file", str(probe)], capture_output=True, text=True, timeout=10,
                                 cwd=folder)
        except subprocess.TimeoutExpired:  # it started: the key was ignored
            unknown.append(key)
            continue
        if run.returncode == 0 or f".{key} of type" not in run.stderr:
            unknown.append(key)
    assert not unknown, f"{etcd} does not read these rendered keys: {unknown}"


def test_etcd_reads_every_rendered_key(tree: Path, tmp_path: Path) -> None:
    """This machine's etcd (Debian 12's package: 3.4) knows every key the member's file sets."""
    config, _ = _local_member_config(tree, tmp_path)
    assert_etcd_reads_every_key(_needs("etcd"), config, tmp_path)


@pytest.mark.lab
@pytest.mark.skipif(bool(lab_prerequisites_problems()), reason="lab image cannot be built here: "
                    + "; ".join(lab_prerequisites_problems()))
def test_etcd_of_the_lab_image_reads_every_rendered_key(tree: Path, tmp_path: Path) -> None:
    """Debian 13's etcd (3.5, what the lab machines and a release install run) knows every key too."""
    rootfs = ensure_image(DEFAULT_CACHE_ROOT, ImageSpec(), progress=print)
    etcd = rootfs / "usr/bin/etcd"
    assert "etcd Version: 3.5." in subprocess.run([etcd, "--version"], capture_output=True, text=True).stdout
    config, _ = _local_member_config(tree, tmp_path)
    assert_etcd_reads_every_key(str(etcd), config, tmp_path)
