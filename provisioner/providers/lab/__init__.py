"""The local lab: systemd-nspawn machines on this host standing in for a cluster's hosts."""

from provisioner.providers.lab.errors import LabError
from provisioner.providers.lab.image import ImageSpec
from provisioner.providers.lab.lab import Lab
from provisioner.providers.lab.model import LabConnection, LabHost, MachineState, MachineStatus
from provisioner.providers.lab.prerequisites import lab_prerequisites_problems
from provisioner.providers.lab.provider import LabProvider, lab_for

__all__ = [
    "ImageSpec",
    "Lab",
    "LabConnection",
    "LabError",
    "LabHost",
    "LabProvider",
    "MachineState",
    "MachineStatus",
    "lab_for",
    "lab_prerequisites_problems",
]
