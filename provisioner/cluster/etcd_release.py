"""Whether the etcd a host runs is the release `etcd.version` names.

The minor release (3.5) is what matters: it sets the cluster version, the storage format and the
flags etcd accepts, so a distribution package of another minor release is refused. A patch release
(3.5.15 for 3.5.16) only differs by fixes: apply warns and verify reports it.
"""

from __future__ import annotations

import re
from enum import StrEnum

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")
# `etcd --version` prints "etcd Version: 3.5.16" on its first line.
_ETCD_VERSION_LINE = re.compile(r"^etcd Version:\s*(\S+)", re.MULTILINE)


class Difference(StrEnum):
    NONE = "none"
    PATCH = "patch"
    MINOR = "minor"        # a different major or minor release
    UNKNOWN = "unknown"    # not a version this tool can read


def difference(found: str, wanted: str) -> Difference:
    found_parts, wanted_parts = _VERSION.match(found.strip()), _VERSION.match(wanted.strip())
    if found_parts is None or wanted_parts is None:
        return Difference.UNKNOWN
    if found_parts.groups()[:2] != wanted_parts.groups()[:2]:
        return Difference.MINOR
    return Difference.NONE if found_parts.groups() == wanted_parts.groups() else Difference.PATCH


def version_of_etcd_binary(output: str) -> str | None:
    """The version in `etcd --version` output, or None."""
    match = _ETCD_VERSION_LINE.search(output)
    return match.group(1) if match else None
