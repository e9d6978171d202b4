"""`provisioner_kubeadm_renewal`: why kubeadm's certificates are renewed on a host with `certs renew
--expiring-within` (provisioner.certs.kubeadm_leaves), from the files the playbook read there."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from provisioner.certs.kubeadm_leaves import renewal_due


def provisioner_kubeadm_renewal(slurped: Sequence[Mapping[str, Any]], expiring_within_days: int) -> list[str]:
    """`slurped` holds ansible.builtin.slurp's results (a skipped one: the file is not on the host)."""
    files = {result["source"]: base64.b64decode(result["content"]).decode(errors="replace")
             for result in slurped if "content" in result}
    return renewal_due(files, int(expiring_within_days), datetime.now(UTC))


class FilterModule:
    def filters(self) -> dict[str, Callable[..., list[str]]]:
        return {"provisioner_kubeadm_renewal": provisioner_kubeadm_renewal}
