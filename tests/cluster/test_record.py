"""Moving the record aside once the machines it describes are gone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from provisioner.cluster.record import RECORD_FILE, read_record, retire_record


def test_the_record_is_moved_aside_never_deleted(tmp_path: Path) -> None:
    (tmp_path / RECORD_FILE).write_text("cluster_name: lab\n")
    aside = retire_record(tmp_path, datetime(2026, 11, 29, 2, 40, 5, tzinfo=UTC))
    assert aside == tmp_path / "record-of-removed-machines-20261129T024005Z.yml"
    assert aside.read_text() == "cluster_name: lab\n" and read_record(tmp_path) is None


def test_no_record_nothing_moved(tmp_path: Path) -> None:
    assert retire_record(tmp_path, datetime.now(UTC)) is None
    assert list(tmp_path.iterdir()) == []
