"""initial-cluster once a cluster is recorded: the founders' files never change as membership grows,
and a later member names the founders and itself with state existing."""

from __future__ import annotations

from provisioner.render.etcd import etcd_config
from tests.plan.builders import peer_url, record, topology


def test_without_a_record_every_member_founds_a_new_cluster() -> None:
    wanted = topology(etcd_hosts=3)
    config = etcd_config(wanted, wanted.etcd_members[0])
    assert config["initial-cluster"] == wanted.initial_cluster and config["initial-cluster-state"] == "new"


def test_growing_a_recorded_cluster_changes_no_founder_setting() -> None:
    founders = record(["etcd1", "etcd2", "etcd3"]).initial_cluster
    three, five = topology(etcd_hosts=3), topology(etcd_hosts=5)
    for index in range(3):
        before = etcd_config(three, three.etcd_members[index], founders)
        assert etcd_config(five, five.etcd_members[index], founders) == before
        assert before["initial-cluster"] == founders and before["initial-cluster-state"] == "new"
    later = etcd_config(five, five.etcd_members[4], founders)
    assert later["initial-cluster"] == f"{founders},etcd5={peer_url('etcd5')}"
    assert later["initial-cluster-state"] == "existing"
