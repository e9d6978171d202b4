"""What a snapshot is, written as JSON beside it: enough to trust the file and to restore it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

FORMAT = 1


@dataclass(frozen=True)
class SnapshotMember:
    name: str
    id: str  # hexadecimal, as etcdctl's table output shows member IDs
    peer_urls: tuple[str, ...]


@dataclass(frozen=True)
class SnapshotMetadata:
    cluster: str  # the cluster file's name
    cluster_id: str  # hexadecimal
    revision: int
    total_keys: int
    etcd_version: str
    members: tuple[SnapshotMember, ...]
    taken_from: str  # the member the snapshot was streamed from
    taken_at: str  # UTC, ISO 8601
    size: int
    sha256: str

    def to_json(self) -> str:
        data: dict[str, Any] = {"format": FORMAT, **asdict(self)}
        data["members"] = [{**asdict(member), "peer_urls": list(member.peer_urls)} for member in self.members]
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SnapshotMetadata:
        """Raises ValueError (with the reason) for anything that is not a snapshot description."""
        try:
            data = json.loads(text)
            if data.pop("format") != FORMAT:
                raise ValueError(f"unknown format {data.get('format')!r}")
            members = tuple(SnapshotMember(m["name"], m["id"], tuple(m["peer_urls"])) for m in data.pop("members"))
            return cls(members=members, **data)
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"not a snapshot description: {error}") from None


def metadata_path(snapshot: Path) -> Path:
    """The JSON beside a snapshot: cluster-20260101T000000Z.db -> cluster-20260101T000000Z.json."""
    return snapshot.with_suffix(".json")


def hex_id(number: int) -> str:
    """etcd prints cluster and member IDs as hexadecimal; its JSON output gives them as numbers."""
    return f"{number:x}"
