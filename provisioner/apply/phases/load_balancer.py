"""Start load balancers: haproxy and keepalived, until exactly one of them holds the VIP."""

from __future__ import annotations

from provisioner.apply.phases.base import ApplyContext, PlaybookPhase


class StartLoadBalancers(PlaybookPhase):
    title = "Start load balancers (haproxy, keepalived)"
    playbook = "load_balancer.yml"

    def skip_reason(self, context: ApplyContext) -> str | None:
        if context.topology.load_balancer_hosts:
            return None
        return f"endpoint.load_balancer is {context.topology.endpoint.load_balancer}: no haproxy or keepalived to run"
