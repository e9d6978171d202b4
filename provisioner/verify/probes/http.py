"""HTTP(S) requests made from a host (not from this machine) and their answers."""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass
from importlib import resources


@dataclass(frozen=True)
class Request:
    url: str
    ca: str | None = None
    cert: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class Answer:
    url: str
    status: int | None  # None: no HTTP answer at all (refused, TLS handshake rejected, timeout)
    body: str
    error: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def describe(self) -> str:
        if self.status is None:
            return self.error
        return f"HTTP {self.status} {self.body.strip()[:80]}".rstrip()


def get_command(requests: list[Request]) -> str:
    script = resources.files("provisioner.verify.probes").joinpath("remote_http.py").read_text()
    payload = json.dumps([{k: v for k, v in asdict(r).items() if v is not None} for r in requests])
    return f"python3 -c {shlex.quote(script)} {shlex.quote(payload)}"


# Errors that mean the server ended the TLS handshake (here: for want of a client certificate), as
# opposed to no server at all (refused, timeout) or our side distrusting the server (SSLCertVerificationError).
_TLS_REJECTIONS = frozenset({"SSLError", "SSLEOFError", "SSLZeroReturnError", "ConnectionResetError"})


def tls_rejected(answer: Answer) -> bool:
    return answer.status is None and answer.error.split(":", 1)[0] in _TLS_REJECTIONS


def answers(stdout: str) -> list[Answer]:
    return [Answer(**entry) for entry in json.loads(stdout)]


def etcd_healthy(answer: Answer) -> bool:
    """etcd's /health says {"health":"true"} only when the member has a leader and can serve."""
    if not answer.ok:
        return False
    try:
        return str(json.loads(answer.body).get("health")) == "true"
    except (ValueError, AttributeError):
        return False
