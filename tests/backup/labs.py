"""The backup tests' lab: three stacked etcd members named lc-*, on 198.18.14.0/24, nothing else.

The smallest cluster with quorum that survives a lost member: no load balancers (the endpoint is
an external address) and no Kubernetes, so apply takes seconds. Other tests give their own name, /24
and, for the external layout, their own hosts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from tests.apply.labs import LabCluster, applied_lab

SUBNET = "198.18.14"


def backup_cluster_file(folder: Path, state_root: Path, name: str = "lc-backup", subnet: str = SUBNET, *,
                        layout: str = "stacked", hosts: list[dict[str, Any]] | None = None, **etcd: Any) -> Path:
    """The cluster file; `hosts` replace the three stacked members cp1..cp3 at <subnet>.11-13."""
    data = {
        "name": name,
        "layout": layout,
        "endpoint": {"address": f"{subnet}.100", "load_balancer": "external"},
        "ssh": {"user": "root", "private_key": str(state_root / name / "id_ed25519"),
                "known_hosts": str(state_root / name / "known_hosts")},
        "etcd": {"install": "package", **etcd},
        "kubernetes": {"install": "none"},
        "hosts": hosts or [{"name": f"cp{n}", "address": f"{subnet}.{10 + n}", "roles": ["control_plane"]}
                           for n in (1, 2, 3)],
    }
    path = folder / name / "cluster.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@contextmanager
def backup_lab(root: Path, name: str = "lc-backup", subnet: str = SUBNET, *, layout: str = "stacked",
               hosts: list[dict[str, Any]] | None = None, **etcd: Any) -> Iterator[LabCluster]:
    """Machines up and applied; torn down whatever happens. Other tests name their own lab and /24."""
    cluster_file = backup_cluster_file(root / "clusters", root / "labs", name, subnet, layout=layout, hosts=hosts,
                                       **etcd)
    with applied_lab(cluster_file, root / "labs", root / "build") as cluster:
        yield cluster
