"""How many host losses each layer survives, and so the API: the numbers the summary promises.

The API answers while every layer it needs does: an etcd quorum, one kube-apiserver, and the way
clients reach it (a load balancer, or the one host the endpoint names). Losses can hit any hosts, so
the API survives as many as its weakest layer. A host that plays two roles (a stacked control-plane
host runs an etcd member) costs each layer one, which does not change the weakest layer's number.
"""

from __future__ import annotations

from dataclasses import dataclass


def etcd_tolerated_losses(members: int) -> int:
    """Members that can be lost with quorum kept: 1 -> 0, 3 -> 1, 4 -> 1, 5 -> 2, 7 -> 3."""
    return max(members - 1, 0) // 2


@dataclass(frozen=True)
class HostLossesSurvived:
    etcd: int
    control_plane: int
    load_balancers: int | None  # None without load balancers of the tool's own (keepalived)
    api: int
    api_bounded_by: tuple[str, ...]  # the layers whose losses stop the API first


def host_losses_survived(*, etcd_members: int, control_plane_hosts: int, load_balancer: str,
                         load_balancer_hosts: int) -> HostLossesSurvived:
    """`load_balancer` as in the cluster file: keepalived (our load balancer hosts), external (yours,
    assumed to be highly available), none (clients reach the one address the endpoint names)."""
    layers = {"etcd": etcd_tolerated_losses(etcd_members), "control plane": max(control_plane_hosts - 1, 0)}
    load_balancers = max(load_balancer_hosts - 1, 0) if load_balancer == "keepalived" else None
    if load_balancers is not None:
        layers["load balancers"] = load_balancers
    if load_balancer == "none":
        layers["the endpoint's single host"] = 0
    api = min(layers.values())
    return HostLossesSurvived(etcd=layers["etcd"], control_plane=layers["control plane"],
                              load_balancers=load_balancers, api=api,
                              api_bounded_by=tuple(name for name, survived in layers.items() if survived == api))
