"""The short summary a reviewer reads first: layout, members, quorum and the losses each layer survives."""

from __future__ import annotations

from provisioner.cluster.topology import Topology
from provisioner.render.templating import render_template


def summary(topology: Topology) -> str:
    load_balancer = {"keepalived": "haproxy + keepalived VIP", "external": "external load balancer",
                     "none": "no load balancer"}[topology.endpoint.load_balancer]
    layers = topology.host_losses_survived.api_bounded_by
    bounded_by = " and ".join([", ".join(layers[:-1]), layers[-1]] if len(layers) > 1 else layers)
    return render_template("summary.txt.j2", t=topology, load_balancer=load_balancer, bounded_by=bounded_by)
