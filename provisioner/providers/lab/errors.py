"""The one error the lab raises: a single line the operator can act on."""

from __future__ import annotations

from provisioner.errors import ProvisionerError


class LabError(ProvisionerError):
    """The lab cannot be brought up, inspected or torn down as asked; the message says why in one line."""


class LabPrerequisitesMissing(LabError):
    """This machine cannot run a lab (not root, tools missing): one line per problem with its fix.
    Nothing has been touched, so it is a usage error."""

    exit_code = 2

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems

    def lines(self) -> list[str]:
        return list(self.problems)
