"""Write sequential keys to etcd as kube-apiserver would, and record every attempt as a JSON line.

Runs ON a control-plane host (copied there by session.py) with the standard library only and no imports
from this package, on the host's python3 (3.8 and later). It talks to etcd's v3 JSON gateway over HTTPS
(`POST /v3/kv/put`) with the API server's etcd client certificate, keeps to one endpoint and moves to the
next one on an error or timeout, like the API server's etcd client. One write at a time.

Each line: seq, key, value, sent, answered (wall-clock seconds), outcome, revision, endpoint, error.
outcome is `ok` (acknowledged; revision = header.revision), `failed` (the request was never sent, so it
cannot have been applied: refused, unreachable, connect timeout, TLS handshake refused) or `unknown` (the
request may have reached etcd: timeout waiting for the answer, connection lost, an error answer).

It stops when the stop file exists or after --max-seconds, whichever comes first, so it never runs on.

With --endpoints-from (the control plane's kubeadm configuration), the endpoint list is the one that file
names, read again whenever the file changes: the writer follows the control plane's configured list as an
API server restarted with it would (moving between layouts replaces the whole list). Likewise the CA
bundle, certificate and key are read again when they change, for the connections opened from then on, as
an API server restarted after each step of a CA rotation would.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import socket
import ssl
import sys
import time
from collections.abc import Callable
from typing import Any, Generic, TextIO, TypeVar
from urllib.parse import urlsplit

KEY_PREFIX = "/provisioner-workload/"
CONNECT_TIMEOUT_SECONDS = 1.0
REQUEST_TIMEOUT_SECONDS = 2.0
T = TypeVar("T")


def key_of(run_id: str, seq: int) -> str:
    return f"{KEY_PREFIX}{run_id}/{seq:08d}"


def value_of(run_id: str, seq: int) -> str:
    # Derived from both, so a value left by another run or another seq never passes for this one.
    return f"{run_id}:{seq}"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class NotSent(Exception):
    """The request did not leave this host: etcd cannot have applied it."""


class Endpoint:
    """One etcd client URL with a kept-alive HTTPS connection, opened on first use."""

    def __init__(self, url: str, context: ssl.SSLContext, connect_timeout: float, request_timeout: float) -> None:
        self.url = url
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "", parts.port or 2379
        self.context = context
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout
        self.connection: http.client.HTTPSConnection | None = None

    def connect(self) -> http.client.HTTPSConnection:
        """Opens the TCP connection and completes TLS, so that a failure here is known to be before sending."""
        if self.connection is not None:
            return self.connection
        try:
            raw = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except OSError as error:
            raise NotSent(f"connect: {type(error).__name__}: {error}") from None
        try:
            raw.settimeout(self.connect_timeout)
            wrapped = self.context.wrap_socket(raw, server_hostname=self.host)
        except (OSError, ssl.SSLError) as error:
            raw.close()
            raise NotSent(f"TLS handshake: {type(error).__name__}: {error}") from None
        wrapped.settimeout(self.request_timeout)
        connection = http.client.HTTPSConnection(self.host, self.port, timeout=self.request_timeout,
                                                 context=self.context)
        connection.sock = wrapped
        self.connection = connection
        return connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """The decoded answer; NotSent before the request left, any other exception after."""
        connection = self.connect()
        try:
            connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
        except BaseException:
            self.close()
            raise
        if response.status != 200:
            self.close()
            raise RuntimeError(f"HTTP {response.status}: {payload[:300].decode('utf-8', 'replace').strip()}")
        answer = json.loads(payload)
        if not isinstance(answer, dict):
            raise RuntimeError(f"unexpected answer: {payload[:300]!r}")
        return answer


def configured_endpoints(text: str) -> list[str]:
    """etcd.external.endpoints of a kubeadm configuration as this tool renders it (a block list)."""
    found = re.search(r"^([ \t]*)endpoints:[ \t]*\n((?:\1-[ \t]*\S+[ \t]*(?:\n|$))+)", text, re.MULTILINE)
    return re.findall(r"-\s*(\S+)", found.group(2)) if found else []


class Writer:
    """Sticks to one endpoint and moves to the next after any attempt that was not acknowledged."""

    def __init__(self, endpoints: list[Endpoint], run_id: str, out: TextIO) -> None:
        self.endpoints = endpoints
        self.run_id = run_id
        self.out = out
        self.current = 0
        self.seq = 0

    def use(self, urls: list[str]) -> None:
        """Writes go to these endpoints from now on (no change when they are the ones in use)."""
        if not urls or urls == [endpoint.url for endpoint in self.endpoints]:
            return
        first = self.endpoints[0]
        for endpoint in self.endpoints:
            endpoint.close()
        self.endpoints = [Endpoint(url, first.context, first.connect_timeout, first.request_timeout) for url in urls]
        self.current = 0

    def use_context(self, context: ssl.SSLContext) -> None:
        """New connections use these CAs and this certificate; open ones stay until they fail."""
        for endpoint in self.endpoints:
            endpoint.context = context

    def write_one(self) -> dict[str, Any]:
        self.seq += 1
        key, value = key_of(self.run_id, self.seq), value_of(self.run_id, self.seq)
        endpoint = self.endpoints[self.current]
        sent = time.time()
        outcome, revision, error = "unknown", None, ""
        try:
            answer = endpoint.post("/v3/kv/put", {"key": _b64(key), "value": _b64(value)})
            revision = int(answer["header"]["revision"])
            outcome = "ok"
        except NotSent as not_sent:
            outcome, error = "failed", str(not_sent)
        except Exception as unclear:  # timeout, reset, error answer: it may have been applied
            error = f"{type(unclear).__name__}: {unclear}"
        answered = time.time()
        if outcome != "ok":
            endpoint.close()
            self.current = (self.current + 1) % len(self.endpoints)
        record = {"seq": self.seq, "key": key, "value": value, "sent": sent, "answered": answered,
                  "outcome": outcome, "revision": revision, "endpoint": endpoint.url, "error": error}
        self.out.write(json.dumps(record, separators=(",", ":")) + "\n")
        self.out.flush()
        return record


class Watched(Generic[T]):
    """What `load` makes of some files, made again when one of their modification times changes. A load
    that fails (a file missing, a certificate replaced before its key) is tried again on the next call."""

    def __init__(self, paths: tuple[str, ...], load: Callable[..., T], *, loaded_now: bool) -> None:
        self.paths, self.load = paths, load
        # loaded_now: what the files hold now is already in use, so only a later change counts.
        self.seen = self._stamps() if loaded_now else None

    def _stamps(self) -> tuple[float, ...] | None:
        try:
            return tuple(os.stat(path).st_mtime for path in self.paths)
        except OSError:
            return None

    def changed(self) -> T | None:
        stamps = self._stamps()
        if stamps is None or stamps == self.seen:
            return None
        try:
            value = self.load(*self.paths)
        except OSError:  # ssl.SSLError is one
            return None
        self.seen = stamps
        return value


def read_configured_endpoints(path: str) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        return configured_endpoints(handle.read())


def run(writer: Writer, stop_file: str, max_seconds: float, interval: float,
        configured: Watched[list[str]] | None = None, tls: Watched[ssl.SSLContext] | None = None) -> None:
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline and not os.path.exists(stop_file):
        if configured is not None and (urls := configured.changed()):
            writer.use(urls)
        if tls is not None and (context := tls.changed()):
            writer.use_context(context)
        started = time.monotonic()
        record = writer.write_one()
        # After a failure the next endpoint is tried at once; a steady stream is paced by the interval.
        pause = interval - (time.monotonic() - started) if record["outcome"] == "ok" else 0.0
        if pause > 0:
            time.sleep(pause)


def tls_context(ca: str, cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca)
    context.load_cert_chain(cert, key)
    return context


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--endpoint", action="append", required=True, help="etcd client URL; repeat, in order")
    parser.add_argument("--endpoints-from", help="a kubeadm configuration whose etcd endpoints replace --endpoint "
                                                 "while it names any, read again when it changes")
    parser.add_argument("--cacert", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--history", required=True, help="JSON lines file, appended to")
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--max-seconds", type=float, required=True)
    parser.add_argument("--interval", type=float, default=0.01, help="least seconds between acknowledged writes")
    parser.add_argument("--connect-timeout", type=float, default=CONNECT_TIMEOUT_SECONDS)
    parser.add_argument("--request-timeout", type=float, default=REQUEST_TIMEOUT_SECONDS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    context = tls_context(arguments.cacert, arguments.cert, arguments.key)
    endpoints = [Endpoint(url, context, arguments.connect_timeout, arguments.request_timeout)
                 for url in arguments.endpoint]
    with open(arguments.history, "a", encoding="utf-8") as out:
        writer = Writer(endpoints, arguments.run_id, out)
        # The endpoint list in the file is read at the first write; the TLS files were just read above.
        configured = (Watched((arguments.endpoints_from,), read_configured_endpoints, loaded_now=False)
                      if arguments.endpoints_from else None)
        tls = Watched((arguments.cacert, arguments.cert, arguments.key), tls_context, loaded_now=True)
        run(writer, arguments.stop_file, arguments.max_seconds, arguments.interval, configured, tls)
    for endpoint in writer.endpoints:
        endpoint.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
