"""Which etcd releases count as the one etcd.version names: the minor release decides."""

from __future__ import annotations

import pytest

from provisioner.cluster.etcd_release import Difference, difference, version_of_etcd_binary


@pytest.mark.parametrize(("found", "wanted", "expected"), [
    ("3.5.16", "3.5.16", Difference.NONE), ("v3.5.16", "3.5.16", Difference.NONE),
    ("3.5.15", "3.5.16", Difference.PATCH), ("3.4.23", "3.5.16", Difference.MINOR),
    ("4.0.0", "3.5.16", Difference.MINOR), ("3.6.0", "3.5.16", Difference.MINOR),
    ("", "3.5.16", Difference.UNKNOWN), ("not-a-version", "3.5.16", Difference.UNKNOWN),
])
def test_difference(found: str, wanted: str, expected: Difference) -> None:
    assert difference(found, wanted) is expected


def test_the_version_is_read_from_etcd_version_output() -> None:
    output = "etcd Version: 3.5.16\nGit SHA: Not provided\nGo Version: go1.22.6\nGo OS/Arch: linux/amd64\n"
    assert version_of_etcd_binary(output) == "3.5.16"
    assert version_of_etcd_binary("bash: etcd: command not found") is None
