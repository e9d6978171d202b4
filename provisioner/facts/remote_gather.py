"""Run on a host by `python3 -` (standard library only): prints one JSON object with what the host
knows about etcd, its CAs and kubeadm. Apply prepends `PARAMS = {...}` naming the paths to read.
Read-only: it starts, stops and writes nothing."""

import base64
import hashlib
import json
import os
import re
import subprocess
from typing import Any

PARAMS: dict[str, Any] = globals().get("PARAMS", {})


def run(argv: list[str], timeout: int = 10) -> tuple[int, str, str]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return 127, "", str(error)
    return done.returncode, done.stdout, done.stderr


def unit_state() -> dict[str, Any]:
    _, out, _ = run(["systemctl", "show", "etcd.service", "--property=ActiveState,UnitFileState,MainPID"])
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    pid = values.get("MainPID", "0")
    return {
        "etcd_active": values.get("ActiveState") == "active",
        "etcd_enabled": values.get("UnitFileState") == "enabled",
        "etcd_main_pid": int(pid) if pid.isdigit() else 0,
    }


def fingerprints(path: str) -> list[str] | None:
    """sha256 of each certificate in the file, in file order (a trust bundle holds several; None: no file)."""
    try:
        with open(path) as handle:
            text = handle.read()
    except OSError:
        return None
    found = []
    for body in re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", text, re.DOTALL):
        try:
            der = base64.b64decode("".join(body.split()), validate=True)
        except ValueError:
            der = b""
        found.append("sha256:" + hashlib.sha256(der).hexdigest() if der else "unreadable")
    return found or ["unreadable"]


def read(path: str) -> str | None:
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return None


def hex_id(value: int | str) -> str:
    return format(int(value), "x")


def etcdctl_path() -> str | None:
    return next((str(path) for path in PARAMS["etcdctl"] if os.path.exists(path)), None)


def etcdctl(*words: str) -> tuple[Any, str]:
    # `member list` is a linearizable read: it waits for the leader, so a member that answers its own
    # status fast may need seconds more while an election ends or, on emulated VMs of a busy machine,
    # while heartbeats crawl (3 s was seen to run out there right after a passing apply).
    argv = [etcdctl_path() or "etcdctl", "--endpoints=https://127.0.0.1:2379", "--cacert=" + PARAMS["ca"],
            "--cert=" + PARAMS["cert"], "--key=" + PARAMS["key"], "--dial-timeout=2s", "--command-timeout=6s",
            "--write-out=json", *words]
    rc, out, err = run(argv, timeout=11)
    if rc != 0:
        lines = [line.strip() for line in err.splitlines() if line.strip() and not line.lstrip().startswith("{")]
        return None, (lines[-1] if lines else err.strip()[-200:]) or f"etcdctl exit {rc}"
    try:
        return json.loads(out), ""
    except ValueError:
        return None, "etcdctl printed no JSON"


def etcd_facts(active: bool) -> dict[str, Any]:
    if not active or etcdctl_path() is None:
        return {}
    status, error = etcdctl("endpoint", "status")
    if status is None:
        return {"etcd_error": error}
    entry = status[0]["Status"]
    listed, error = etcdctl("member", "list")
    members = None
    if listed is not None:
        members = [{"id": hex_id(m["ID"]), "name": m.get("name", ""), "peer_urls": m.get("peerURLs", []),
                    "client_urls": m.get("clientURLs", []), "is_learner": bool(m.get("isLearner"))}
                   for m in listed.get("members", [])]
    return {
        "status": {"cluster_id": hex_id(entry["header"]["cluster_id"]),
                   "member_id": hex_id(entry["header"]["member_id"]), "leader": hex_id(entry["leader"]),
                   "version": entry.get("version", ""), "is_learner": bool(entry.get("isLearner")),
                   "raft_index": int(entry.get("raftIndex", 0))},
        "members": members,
        "etcd_error": error,
    }


def initial_cluster() -> str | None:
    text = read(PARAMS["etcd_config"]) or ""
    for line in text.splitlines():
        if line.startswith("initial-cluster:"):
            return line.split(":", 1)[1].strip().strip("'\"")
    return None


def apiserver_etcd_servers() -> list[str] | None:
    # A manifest a stopped restart (or restore) left parked is the one put back next.
    text = read(PARAMS["apiserver_manifest"])
    if text is None:
        text = read(PARAMS["apiserver_parked"])
    if text is None:
        return None
    found = re.search(r"--etcd-servers=([^\s\"']+)", text)
    return [url for url in found.group(1).split(",") if url] if found else []


def configured_etcd_endpoints() -> list[str] | None:
    """etcd.external.endpoints of the kubeadm configuration apply placed (a block list, as rendered)."""
    text = read(PARAMS["kubeadm_config"])
    if text is None:
        return None
    found = re.search(r"^([ \t]*)endpoints:[ \t]*\n((?:\1-[ \t]*\S+[ \t]*(?:\n|$))+)", text, re.MULTILINE)
    return re.findall(r"-\s*(\S+)", found.group(2)) if found else []


def kubeadm_facts() -> dict[str, Any]:
    admin = os.path.exists(PARAMS["admin_conf"])
    config_map = False
    if admin:
        rc, _, _ = run(["kubectl", "--kubeconfig", PARAMS["admin_conf"], "--request-timeout=5s", "-n", "kube-system",
                        "get", "configmap", "kubeadm-config", "-o", "name"], timeout=10)
        config_map = rc == 0
    return {"admin_conf": admin, "kubelet_conf": os.path.exists(PARAMS["kubelet_conf"]),
            "marker": os.path.exists(PARAMS["kubeadm_marker"]), "kubeadm_config_map": config_map,
            "apiserver_etcd_servers": apiserver_etcd_servers(),
            "configured_etcd_endpoints": configured_etcd_endpoints()}


def main() -> None:
    facts = unit_state()
    facts["data_dir"] = PARAMS["data_dir"]
    facts["data_has_member"] = os.path.isdir(os.path.join(PARAMS["data_dir"], "member"))
    facts["join_pending"] = os.path.exists(PARAMS["join_dropin"])
    facts["member_certificates"] = any(os.path.exists(path) for path in PARAMS["member_certificates"])
    facts.update(etcd_facts(facts["etcd_active"]))
    facts["initial_cluster"] = initial_cluster()
    facts["ca"] = {"etcd": fingerprints(PARAMS["etcd_ca"]), "kubernetes": fingerprints(PARAMS["kubernetes_ca"]),
                   "etcd_client": fingerprints(PARAMS["kube_etcd_ca"])}
    facts["kubeadm"] = kubeadm_facts()
    facts["record"] = read(PARAMS["record"])
    print(json.dumps(facts))


main()
