"""`provisioner verify`, `up` and `down` refuse bad input with exit status 2 before touching any host."""

from __future__ import annotations

from pathlib import Path

import yaml

from provisioner.render import render
from provisioner.verify.preflight import check_rendered
from tests.conftest import run_cli
from tests.verify.fakes import example_topology


def test_verify_without_a_rendered_tree_says_to_render_first(tmp_path: Path) -> None:
    example_topology("lab-stacked", tmp_path)
    result = run_cli("verify", str(tmp_path / "cluster.yaml"))
    assert result.exit_code == 2
    assert "no rendered tree here: run `provisioner render`" in result.stderr


def test_verify_refuses_a_tree_rendered_from_another_version_of_the_file(tmp_path: Path) -> None:
    topology = example_topology("lab-stacked", tmp_path)
    render(topology, tmp_path / "build")
    data = yaml.safe_load((tmp_path / "cluster.yaml").read_text())
    data["hosts"][0]["address"] = "198.18.0.19"
    (tmp_path / "cluster.yaml").write_text(yaml.safe_dump(data))
    result = run_cli("verify", str(tmp_path / "cluster.yaml"))
    assert result.exit_code == 2
    assert "rendered from a different version of" in result.stderr


def test_a_tree_stays_this_cluster_files_when_only_how_ssh_reaches_the_hosts_changed(tmp_path: Path) -> None:
    render(example_topology("lab-stacked", tmp_path), tmp_path / "build")
    # A bastion moved: nothing apply places changes, and verify reaches the hosts as the file now says.
    check_rendered(example_topology("lab-stacked", tmp_path, ssh={"bastion": "jump@198.18.0.250:2222"}),
                   tmp_path / "build")


def test_verify_refuses_a_tree_whose_placed_files_differ_although_its_inventory_matches(tmp_path: Path) -> None:
    example_topology("lab-stacked", tmp_path)
    assert run_cli("render", str(tmp_path / "cluster.yaml")).exit_code == 0
    # An etcd setting reaches etcd.conf.yml only: the inventory stays the same.
    example_topology("lab-stacked", tmp_path, etcd={"snapshot_count": 5000})
    result = run_cli("verify", str(tmp_path / "cluster.yaml"))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert (f"rendered from a different version of {tmp_path / 'cluster.yaml'} (hosts/cp1/etcd.conf.yml, "
            "hosts/cp2/etcd.conf.yml, hosts/cp3/etcd.conf.yml differ)") in result.stderr


def test_verify_refuses_a_tree_with_a_file_changed_by_hand_or_a_certificate_render_would_replace(
        tmp_path: Path) -> None:
    example_topology("lab-stacked", tmp_path)
    build = tmp_path / "build"
    assert run_cli("render", str(tmp_path / "cluster.yaml")).exit_code == 0
    haproxy = build / "hosts/lb2/haproxy.cfg"
    original = haproxy.read_text()
    haproxy.write_text(original + "# edited\n")
    result = run_cli("verify", str(tmp_path / "cluster.yaml"))
    assert result.exit_code == 2 and "(hosts/lb2/haproxy.cfg differ)" in result.stderr
    haproxy.write_text(original)
    (build / "pki/etcd/members/cp2/peer.crt").unlink()
    result = run_cli("verify", str(tmp_path / "cluster.yaml"))
    assert result.exit_code == 2 and "(render would issue etcd/members/cp2/peer again)" in result.stderr


def test_a_missing_private_key_is_bad_input_before_any_host_is_contacted(tmp_path: Path) -> None:
    key = tmp_path / "absent_ed25519"
    topology = example_topology("lab-stacked", tmp_path, ssh={"private_key": str(key)})
    render(topology, tmp_path / "build")
    result = run_cli("verify", str(tmp_path / "cluster.yaml"))
    assert (result.exit_code, result.stderr) == (2, f"error: {topology.source}: ssh.private_key: expected a "
                                                    f"private key file on this machine, {key} is not one\n")
    assert result.stdout == ""


def test_verify_of_a_missing_or_invalid_cluster_file_is_bad_input(tmp_path: Path) -> None:
    assert run_cli("verify", str(tmp_path / "nope.yaml")).exit_code == 2
    (tmp_path / "bad.yaml").write_text("name: x\n")
    assert run_cli("verify", str(tmp_path / "bad.yaml")).exit_code == 2


def test_down_without_lab_refuses_to_touch_real_servers(tmp_path: Path) -> None:
    example_topology("lab-stacked", tmp_path)
    result = run_cli("down", str(tmp_path / "cluster.yaml"))
    assert result.exit_code == 2
    assert "down --lab" in result.stderr


def test_up_lab_refuses_a_cluster_file_whose_ssh_settings_are_not_the_labs(tmp_path: Path) -> None:
    example_topology("lab-stacked", tmp_path, ssh={"private_key": "/root/.ssh/id_ed25519"})
    result = run_cli("up", "--lab", str(tmp_path / "cluster.yaml"))
    assert result.exit_code == 2
    assert "lab machines are reached with ssh.private_key" in result.stderr
    assert not (tmp_path / "build").exists()
