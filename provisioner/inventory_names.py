"""Names with a meaning of their own in the rendered Ansible inventory, which no host may take.

A host called like a group would turn `hosts: etcd` plays into plays on that one host."""

from __future__ import annotations

from provisioner.cluster.model import ROLES, Role

# Ansible's own: every host is in `all`, hosts of no other group in `ungrouped`; `localhost` is this machine.
ANSIBLE_NAMES = ("all", "ungrouped", "localhost")
# The inventory has one group per role, named like the role.
INVENTORY_GROUPS: tuple[Role, ...] = ROLES
RESERVED_HOST_NAMES = (*ANSIBLE_NAMES, *INVENTORY_GROUPS)
