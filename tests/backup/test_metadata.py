from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.backup.metadata import SnapshotMember, SnapshotMetadata, hex_id, metadata_path

EXAMPLE = SnapshotMetadata(
    cluster="lab-stacked", cluster_id="d1cd7b2bd8c93b2a", revision=2001, total_keys=2008, etcd_version="3.5.16",
    members=(SnapshotMember("cp1", "bdae4fc2b0cc0e0d", ("https://198.18.0.11:2380",)),),
    taken_from="cp1", taken_at="2026-11-28T17:50:07Z", size=24576, sha256="0" * 64)


def test_the_description_reads_back_as_written() -> None:
    assert SnapshotMetadata.from_json(EXAMPLE.to_json()) == EXAMPLE


@pytest.mark.parametrize("text", ["", "[]", '{"format": 2}', '{"format": 1, "cluster": "x"}'])
def test_anything_else_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match=r"snapshot description|unknown format"):
        SnapshotMetadata.from_json(text)


def test_the_description_sits_beside_the_snapshot() -> None:
    assert metadata_path(Path("/b/snapshots/c-20260101T000000Z.db")) == Path("/b/snapshots/c-20260101T000000Z.json")


def test_ids_are_shown_as_etcd_shows_them() -> None:
    # etcdctl 3.4: `member list -w json` gave this ID, the table output showed bdae9bbc11dd390d.
    assert hex_id(13668033151171901709) == "bdae9bbc11dd390d"
