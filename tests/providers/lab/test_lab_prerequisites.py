"""The inotify instance limit a lab of many machines needs, raised only when it is lower."""

from __future__ import annotations

from pathlib import Path

from provisioner.providers.lab.prerequisites import INOTIFY_INSTANCES_NEEDED, raise_inotify_instances


def test_a_low_limit_is_raised_and_said(tmp_path: Path) -> None:
    limit = tmp_path / "max_user_instances"
    limit.write_text("128\n")
    assert raise_inotify_instances(limit) == (128, INOTIFY_INSTANCES_NEEDED)
    assert int(limit.read_text()) == INOTIFY_INSTANCES_NEEDED


def test_a_higher_limit_is_left_alone(tmp_path: Path) -> None:
    limit = tmp_path / "max_user_instances"
    limit.write_text("8192\n")
    assert raise_inotify_instances(limit) is None
    assert limit.read_text() == "8192\n"
