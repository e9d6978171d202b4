"""The data_dir rule as a table: what apply may make etcd's own, and why the rest is refused."""

from __future__ import annotations

import pytest

from provisioner.cluster.data_dir import data_dir_problem


@pytest.mark.parametrize("path", ["/var/lib/etcd", "/var/lib/etcd-main", "/srv/etcd", "/data/etcd", "/opt/etcd/data",
                                  "/mnt/ssd/etcd", "/var/etcd", "/home/etcd/data"])
def test_a_folder_of_etcd_s_own_is_accepted(path: str) -> None:
    assert data_dir_problem(path) is None


@pytest.mark.parametrize(("path", "reason"), [
    ("/var/lib/..", "normalised"), ("/.", "normalised"), ("/var/lib/", "normalised"), ("/var/./lib/etcd", "normalised"),
    ("/var", "parent of the system directory /var/lib"), ("/data", "two levels"), ("/srv", "two levels"),
    ("/etc", "outside /etc"), ("/etc/etcd", "outside /etc"), ("/tmp/etcd", "outside /tmp"),
    ("/run/etcd", "outside /run"),
    ("/var/tmp/etcd", "outside /var/tmp"), ("/usr/local/etcd", "outside /usr"), ("/proc/1", "outside /proc"),
    ("/var/lib", "a system directory"), ("/var/log", "a system directory"), ("/var/lib/kubelet", "a system directory"),
    ("/home/alice", "home directory"),
])
def test_a_system_folder_or_one_that_escapes_is_refused(path: str, reason: str) -> None:
    problem = data_dir_problem(path)
    assert problem is not None and reason in problem
