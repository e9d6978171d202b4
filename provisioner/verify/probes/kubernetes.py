"""What the Kubernetes checks run on a control-plane host (kubectl with kubeadm's admin kubeconfig),
and how they read it."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

from provisioner import hostpaths

# Written by `kubeadm init` and `kubeadm join --control-plane`; its server is the controlPlaneEndpoint.
ADMIN_KUBECONFIG = hostpaths.KUBE_ADMIN_KUBECONFIG
REQUEST_TIMEOUT = "5s"


def kubectl(*words: str, server: str | None = None) -> str:
    argv = ["kubectl", f"--kubeconfig={ADMIN_KUBECONFIG}", f"--request-timeout={REQUEST_TIMEOUT}"]
    if server:
        argv.append(f"--server={server}")
    return shlex.join([*argv, *words])


def readyz_command(server: str, check: str = "") -> str:
    """GET /readyz (or /readyz/<check>) from the API server at `server` (https://host:port)."""
    path = "/readyz" + (f"/{check}" if check else "")
    return kubectl("get", f"--raw={path}", server=server)


def nodes_command() -> str:
    return kubectl("get", "nodes", "--output=json")


@dataclass(frozen=True)
class NodeReadiness:
    name: str
    ready: bool
    reason: str


def node_readiness(text: str) -> dict[str, NodeReadiness]:
    """Node name -> its Ready condition, from `kubectl get nodes -o json`."""
    result: dict[str, NodeReadiness] = {}
    for item in json.loads(text).get("items", []):
        name = item["metadata"]["name"]
        conditions = {c["type"]: c for c in item.get("status", {}).get("conditions", [])}
        ready = conditions.get("Ready", {})
        result[name] = NodeReadiness(name, ready.get("status") == "True",
                                     ready.get("reason") or ready.get("message") or "no Ready condition")
    return result


# Exit status of process_start_command when no process of the name runs.
NOT_RUNNING = 3


def process_start_command(process: str, files: list[str]) -> str:
    """Prints `started EPOCH` for the oldest process named `process` (exit NOT_RUNNING when none runs),
    then `EPOCH PATH` for each file's last change (stat's error for a missing one)."""
    name = shlex.quote(process)
    return (f"pid=$(pgrep --exact --oldest {name}) || exit {NOT_RUNNING}; "
            f"echo \"started $(( $(date +%s) - $(ps -o etimes= -p \"$pid\") ))\"; "
            f"stat --format='%Y %n' -- {shlex.join(files)}")


@dataclass(frozen=True)
class StartedAfter:
    started: int  # seconds since the epoch, to the second
    changed: dict[str, int]  # file -> its last change, seconds since the epoch

    @property
    def changed_since(self) -> list[str]:
        """The files changed after the process started (within the same second counts as before)."""
        return [path for path, when in self.changed.items() if when > self.started]


def started_after(text: str) -> StartedAfter:
    lines = text.strip().splitlines()
    started = int(lines[0].removeprefix("started "))
    changed = {path: int(when) for when, path in (line.split(" ", 1) for line in lines[1:])}
    return StartedAfter(started, changed)
