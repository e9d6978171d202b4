"""Facts: the script each host runs (here, on this machine, against files in a temporary folder) and
the JSON form the planner's tests store them in."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from provisioner.facts.gather import gather_params, gather_script
from provisioner.facts.model import ClusterFacts, HostFacts
from tests.plan.builders import record, running, topology


def _run_script(tmp_path: Path, **paths: str) -> HostFacts:
    params = {key: str(tmp_path / "absent") if isinstance(value, str) else value
              for key, value in gather_params(str(tmp_path / "data")).items()}
    params.update(paths)
    params["etcdctl"] = [str(tmp_path / "no-etcdctl")]
    script = f"PARAMS = {json.dumps(params)}\n" + gather_script("").split("\n", 1)[1]
    done = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, check=True)
    return HostFacts.model_validate({"host": "h", "address": "10.0.0.1", "reachable": True, **json.loads(done.stdout)})


def test_the_script_reports_data_ca_fingerprint_initial_cluster_kubeadm_and_the_record(tmp_path: Path) -> None:
    (tmp_path / "data" / "member").mkdir(parents=True)
    ca = tmp_path / "ca.crt"
    # Any PEM body: the fingerprint is the sha256 of what it encodes.
    ca.write_text("-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n")
    config = tmp_path / "etcd.conf.yml"
    config.write_text("name: etcd1\ninitial-cluster: etcd1=https://10.0.0.21:2380\n")
    manifest = tmp_path / "kube-apiserver.yaml"
    manifest.write_text("    - --etcd-servers=https://10.0.0.21:2379,https://10.0.0.22:2379\n")
    (tmp_path / "record.yml").write_text("cluster: demo\n")
    facts = _run_script(tmp_path, etcd_ca=str(ca), etcd_config=str(config), apiserver_manifest=str(manifest),
                        record=str(tmp_path / "record.yml"), data_dir=str(tmp_path / "data"))
    assert facts.data_has_member and not facts.etcd_active and facts.status is None
    assert facts.ca.etcd == ("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",)
    assert facts.ca.kubernetes is None
    assert facts.initial_cluster == "etcd1=https://10.0.0.21:2380"
    assert facts.kubeadm.apiserver_etcd_servers == ("https://10.0.0.21:2379", "https://10.0.0.22:2379")
    assert not facts.kubeadm.admin_conf and facts.record == "cluster: demo\n"


def test_the_etcd_servers_of_a_parked_api_server_manifest_count_until_it_is_back(tmp_path: Path) -> None:
    parked = tmp_path / "kube-apiserver.yaml.parked"
    parked.write_text("    - --etcd-servers=https://10.0.0.21:2379\n")
    facts = _run_script(tmp_path, apiserver_parked=str(parked))
    assert facts.kubeadm.apiserver_etcd_servers == ("https://10.0.0.21:2379",)
    manifest = tmp_path / "kube-apiserver.yaml"
    manifest.write_text("    - --etcd-servers=https://10.0.0.22:2379\n")
    facts = _run_script(tmp_path, apiserver_manifest=str(manifest), apiserver_parked=str(parked))
    assert facts.kubeadm.apiserver_etcd_servers == ("https://10.0.0.22:2379",), "the kubelet's one wins"


def test_a_host_without_etcd_data_or_files(tmp_path: Path) -> None:
    facts = _run_script(tmp_path)
    assert not facts.data_has_member and facts.initial_cluster is None and facts.record is None
    assert facts.kubeadm.apiserver_etcd_servers is None


def test_facts_survive_a_json_round_trip_unchanged() -> None:
    facts = running(topology(etcd_hosts=3), ["etcd1", "etcd2", "etcd3"], record(["etcd1", "etcd2", "etcd3"]),
                    learners=("etcd3",))
    assert ClusterFacts.from_json(facts.to_json()) == facts


def test_the_member_list_comes_from_the_most_up_to_date_member() -> None:
    """A member just removed keeps running on its own for a moment, with an old view of the cluster."""
    facts = running(topology(etcd_hosts=3), ["etcd1", "etcd2", "etcd3"], None)
    current = tuple(m for m in facts.members if m.name != "etcd3")
    removed = facts.host("etcd3")
    assert removed is not None and removed.status is not None
    stale = removed.model_copy(update={"status": removed.status.model_copy(update={"raft_index": 1, "leader": "ff"})})
    facts = ClusterFacts(hosts=tuple(stale if h.host == "etcd3" else h.model_copy(update={"members": current})
                                     if h.members else h for h in facts.hosts))
    assert facts.members == current
    assert facts.leaders == {facts.host("etcd1").status.leader}  # type: ignore[union-attr]


def test_a_trust_bundle_gives_the_fingerprint_of_each_certificate_in_it(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.crt"
    bundle.write_text("-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n"
                      "-----BEGIN CERTIFICATE-----\nd29y\nbGQ=\n-----END CERTIFICATE-----\n")
    facts = _run_script(tmp_path, kube_etcd_ca=str(bundle))
    assert facts.ca.etcd_client == ("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
                                    "sha256:486ea46224d1bb4fb680f34f7c9ad96a8f24ec88be73ea8e5a6c65260e9cb8a7")
    assert facts.ca.etcd is None
