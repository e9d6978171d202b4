"""GET each URL given as JSON in argv[1] and print one JSON answer per URL.

Sent to hosts as `python3 -c` (Ansible already needs python3 there), so a host needs no curl or openssl.
Standard library only, and no imports from this package: this file runs on the remote host, whose
python3 may be older than ours (3.8 and later work).
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import sys
from typing import Any
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 5


def get(request: dict[str, str]) -> dict[str, Any]:
    url = urlsplit(request["url"])
    missing = [request[k] for k in ("ca", "cert", "key") if request.get(k) and not os.path.isfile(request[k])]
    if missing:
        return {"url": request["url"], "status": None, "body": "", "error": f"missing {', '.join(missing)}"}
    connection: http.client.HTTPConnection
    try:
        if url.scheme == "https":
            context = ssl.create_default_context(cafile=request.get("ca"))
            if request.get("cert"):
                context.load_cert_chain(request["cert"], request["key"])
            connection = http.client.HTTPSConnection(url.hostname or "", url.port, timeout=TIMEOUT_SECONDS,
                                                     context=context)
        else:
            connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=TIMEOUT_SECONDS)
        connection.request("GET", url.path or "/")
        response = connection.getresponse()
        body = response.read(400).decode("utf-8", "replace")
        return {"url": request["url"], "status": response.status, "body": body, "error": ""}
    except Exception as error:  # every failure is an answer: refused, reset, bad certificate, timeout
        return {"url": request["url"], "status": None, "body": "", "error": f"{type(error).__name__}: {error}"}


def main() -> None:
    print(json.dumps([get(request) for request in json.loads(sys.argv[1])]))


if __name__ == "__main__":
    main()
