"""Read every key under a prefix from each etcd member separately, and print one JSON document.

Runs on a control-plane host (session.py pipes it to `python3 -`), standard library only, no imports
from this package. Each member is asked at its own client URL through the v3 JSON gateway
(`POST /v3/kv/range`), page by page.

Reads are linearizable (the default, `serializable: false`), and that is the point: a member answering
a linearizable range first asks the leader for the current commit index (ReadIndex), waits until its own
state machine has applied up to it, and then serves the range from its own store. So each answer is that
member's own data, and it is known to be caught up with everything committed before the read; a
serializable read would be the member's data too, but a member still catching up after a fault would
answer with a stale view, and the checker would call writes lost that are merely late. The price is that
a linearizable read needs a quorum, which is the state the history is checked in (after recovery).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import ssl
import sys
from typing import Any
from urllib.parse import urlsplit

PAGE_SIZE = 1000
TIMEOUT_SECONDS = 10.0


def prefix_end(prefix: bytes) -> bytes:
    """etcd's range_end for "every key starting with prefix": the prefix with its last byte incremented."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return b"\x00"  # every key
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def read_member(url: str, prefix: str, context: ssl.SSLContext,
                timeout: float = TIMEOUT_SECONDS) -> dict[str, list[Any]]:
    """key -> [value, mod_revision] for every key under prefix, as the member at url holds it."""
    parts = urlsplit(url)
    connection = http.client.HTTPSConnection(parts.hostname or "", parts.port or 2379, timeout=timeout,
                                             context=context)
    held: dict[str, list[Any]] = {}
    start, end = prefix.encode(), prefix_end(prefix.encode())
    try:
        while True:
            body = {"key": _b64(start), "range_end": _b64(end), "limit": PAGE_SIZE, "serializable": False}
            connection.request("POST", "/v3/kv/range", body=json.dumps(body),
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {payload[:300].decode('utf-8', 'replace').strip()}")
            answer = json.loads(payload)
            kvs = answer.get("kvs", [])
            for kv in kvs:
                key = base64.b64decode(kv["key"]).decode("utf-8", "replace")
                value = base64.b64decode(kv.get("value", "")).decode("utf-8", "replace")
                held[key] = [value, int(kv["mod_revision"])]
            if not answer.get("more") or not kvs:
                return held
            start = base64.b64decode(kvs[-1]["key"]) + b"\x00"
    finally:
        connection.close()


def read_members(members: dict[str, str], prefix: str, context: ssl.SSLContext) -> dict[str, Any]:
    """{"members": {name: {"keys": {...}, "error": ""}}}: a member that cannot be read says why."""
    answers: dict[str, Any] = {}
    for name, url in members.items():
        try:
            answers[name] = {"keys": read_member(url, prefix, context), "error": ""}
        except Exception as error:  # every failure is an answer: refused, timeout, no quorum
            answers[name] = {"keys": {}, "error": f"{type(error).__name__}: {error}"}
    return {"members": answers}


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Read every key under a prefix from each etcd member.")
    parser.add_argument("--member", action="append", required=True, help="NAME=CLIENT_URL; repeat")
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--cacert", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    context = ssl.create_default_context(cafile=arguments.cacert)
    context.load_cert_chain(arguments.cert, arguments.key)
    members = dict(member.split("=", 1) for member in arguments.member)
    print(json.dumps(read_members(members, arguments.prefix, context)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
