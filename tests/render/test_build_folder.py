"""The build folder is safe to point anywhere: render writes only into an empty folder or its own, and
removes only files it wrote, naming each."""

from __future__ import annotations

from pathlib import Path

import yaml

from provisioner.cluster.record import Record, RecordedCas, RecordedMember, read_record, write_record
from provisioner.render.folder import MANIFEST
from tests.conftest import EXAMPLES, run_cli

EXTERNAL = EXAMPLES / "lab-external/cluster.yaml"


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_a_folder_with_files_of_its_own_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    result = run_cli("render", str(EXTERNAL), "--out", str(tmp_path))
    assert (result.exit_code, result.stderr) == (
        2, f"error: --out {tmp_path}: the folder holds files and no {MANIFEST}, so it is not a build folder of this "
           "tool; choose an empty or new folder\n")
    assert _files(tmp_path) == {"notes.txt"}


def test_a_new_folder_holding_only_the_record_apply_brought_back_from_a_member_is_rendered_into(
        tmp_path: Path) -> None:
    record = Record(cluster="lab-external", layout="external", etcd_cluster_id="cdf818194e3a8c32",
                    data_dir="/var/lib/etcd", initial_cluster="etcd1=https://198.18.1.21:2380",
                    members=(RecordedMember(name="etcd1", id="8e9e05c52164694d", peer_url="https://198.18.1.21:2380"),),
                    ca=RecordedCas())
    write_record(tmp_path, record)
    assert run_cli("render", str(EXTERNAL), "--out", str(tmp_path)).exit_code == 0
    assert read_record(tmp_path) == record
    assert "record.yml" not in yaml.safe_load((tmp_path / MANIFEST).read_text())["files"]


def test_an_empty_folder_becomes_a_build_folder_whose_manifest_lists_every_file_render_wrote(
        tmp_path: Path) -> None:
    assert run_cli("render", str(EXTERNAL), "--out", str(tmp_path)).exit_code == 0
    listed = set(yaml.safe_load((tmp_path / MANIFEST).read_text())["files"])
    assert listed == _files(tmp_path) - {MANIFEST}
    assert {"secrets/pki/etcd/ca.key", "pki/etcd/members/etcd3/peer.crt", "hosts/lb1/haproxy.cfg"} <= listed


def test_only_files_render_wrote_are_removed_and_each_removal_is_reported(tmp_path: Path) -> None:
    source = EXTERNAL.read_text()
    cluster_file, out = tmp_path / "cluster.yaml", tmp_path / "out"
    cluster_file.write_text(source)
    assert run_cli("render", str(cluster_file), "--out", str(out)).exit_code == 0
    operator_files = ["hosts/etcd3/runbook.md", "pki/etcd/members/etcd3/backup.key", "hosts/notes.txt"]
    for name in operator_files:
        (out / name).write_text("kept by the operator\n")
    cluster_file.write_text(source.replace("  - {name: etcd3, address: 198.18.0.23, roles: [etcd]}\n", ""))
    result = run_cli("render", str(cluster_file), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    removed = sorted(line.split()[1] for line in result.stdout.splitlines() if line.startswith("  removed "))
    assert removed == ["hosts/etcd3/etcd.conf.yml", "hosts/etcd3/etcd.service", "hosts/etcd3/files.yml",
                       "pki/etcd/members/etcd3/peer.crt", "pki/etcd/members/etcd3/server.crt",
                       "secrets/pki/etcd/members/etcd3/peer.key", "secrets/pki/etcd/members/etcd3/server.key"]
    assert f"{len(removed)} removed" in result.stdout
    for name in operator_files:
        assert (out / name).read_text() == "kept by the operator\n", name
    assert not (out / "secrets/pki/etcd/members/etcd3").exists(), "a folder left empty goes too"
    assert "etcd3" not in (out / MANIFEST).read_text()


def test_a_damaged_manifest_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / MANIFEST).write_text("files: [unclosed\n")
    result = run_cli("render", str(EXTERNAL), "--out", str(tmp_path))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: {tmp_path / MANIFEST}: cannot be read (")
    assert _files(tmp_path) == {MANIFEST}


def test_a_manifest_naming_files_outside_the_folder_removes_nothing_there(tmp_path: Path) -> None:
    outside = tmp_path / "precious.txt"
    outside.write_text("keep\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST).write_text(yaml.safe_dump({"files": ["../precious.txt", str(outside)]}))
    assert run_cli("render", str(EXTERNAL), "--out", str(out)).exit_code == 0
    assert outside.read_text() == "keep\n"


def test_a_tree_rendered_before_the_manifest_keeps_its_cas_and_its_keys_move_to_the_private_folder(
        tmp_path: Path) -> None:
    assert run_cli("render", str(EXTERNAL), "--out", str(tmp_path)).exit_code == 0
    # The earlier layout: no manifest, every private key beside its certificate under pki/.
    (tmp_path / MANIFEST).unlink()
    for key in sorted((tmp_path / "secrets/pki").rglob("*.key")):
        key.rename(tmp_path / "pki" / key.relative_to(tmp_path / "secrets/pki"))
    ca = (tmp_path / "pki/etcd/ca.crt").read_bytes()
    (tmp_path / "hosts/notes.txt").write_text("kept\n")
    result = run_cli("render", str(EXTERNAL), "--out", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert "0 removed" in result.stdout and (tmp_path / "hosts/notes.txt").read_text() == "kept\n"
    assert (tmp_path / "pki/etcd/ca.crt").read_bytes() == ca, "the CA every member trusts is kept"
    assert not list((tmp_path / "pki").rglob("*.key"))
    assert (tmp_path / "secrets/pki/etcd/ca.key").is_file() and (tmp_path / MANIFEST).is_file()
