"""etcd membership through the cluster file, on real lab machines and real etcd: an external cluster
grows 3 -> 5 and shrinks 5 -> 3, a member is replaced after its machine was rebuilt, apply killed in the
middle of an addition and of a removal is finished by running it again, and every refusal leaves the
hosts as they were (the stacked 1 -> 3 growth is in test_membership_stacked_lab.py).

One lab (ls-external: cp1 + etcd1..etcd5 on 198.18.10.0/24) shared by the tests of the module, which
run in order; needs root and the lab tools."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator

import pytest

from provisioner.providers.lab import lab_prerequisites_problems
from tests.apply.membership_labs import (
    SUBNET,
    MembershipLab,
    apply_killed_at,
    cluster_ids_seen,
    nothing_lost,
    writing,
)

PROBLEMS = lab_prerequisites_problems()
pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(bool(PROBLEMS), reason="lab cannot run here: " + "; ".join(PROBLEMS)),
]

THREE = ["etcd1", "etcd2", "etcd3"]
FIVE = [*THREE, "etcd4", "etcd5"]


@pytest.fixture(scope="module")
def external(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MembershipLab]:
    machines = {"cp1": f"{SUBNET}.11", **{f"etcd{i}": f"{SUBNET}.2{i}" for i in range(1, 6)}}
    lab = MembershipLab("ls-external", "external", machines, tmp_path_factory.mktemp("ls-external"))
    try:
        lab.lab.up()
        lab.write(THREE)
        result = lab.cli("apply")
        assert result.exit_code == 0, result.stdout + result.stderr
        yield lab
    finally:
        lab.lab.down()


def _sha(lab: MembershipLab, host: str, path: str) -> str:
    return hashlib.sha256(lab.ssh(host, f"cat {path}").encode()).hexdigest()


def _facts(lab: MembershipLab) -> dict[str, object]:
    """What a refusal must leave as it was: each machine's etcd process, unit state, member view, files."""
    facts: dict[str, object] = {}
    for host in lab.machines:
        listing = lab.ssh(host, "ls -a /var/lib; ls -a /var/lib/etcd 2>/dev/null; "
                                "cat /etc/etcd/etcd.conf.yml /var/lib/provisioner/record.yml 2>/dev/null", check=False)
        facts[host] = (lab.main_pid(host), lab.unit(host), lab.status(host), listing)
    return facts


def test_a_new_cluster_is_bootstrapped_once_and_recorded_in_the_build_folder_and_on_every_member(
        external: MembershipLab) -> None:
    cluster_id = external.one_cluster(THREE)
    record = (external.out / "record.yml").read_text()
    assert f"etcd_cluster_id: {cluster_id:x}" in record
    for host in THREE:
        assert external.ssh(host, "cat /var/lib/provisioner/record.yml") == record
    assert "no changes" in external.cli("plan").stdout


def test_growing_3_to_5_adds_learners_one_at_a_time_without_restarting_existing_members(
        external: MembershipLab) -> None:
    key, value = f"/ls/{uuid.uuid4().hex}", uuid.uuid4().hex
    external.put("etcd1", key, value)
    cluster_id = external.one_cluster(THREE)
    pids = {host: external.main_pid(host) for host in THREE}
    configs = {host: _sha(external, host, "/etc/etcd/etcd.conf.yml") for host in THREE}
    with writing(external) as workload:
        external.write(FIVE)
        planned = external.cli("plan").stdout
        assert "add etcd member etcd4 as a learner" in planned and "promote etcd5" in planned, planned
        with cluster_ids_seen(external, FIVE) as seen:
            result = external.cli("apply")
        assert result.exit_code == 0, result.stdout + result.stderr
        nothing_lost(workload, external, FIVE)
    assert seen == {cluster_id}
    assert external.one_cluster(FIVE) == cluster_id
    listed = external.members("etcd5")
    assert sorted(m["name"] for m in listed) == FIVE and not any(m.get("isLearner") for m in listed)
    assert {host: external.main_pid(host) for host in THREE} == pids
    assert {host: _sha(external, host, "/etc/etcd/etcd.conf.yml") for host in THREE} == configs
    assert external.get("etcd5", key) == value
    # The joining start-up settings are gone once promoted: a restart uses the rendered configuration.
    assert external.ssh("etcd5", "ls /etc/systemd/system/etcd.service.d/ 2>/dev/null; true").strip() == ""


def test_shrinking_without_yes_prints_the_plan_and_touches_nothing(external: MembershipLab) -> None:
    external.write(THREE)
    before = _facts(external)
    result = external.cli("apply")
    assert result.exit_code == 2
    assert "remove etcd member etcd4" in result.stdout
    assert "run again with --yes" in result.stderr
    assert _facts(external) == before


def test_shrinking_5_to_3_moves_leadership_removes_members_and_keeps_their_data_aside(
        external: MembershipLab) -> None:
    external.move_leader("etcd5", FIVE)
    cluster_id = external.one_cluster(FIVE)
    external.write(FIVE)  # the writer uses every member of the moment, as the API server would
    with writing(external) as workload:
        external.write(THREE)
        result = external.cli("apply", "--yes")
        assert result.exit_code == 0, result.stdout + result.stderr
        nothing_lost(workload, external, THREE)
    assert "move etcd leadership from etcd5 to" in result.stdout
    assert external.one_cluster(THREE) == cluster_id
    assert sorted(m["name"] for m in external.members("etcd1")) == THREE
    for host in ("etcd4", "etcd5"):
        assert external.unit(host) == ("inactive", "disabled")
        kept = external.ssh(host, "ls -d /var/lib/etcd.removed-*").split()
        assert len(kept) == 1 and f"{host}: etcd's data kept in {kept[0]}" in result.stdout
        assert external.ssh(host, f"ls {kept[0]}").split() == ["member"]


def test_apply_killed_after_member_add_is_finished_by_running_it_again(external: MembershipLab) -> None:
    cluster_id = external.one_cluster(THREE)
    external.write([*THREE, "etcd4"])
    apply_killed_at(external, "start etcd on etcd4 joining")
    learners = [m for m in external.members("etcd1") if m.get("isLearner")]
    assert len(learners) == 1 and learners[0]["peerURLs"] == [f"https://{SUBNET}.24:2380"]
    with cluster_ids_seen(external, [*THREE, "etcd4"]) as seen:
        result = external.cli("apply")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert seen == {cluster_id}
    assert external.one_cluster([*THREE, "etcd4"]) == cluster_id
    assert not any(m.get("isLearner") for m in external.members("etcd4"))


def test_apply_killed_after_leadership_moved_is_finished_by_running_it_again(external: MembershipLab) -> None:
    external.move_leader("etcd4", [*THREE, "etcd4"])
    cluster_id = external.one_cluster([*THREE, "etcd4"])
    external.write(THREE)
    printed = apply_killed_at(external, "remove etcd member etcd4", "--yes")
    assert "move etcd leadership from etcd4 to etcd1" in printed
    # Killed as the removal started: leadership has moved; the removal itself may or may not have run.
    etcd4_id = next(m["ID"] for m in [*external.members("etcd1"), {"name": "etcd4", "ID": -1}]
                    if m["name"] == "etcd4")
    assert external.status("etcd1")["leader"] != etcd4_id  # type: ignore[index]
    result = external.cli("apply", "--yes")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert external.one_cluster(THREE) == cluster_id
    assert sorted(m["name"] for m in external.members("etcd1")) == THREE
    assert external.unit("etcd4") == ("inactive", "disabled")


def test_refusals_say_what_differs_and_leave_every_host_untouched(external: MembershipLab) -> None:
    external.write(THREE)
    before = _facts(external)
    external.write(THREE, etcd={"install": "package", "data_dir": "/srv/etcd"})
    result = external.cli("apply")
    assert result.exit_code == 2 and "etcd.data_dir: the members keep their data in /var/lib/etcd" in result.stderr
    external.write(THREE, name="ls-renamed")
    result = external.cli("apply")
    assert result.exit_code == 2 and "name: the cluster was built as 'ls-external'" in result.stderr
    external.write(THREE)
    # The CA certificate and its key, in the reviewable tree and in secrets/.
    ca = [external.out / "pki/etcd/ca.crt", external.out / "secrets/pki/etcd/ca.key"]
    aside = external.folder / "ca-aside"
    aside.mkdir()
    for path in ca:
        path.rename(aside / path.name)
    try:
        result = external.cli("apply")
        assert result.exit_code == 2 and "pki/etcd/ca.crt in the build folder" in result.stderr, result.stderr
    finally:
        for path in ca:
            (aside / path.name).replace(path)
    assert _facts(external) == before
    result = external.cli("apply")  # the recorded CA back: every certificate the members hold is valid again
    assert result.exit_code == 0, result.stdout + result.stderr


def test_a_rebuilt_member_is_refused_by_apply_and_replaced_by_etcd_replace(external: MembershipLab) -> None:
    key, value = f"/ls/{uuid.uuid4().hex}", uuid.uuid4().hex
    external.put("etcd1", key, value)
    cluster_id = external.one_cluster(THREE)
    old_id = external.status("etcd2")["member_id"]  # type: ignore[index]
    external.lab.reset("etcd2")
    before = _facts(external)
    result = external.cli("apply")
    assert result.exit_code == 2
    assert f"`provisioner etcd replace {external.cluster_file} etcd2`" in result.stderr
    assert _facts(external) == before
    with writing(external) as workload:
        result = run_replace(external, "etcd2")
        assert result.exit_code == 0, result.stdout + result.stderr
        nothing_lost(workload, external, THREE)
    assert external.one_cluster(THREE) == cluster_id
    assert external.status("etcd2")["member_id"] != old_id  # type: ignore[index]
    assert external.get("etcd2", key) == value


def run_replace(lab: MembershipLab, host: str) -> object:
    from tests.conftest import run_cli

    return run_cli("etcd", "replace", str(lab.cluster_file), host, "--out", str(lab.out), "--yes")
