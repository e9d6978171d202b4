"""etcdctl command lines (TLS with a client certificate) and readers for its JSON answers."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from provisioner import hostpaths

# Short: a stopped member costs the whole timeout of every call that includes it.
DIAL_TIMEOUT = "2s"
COMMAND_TIMEOUT = "3s"


@dataclass(frozen=True)
class ClientCertificate:
    ca: str
    cert: str
    key: str


# The certificate each etcd member's own health checks use (apply and verify alike).
MEMBER_CLIENT = ClientCertificate(hostpaths.ETCD_CA, hostpaths.ETCD_HEALTHCHECK_CERT, hostpaths.ETCD_HEALTHCHECK_KEY)


def etcdctl(endpoints: Sequence[str], client: ClientCertificate, *words: str,
            command_timeout: str = COMMAND_TIMEOUT) -> str:
    """A shell command running etcdctl with JSON output; `words` are the subcommand and its flags."""
    argv = ["etcdctl", f"--endpoints={','.join(endpoints)}", f"--cacert={client.ca}", f"--cert={client.cert}",
            f"--key={client.key}", f"--dial-timeout={DIAL_TIMEOUT}", f"--command-timeout={command_timeout}",
            "--write-out=json", *words]
    # The API version is pinned so an older etcdctl never falls back to the v2 API.
    return "ETCDCTL_API=3 " + shlex.join(argv)


@dataclass(frozen=True)
class EndpointStatus:
    endpoint: str
    member_id: int
    leader: int
    revision: int
    raft_term: int
    version: str = ""  # the etcd release the member runs


@dataclass(frozen=True)
class EndpointHash:
    endpoint: str
    hash: int
    revision: int


def _json(text: str) -> Any:
    """etcdctl prints its JSON on one line even when some endpoints failed; stderr says which."""
    text = text.strip()
    return json.loads(text) if text else None


def statuses(text: str) -> list[EndpointStatus]:
    return [EndpointStatus(endpoint=entry["Endpoint"], member_id=entry["Status"]["header"]["member_id"],
                           leader=entry["Status"]["leader"], revision=entry["Status"]["header"]["revision"],
                           raft_term=entry["Status"]["raftTerm"], version=str(entry["Status"].get("version", "")))
            for entry in _json(text) or []]


def hashes(text: str) -> list[EndpointHash]:
    return [EndpointHash(endpoint=entry["Endpoint"], hash=entry["HashKV"]["hash"],
                         revision=entry["HashKV"].get("hash_revision") or entry["HashKV"]["header"]["revision"])
            for entry in _json(text) or []]


def health(text: str) -> dict[str, tuple[bool, str]]:
    """Endpoint -> (healthy, error)."""
    return {entry["endpoint"]: (bool(entry.get("health")), entry.get("error", "")) for entry in _json(text) or []}


def behind(earlier: dict[str, int], later: dict[str, int]) -> dict[str, int]:
    """Members (name: revision) whose revision read `later` is still below the highest one read `earlier`.
    While clients write, members read a moment apart rarely show one revision; a healthy follower has
    caught up with what any member had a moment before, a lagging one has not."""
    reached = max(earlier.values(), default=0)
    return {name: revision for name, revision in sorted(later.items()) if revision < reached}


def first_error(stderr: str) -> str:
    """The line of etcdctl's stderr an operator needs: its own message, not the gRPC retry log."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not line.lstrip().startswith("{")]
    return lines[-1] if lines else stderr.strip()[-200:]
