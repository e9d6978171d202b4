"""Apply: bring hosts to what the rendered tree describes, with Ansible over SSH (ansible-runner)."""

from __future__ import annotations

from provisioner.apply.apply import apply_cluster
from provisioner.apply.display import ApplyDisplay
from provisioner.apply.planning import check_reachable_inputs
from provisioner.apply.recap import Recap

__all__ = ["ApplyDisplay", "Recap", "apply_cluster", "check_reachable_inputs"]
