"""Ask every etcd member for its status through the v3 JSON gateway, from a control-plane host.

Runs on the host (piped to `python3 -` over SSH), standard library only, no imports from this package.
- `watch`: one JSON line per round, every --interval seconds until --max-seconds, each member asked in
  parallel with a short timeout: who it says leads, its term and revision, or why it did not answer.
  Drills read the rounds to time elections and to see that the members name one leader.
- `check`: one JSON document: every member's status and, when all of them answer and name the same
  leader, the KV hash of each at one revision all of them have (`hashkv`): equal hashes mean every
  member holds the same data up to there, i.e. a healed member has caught up.
"""

from __future__ import annotations

import argparse
import http.client
import json
import ssl
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit


def post(url: str, path: str, body: dict[str, Any], context: ssl.SSLContext, timeout: float) -> dict[str, Any]:
    parts = urlsplit(url)
    connection = http.client.HTTPSConnection(parts.hostname or "", parts.port or 2379, timeout=timeout,
                                             context=context)
    try:
        connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {payload[:200].decode('utf-8', 'replace').strip()}")
        answer: dict[str, Any] = json.loads(payload)
        return answer
    finally:
        connection.close()


def _field(answer: dict[str, Any], *names: str) -> Any:
    # The gateway spells fields as in the proto (raft_term); be lenient with camelCase too.
    for name in names:
        if name in answer:
            return answer[name]
    return None


def status(url: str, context: ssl.SSLContext, timeout: float) -> dict[str, Any]:
    try:
        answer = post(url, "/v3/maintenance/status", {}, context, timeout)
    except Exception as error:  # every failure is an answer: refused, timeout, TLS
        return {"error": f"{type(error).__name__}: {error}"}
    header = answer.get("header", {})
    return {
        "member_id": str(header.get("member_id", "")),
        "leader": str(_field(answer, "leader") or ""),
        "raft_term": int(_field(answer, "raft_term", "raftTerm") or 0),
        "revision": int(header.get("revision", 0)),
        "learner": bool(_field(answer, "is_learner", "isLearner")),
        "version": str(_field(answer, "version") or ""),
        "error": "",
    }


def statuses(urls: list[str], context: ssl.SSLContext, timeout: float) -> dict[str, dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        return dict(zip(urls, pool.map(lambda url: status(url, context, timeout), urls)))  # noqa: B905 (hosts may run Python 3.8)


def hash_at(url: str, revision: int, context: ssl.SSLContext, timeout: float) -> dict[str, Any]:
    try:
        answer = post(url, "/v3/maintenance/hashkv", {"revision": revision}, context, timeout)
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}
    return {"hash": int(answer.get("hash", 0)), "error": ""}


def check(urls: list[str], context: ssl.SSLContext, timeout: float) -> dict[str, Any]:
    members = statuses(urls, context, timeout)
    answering = [answer for answer in members.values() if not answer["error"]]
    leaders = {answer["leader"] for answer in answering}
    agreed = len(answering) == len(urls) and len(leaders) == 1 and "" not in leaders and "0" not in leaders
    report: dict[str, Any] = {"members": members, "agreed_leader": agreed, "revision": None, "hashes_equal": False}
    if not agreed:
        return report
    revision = min(answer["revision"] for answer in answering)
    hashes = {url: hash_at(url, revision, context, timeout) for url in urls}
    for url, answer in hashes.items():
        members[url]["hash"] = answer.get("hash")
        members[url]["error"] = answer["error"]
    values = {answer.get("hash") for answer in hashes.values() if not answer["error"]}
    report["revision"] = revision
    report["hashes_equal"] = len(values) == 1 and all(not answer["error"] for answer in hashes.values())
    return report


def watch(urls: list[str], context: ssl.SSLContext, timeout: float, interval: float, max_seconds: float) -> None:
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        started = time.time()
        line = {"time": started, "members": statuses(urls, context, timeout)}
        sys.stdout.write(json.dumps(line, separators=(",", ":")) + "\n")
        sys.stdout.flush()
        time.sleep(max(0.0, interval - (time.time() - started)))


def client_context(cacert: str, cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=cacert)
    context.load_cert_chain(cert, key)
    return context


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="etcd member status over the JSON gateway.")
    parser.add_argument("mode", choices=["watch", "check"])
    parser.add_argument("--endpoint", action="append", required=True)
    parser.add_argument("--cacert", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--timeout", type=float, default=0.8)
    parser.add_argument("--interval", type=float, default=0.2)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    arguments = parser.parse_args(sys.argv[1:] if argv is None else argv)
    context = client_context(arguments.cacert, arguments.cert, arguments.key)
    try:
        if arguments.mode == "watch":
            watch(arguments.endpoint, context, arguments.timeout, arguments.interval, arguments.max_seconds)
        else:
            print(json.dumps(check(arguments.endpoint, context, arguments.timeout)))
    except BrokenPipeError:
        return 0  # the reader went away: the drill is over
    return 0


if __name__ == "__main__":
    sys.exit(main())
