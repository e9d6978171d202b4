"""etcdctl command lines (TLS with a client certificate) and the readers of its JSON answers."""

from __future__ import annotations

import json
import shlex

from provisioner import etcdctl

CLIENT = etcdctl.ClientCertificate("/pki/ca.crt", "/pki/c.crt", "/pki/c.key")


def test_etcdctl_command_uses_tls_client_certificate_v3_api_and_json() -> None:
    command = etcdctl.etcdctl(["https://10.0.0.1:2379", "https://10.0.0.2:2379"], CLIENT, "endpoint", "status")
    assert command.startswith("ETCDCTL_API=3 etcdctl ")
    words = shlex.split(command.removeprefix("ETCDCTL_API=3 "))
    assert "--endpoints=https://10.0.0.1:2379,https://10.0.0.2:2379" in words
    assert {"--cacert=/pki/ca.crt", "--cert=/pki/c.crt", "--key=/pki/c.key", "--write-out=json"} <= set(words)
    assert words[-2:] == ["endpoint", "status"]


def test_etcdctl_readers() -> None:
    status = [{"Endpoint": "https://10.0.0.1:2379", "Status": {"header": {"member_id": 11, "revision": 7},
                                                                "leader": 11, "raftTerm": 2}}]
    assert etcdctl.statuses(json.dumps(status)) == [etcdctl.EndpointStatus("https://10.0.0.1:2379", 11, 11, 7, 2)]
    hashkv = [{"Endpoint": "https://10.0.0.1:2379", "HashKV": {"header": {"revision": 9}, "hash": 42}}]
    assert etcdctl.hashes(json.dumps(hashkv)) == [etcdctl.EndpointHash("https://10.0.0.1:2379", 42, 9)]
    health = [{"endpoint": "https://a:2379", "health": True}, {"endpoint": "https://b:2379", "health": False,
                                                                "error": "context deadline exceeded"}]
    assert etcdctl.health(json.dumps(health)) == {"https://a:2379": (True, ""),
                                                  "https://b:2379": (False, "context deadline exceeded")}
    assert etcdctl.statuses("") == []


def test_etcdctl_first_error_skips_grpc_retry_logs() -> None:
    stderr = ('{"level":"warn","msg":"retrying of unary invoker failed"}\n'
              "Failed to get the status of endpoint https://10.0.0.3:2379 (context deadline exceeded)\n")
    assert etcdctl.first_error(stderr) == \
        "Failed to get the status of endpoint https://10.0.0.3:2379 (context deadline exceeded)"


def test_a_member_is_behind_only_while_below_what_another_had_a_moment_before() -> None:
    earlier = {"cp1": 120, "cp2": 118, "cp3": 120}
    # Writes went on: cp2 is past 120 although cp1 is further still: nobody lags.
    assert etcdctl.behind(earlier, {"cp1": 131, "cp2": 121, "cp3": 130}) == {}
    assert etcdctl.behind(earlier, {"cp1": 131, "cp2": 118, "cp3": 130}) == {"cp2": 118}
    assert etcdctl.behind({}, {"cp1": 1}) == {}
