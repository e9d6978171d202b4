"""etcd's JSON gateway (/v3/...) from this machine with a client certificate of the rendered tree.

Tests write and read keys this way, not through the code under test: one kept-alive TLS connection per
member makes thousands of writes take seconds instead of one etcdctl process per key.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class EtcdHttp:
    def __init__(self, connection: http.client.HTTPConnection) -> None:
        self.connection = connection

    def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self.connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = self.connection.getresponse()
        answer = response.read()
        assert response.status == 200, f"{path}: {response.status} {answer[:300]!r}"
        return dict(json.loads(answer))

    def put(self, key: bytes, value: bytes) -> int:
        return int(self.call("/v3/kv/put", {"key": _b64(key), "value": _b64(value)})["header"]["revision"])

    def everything(self) -> tuple[int, dict[bytes, bytes]]:
        """(revision, every key with its value), read from this member alone (serializable)."""
        answer = self.call("/v3/kv/range", {"key": _b64(b"\0"), "range_end": _b64(b"\0"), "serializable": True})
        pairs = {base64.b64decode(kv["key"]): base64.b64decode(kv.get("value", "")) for kv in answer.get("kvs", [])}
        return int(answer["header"]["revision"]), pairs

    def status(self) -> dict[str, Any]:
        return self.call("/v3/maintenance/status", {})

    def close(self) -> None:
        self.connection.close()


@contextmanager
def etcd_http(address: str, tree: Path) -> Iterator[EtcdHttp]:
    """A member of the cluster rendered into `tree`, over TLS with the tree's health-check client cert."""
    pki, keys = tree / "pki" / "etcd", tree / "secrets" / "pki" / "etcd"
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    context.load_cert_chain(str(pki / "healthcheck-client.crt"), str(keys / "healthcheck-client.key"))
    client = EtcdHttp(http.client.HTTPSConnection(address, 2379, context=context, timeout=30))
    try:
        yield client
    finally:
        client.close()


def digest(pairs: dict[bytes, bytes]) -> str:
    """One sha256 over every key and value, in key order."""
    hashed = hashlib.sha256()
    for key in sorted(pairs):
        hashed.update(len(key).to_bytes(4, "big") + key + len(pairs[key]).to_bytes(4, "big") + pairs[key])
    return hashed.hexdigest()


def varied_pairs(count: int, prefix: bytes = b"/lc/") -> dict[bytes, bytes]:
    """Keys with values from 1 byte to about 24 KiB, not compressible, reproducible."""
    pairs = {}
    for index in range(count):
        size = (index * 7919) % 24_000 + 1 if index % 10 == 0 else (index * 31) % 600 + 1
        seed = hashlib.sha256(index.to_bytes(4, "big")).digest()
        pairs[prefix + f"{index:06d}".encode()] = (seed * (size // 32 + 1))[:size]
    return pairs


def plain_everything(port: int, wait_seconds: float = 30) -> dict[bytes, bytes]:
    """Every key of a plain-HTTP etcd on 127.0.0.1:port, once it answers."""
    deadline = time.monotonic() + wait_seconds
    while True:
        client = EtcdHttp(http.client.HTTPConnection("127.0.0.1", port, timeout=10))
        try:
            return client.everything()[1]
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        finally:
            client.close()
