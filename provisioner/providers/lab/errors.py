"""The one error the lab raises: a single line the operator can act on."""

from __future__ import annotations

from provisioner.errors import ProvisionerError


class LabError(ProvisionerError):
    """The lab cannot be brought up, inspected or torn down as asked; the message says why in one line."""
