"""The CA rotation's decisions: which step comes next from the progress kept in the tree, and what every
host trusts during each step."""

from __future__ import annotations

from provisioner.certs.rotation import (
    STEPS,
    Finish,
    Prepare,
    RollOut,
    RotationState,
    next_action,
    plan_lines,
    remaining_steps,
    trusted_cas,
)

OLD, NEW = "sha256:" + "a" * 64, "sha256:" + "b" * 64


def state(step: str, rolled_out: bool) -> RotationState:
    return RotationState.model_validate({"step": step, "rolled_out": rolled_out, "old_ca": OLD, "new_ca": NEW})


def test_a_rotation_walks_the_three_steps_each_prepared_then_rolled_out_then_finishes() -> None:
    assert next_action(None) == Prepare("trust-both")
    assert next_action(state("trust-both", False)) == RollOut("trust-both")
    assert next_action(state("trust-both", True)) == Prepare("reissue")
    assert next_action(state("reissue", False)) == RollOut("reissue")
    assert next_action(state("reissue", True)) == Prepare("drop-old")
    assert next_action(state("drop-old", False)) == RollOut("drop-old")
    assert next_action(state("drop-old", True)) == Finish()


def test_a_stopped_rotation_has_only_what_is_left_to_roll_out() -> None:
    assert remaining_steps(None) == list(STEPS)
    assert remaining_steps(state("trust-both", False)) == ["trust-both", "reissue", "drop-old"]
    assert remaining_steps(state("trust-both", True)) == ["reissue", "drop-old"]
    assert remaining_steps(state("drop-old", True)) == []


def test_hosts_trust_old_and_new_until_every_leaf_comes_from_the_new_ca() -> None:
    # "ca" signs the leaves: the old CA during step 1, the new one from step 2 on.
    assert trusted_cas(None) == ("ca",)
    assert trusted_cas("trust-both") == ("ca", "ca-next")
    assert trusted_cas("reissue") == ("ca", "ca-previous")
    assert trusted_cas("drop-old") == ("ca",)


def test_the_plan_names_the_step_it_resumes_at_its_hosts_and_members() -> None:
    lines = plan_lines(state("trust-both", True), ["cp1", "cp2", "lb1"], ["cp1", "cp2"])
    assert lines[0].startswith("2. re-issue every etcd leaf")
    assert "files on cp1, cp2, lb1; etcd restarted one member at a time: cp1, cp2" in lines[0]
    assert lines[1].startswith("3. make every host trust the new CA only")
    assert "moved aside" in lines[2] and len(lines) == 3
    resumed = plan_lines(state("reissue", False), ["cp1"], ["cp1"])
    assert resumed[0].startswith("2. re-issue") and "(resumed: its files are in the build folder)" in resumed[0]
    assert plan_lines(None, ["cp1"], ["cp1"])[0].startswith("1. issue a new etcd CA beside the old one")


def test_with_kubeadm_every_step_restarts_kube_apiserver_after_the_members() -> None:
    lines = plan_lines(None, ["cp1", "cp2", "lb1"], ["cp1", "cp2"], ["cp1", "cp2"])
    for line in lines[:3]:
        assert line.endswith("files on cp1, cp2, lb1; etcd restarted one member at a time: cp1, cp2; then "
                             "kube-apiserver restarted one control-plane host at a time: cp1, cp2"), line
    assert all("kube-apiserver" not in line for line in plan_lines(None, ["cp1"], ["cp1"], []))
