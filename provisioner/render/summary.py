"""The short summary a reviewer reads first: layout, members, quorum and the losses each layer survives."""

from __future__ import annotations

from provisioner.cluster.topology import Topology
from provisioner.render.templating import render_template


def summary(topology: Topology) -> str:
    load_balancer = {"keepalived": "haproxy + keepalived VIP", "external": "external load balancer",
                     "none": "no load balancer"}[topology.endpoint.load_balancer]
    return render_template("summary.txt.j2", t=topology, load_balancer=load_balancer)
