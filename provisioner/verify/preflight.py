"""Before touching hosts: the rendered tree verify is asked to check must be the one for this file."""

from __future__ import annotations

from pathlib import Path

import yaml

from provisioner.cluster.topology import Topology
from provisioner.errors import InputError, Problem
from provisioner.render import INVENTORY, inventory_for


def check_rendered(topology: Topology, out: Path) -> None:
    """Raises InputError when `out` holds no inventory, or one rendered from a different cluster file."""
    path = out / INVENTORY
    try:
        rendered = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise InputError([Problem(str(path), "", "no rendered inventory here: run `provisioner render` "
                                  "(or `provisioner up`) first, or pass --out")]) from None
    except (OSError, yaml.YAMLError) as error:
        reason = " ".join(str(error).split())  # YAML errors span several lines
        raise InputError([Problem(str(path), "", f"cannot read the rendered inventory: {reason}")]) from None
    if rendered != inventory_for(topology, out):
        raise InputError([Problem(str(path), "", f"rendered from a different version of {topology.source}: "
                                  "render and apply again before verifying")])
