"""Rolling etcd upgrade on a real three-member lab (up-upgrade, 198.18.24.0/24, one lab for the module).

The cluster starts on etcd 3.4 (Debian 12's binaries, this machine's) installed from a release tarball
served on the lab bridge, and is upgraded to 3.5 (the lab image's trixie binaries) by changing
etcd.version, under the workload: a writer on cp1 writing through the whole change. Checked from outside
the code under test: each member's /version over HTTPS polled from this machine all along (never two
members down, the members switch one at a time), etcd's own cluster version at the end, every
acknowledged write read back from every member. The upgrade is killed half-way (one member on 3.5) and
finished by running apply again. Refusals (a skipped minor release, a downgrade) exit 2
with one line and change nothing."""

from __future__ import annotations

import http.client
import json
import re
import ssl
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner.providers.lab import lab_prerequisites_problems
from provisioner.providers.lab.image import DEFAULT_CACHE_ROOT, ImageSpec, image_rootfs
from provisioner.workload import Workload
from provisioner.workload.checker import check_history
from tests.apply.labs import LabCluster, lab_for, topology_of
from tests.apply.membership_labs import apply_killed_at
from tests.apply.mirror import Release, build_release, serve
from tests.conftest import CliResult, run_cli

PROBLEMS = lab_prerequisites_problems()
pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(bool(PROBLEMS), reason="lab cannot run here: " + "; ".join(PROBLEMS)),
]

SUBNET = "198.18.24"
NAME = "up-upgrade"
MEMBERS = {f"cp{n}": f"{SUBNET}.{10 + n}" for n in (1, 2, 3)}


def cluster_data(state_root: Path, release: Release, url: str) -> dict[str, Any]:
    return {
        "name": NAME,
        "layout": "stacked",
        "endpoint": {"address": f"{SUBNET}.100", "load_balancer": "external"},
        "ssh": {"user": "root", "private_key": str(state_root / NAME / "id_ed25519"),
                "known_hosts": str(state_root / NAME / "known_hosts")},
        "etcd": {"install": "release", "version": release.version,
                 "release": {"url": f"{url}/{release.archive.name}", "sha256": release.sha256}},
        "kubernetes": {"install": "none"},
        "hosts": [{"name": name, "address": address, "roles": ["control_plane"]} for name, address in MEMBERS.items()],
    }


class Upgrade:
    """The lab, both releases and the mirror serving them; `use(release)` points the cluster file at one."""

    def __init__(self, cluster: LabCluster, state_root: Path, releases: dict[str, Release], mirror: str) -> None:
        self.cluster, self.state_root, self.releases, self.mirror = cluster, state_root, releases, mirror

    def use(self, release: Release, version: str | None = None) -> None:
        data = cluster_data(self.state_root, release, self.mirror)
        if version is not None:
            data["etcd"]["version"] = version
        self.cluster.cluster_file.write_text(yaml.safe_dump(data, sort_keys=False))
        self.cluster.reload()

    def cli(self, *words: str) -> CliResult:
        return run_cli(*words[:1], str(self.cluster.cluster_file), "--out", str(self.cluster.out), *words[1:])


@pytest.fixture(scope="module")
def upgrade(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upgrade]:
    root = tmp_path_factory.mktemp("upgrade")
    releases = {"3.4": build_release(Path("/"), root / "mirror"),
                "3.5": build_release(image_rootfs(DEFAULT_CACHE_ROOT, ImageSpec()), root / "mirror")}
    assert releases["3.4"].version.startswith("3.4.") and releases["3.5"].version.startswith("3.5."), releases
    cluster_file = root / "clusters" / NAME / "cluster.yaml"
    cluster_file.parent.mkdir(parents=True)
    cluster_file.write_text(yaml.safe_dump(cluster_data(root / "labs", releases["3.4"], "http://unused")))
    lab = lab_for(topology_of(cluster_file), root / "labs")
    try:
        lab.up()
        with serve(root / "mirror", str(lab.bridge_address)) as mirror:
            labbed = Upgrade(LabCluster(NAME, cluster_file, lab, root / "build", {}), root / "labs", releases, mirror)
            labbed.use(releases["3.4"])
            first = labbed.cluster.apply()
            assert first.exit_code == 0, first.stdout + first.stderr
            yield labbed
    finally:
        lab.down()


def etcd_version(address: str, tree: Path) -> dict[str, str] | None:
    """GET /version of one member ({"etcdserver": ..., "etcdcluster": ...}), None when it refuses or fails."""
    pki, keys = tree / "pki" / "etcd", tree / "secrets" / "pki" / "etcd"
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    context.load_cert_chain(str(pki / "healthcheck-client.crt"), str(keys / "healthcheck-client.key"))
    connection = http.client.HTTPSConnection(address, 2379, context=context, timeout=1)
    try:
        connection.request("GET", "/version")
        response = connection.getresponse()
        return dict(json.loads(response.read())) if response.status == 200 else None
    except TimeoutError:
        return {"etcdserver": "slow to answer"}  # a busy machine, not a member down
    except OSError:
        return None
    finally:
        connection.close()


def versions(tree: Path) -> dict[str, str | None]:
    with ThreadPoolExecutor(len(MEMBERS)) as pool:
        answers = dict(zip(MEMBERS, pool.map(lambda address: etcd_version(address, tree), MEMBERS.values()),
                           strict=True))
    return {name: answer["etcdserver"] if answer else None for name, answer in answers.items()}


class VersionWatch(threading.Thread):
    """Each member's server version (None: no answer), every 0.2 s, from this machine."""

    def __init__(self, tree: Path) -> None:
        super().__init__(daemon=True)
        self.tree = tree
        self.samples: list[dict[str, str | None]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.samples.append(versions(self.tree))
            time.sleep(0.2)


def refused_and_unchanged(upgrade: Upgrade, before: dict[str, str | None]) -> str:
    result = upgrade.cli("apply", "--yes")
    assert result.exit_code == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert versions(upgrade.cluster.out) == before
    return lines[0]


def test_skipping_a_minor_release_is_refused_with_one_line_and_nothing_changes(upgrade: Upgrade) -> None:
    before = versions(upgrade.cluster.out)
    assert set(before.values()) == {upgrade.releases["3.4"].version}, before
    upgrade.use(upgrade.releases["3.5"], version="3.6.0")
    line = refused_and_unchanged(upgrade, before)
    assert f"etcd.version: 3.6.0 skips a minor release from {upgrade.releases['3.4'].version}" in line
    assert "upgrade to 3.5.x first" in line


def test_the_plan_shows_the_rolling_upgrade_step_by_step_leader_last(upgrade: Upgrade) -> None:
    upgrade.use(upgrade.releases["3.5"])
    planned = upgrade.cli("plan")
    assert planned.exit_code == 0, planned.stdout + planned.stderr
    steps = [line.strip() for line in planned.stdout.splitlines() if re.match(r"\s*\d+\. \[", line)]
    old, new = upgrade.releases["3.4"].version, upgrade.releases["3.5"].version
    assert "save a snapshot of etcd into the build folder's snapshots/up-upgrade-before-upgrade-" in steps[0]
    upgraded = [line.split("]")[0].split("[")[1] for line in steps[1:4]]
    assert sorted(upgraded) == sorted(MEMBERS)
    assert all(f"from {old} to {new}" in line for line in steps[1:4])
    assert steps[4].endswith("wait until every member reports cluster version 3.5")
    assert len(steps) == 5, planned.stdout
    leader = json.loads(upgrade.cluster.ssh(
        "cp1", "ETCDCTL_API=3 etcdctl --cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/healthcheck-client.crt "
               "--key /etc/etcd/pki/healthcheck-client.key --endpoints https://127.0.0.1:2379 endpoint status "
               "--write-out=json").stdout)[0]["Status"]["leader"]
    members = json.loads(upgrade.cluster.ssh(
        "cp1", "ETCDCTL_API=3 etcdctl --cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/healthcheck-client.crt "
               "--key /etc/etcd/pki/healthcheck-client.key --endpoints https://127.0.0.1:2379 member list "
               "--write-out=json").stdout)["members"]
    assert upgraded[-1] == next(m["name"] for m in members if m["ID"] == leader)
    refused = upgrade.cli("apply")
    assert refused.exit_code == 2 and "--yes" in refused.stderr


def test_the_upgrade_to_3_5_killed_half_way_is_finished_by_apply_again_and_loses_no_write(upgrade: Upgrade) -> None:
    """apply is killed (SIGKILL, its whole process group) as it announces the second member's upgrade: the
    cluster runs both releases; apply run again upgrades the members still behind, one at a time."""
    upgrade.use(upgrade.releases["3.5"])
    old, new = upgrade.releases["3.4"].version, upgrade.releases["3.5"].version
    watch = VersionWatch(upgrade.cluster.out)
    topology = topology_of(upgrade.cluster.cluster_file)
    with Workload(topology, upgrade.cluster.out, writer_host="cp1", probe=False, max_seconds=500) as workload:
        workload.start()
        workload.wait_for_acknowledged(50, timeout=60)
        watch.start()
        try:
            killed = apply_killed_at(upgrade.cluster, "(3/5) [", "--yes")
            half_way = versions(upgrade.cluster.out)
            resumed_plan = upgrade.cli("plan")
            started = time.monotonic()
            result = upgrade.cli("apply", "--yes")
            took = time.monotonic() - started
            time.sleep(1)
        finally:
            watch.stopping.set()
            watch.join(timeout=30)
        attempts = workload.stop()
        reads = workload.read_back({name: f"https://{address}:2379" for name, address in MEMBERS.items()})
        workload.remove_keys()
    assert "upgrade etcd on" in killed and f"from {old} to {new}" in killed, killed
    assert old in half_way.values() and new in half_way.values(), f"not half-way when killed: {half_way}"
    assert resumed_plan.exit_code == 0, resumed_plan.stdout + resumed_plan.stderr
    resumed = [line for line in resumed_plan.stdout.splitlines() if f"from {old} to {new}" in line]
    assert len(resumed) == sum(version != new for version in half_way.values()), resumed_plan.stdout
    assert result.exit_code == 0, result.stdout + result.stderr
    report = check_history(attempts, reads)
    phase = re.search(r"Upgrade etcd one member at a time\s+([0-9.]+)s", result.stdout)
    print(f"rolling upgrade finished after a kill: apply {took:.1f} s, upgrade phase {phase[1] if phase else '?'} s; "
          + "; ".join(report.lines()[:3]))
    assert report.ok and report.acknowledged > 100, "\n".join(report.lines())
    assert not report.lost
    samples = watch.samples
    assert len(samples) > 20
    assert all(sum(v is None for v in sample.values()) <= 1 for sample in samples), \
        "two members were down at once"
    switched: list[str] = []
    for sample in samples:
        now = sorted(name for name, version in sample.items() if version == new)
        added = [name for name in now if name not in switched]
        assert len(added) <= 1, f"members switched together: {added}"
        switched += added
    assert sorted(switched) == sorted(MEMBERS), samples[-1]
    for name, address in MEMBERS.items():
        answer = etcd_version(address, upgrade.cluster.out)
        assert answer == {"etcdserver": new, "etcdcluster": "3.5.0"}, f"{name}: {answer}"
    # A snapshot before each run that upgrades: the first of the untouched cluster, the second of the
    # cluster as the kill left it.
    snapshots = sorted((upgrade.cluster.out / "snapshots").glob(f"{NAME}-before-upgrade-*.db"))
    assert len(snapshots) == 2 and str(snapshots[0]) in killed and str(snapshots[1]) in result.stdout, snapshots
    described = json.loads(snapshots[0].with_suffix(".json").read_text())
    assert described["etcd_version"] == old
    again = upgrade.cli("plan")
    assert again.exit_code == 0 and "no changes" in again.stdout, again.stdout


def test_a_downgrade_is_refused_with_one_line_and_nothing_changes(upgrade: Upgrade) -> None:
    before = versions(upgrade.cluster.out)
    new = upgrade.releases["3.5"].version
    assert set(before.values()) == {new}, "runs after the upgrade"
    upgrade.use(upgrade.releases["3.4"])
    line = refused_and_unchanged(upgrade, before)
    assert f"etcd.version: {upgrade.releases['3.4'].version} is older than {new}" in line
