"""Install packages: etcd (package or release tarball) and the load balancers' haproxy and keepalived,
then the etcd version each member got, judged against etcd.version."""

from __future__ import annotations

from provisioner.apply.phases.base import ApplyContext, Phase, raise_for_failures
from provisioner.cluster.etcd_release import Difference, difference, version_of_etcd_binary
from provisioner.errors import StepFailed

PLAYBOOK = "install.yml"
# The task in install.yml whose output is `etcd --version`.
VERSION_TASK = "Read the installed etcd version"


class InstallPackages(Phase):
    title = "Install etcd, haproxy and keepalived"

    def run(self, context: ApplyContext) -> None:
        outcome = context.run_playbook(PLAYBOOK)
        raise_for_failures(self.title, outcome)
        etcd = context.topology.cluster.etcd
        if etcd.install != "package":
            return  # a release tarball is the version its sha256 pins
        answers = outcome.results_of(VERSION_TASK)
        for host in context.topology.etcd_hosts:
            answer = answers.get(host.name)
            output = str(answer.result.get("stdout", "")) if answer else ""
            refusal, warning = package_version_verdict(version_of_etcd_binary(output), etcd.version)
            if refusal:
                raise StepFailed(f"{self.title} ({VERSION_TASK})", host.name, refusal)
            if warning:
                context.display.warn(f"{host.name}: {warning}")


def package_version_verdict(installed: str | None, wanted: str) -> tuple[str | None, str | None]:
    """(refusal, warning) for the etcd a distribution package installed, against etcd.version."""
    if installed is None:
        return "cannot tell which etcd the etcd-server package installed (`etcd --version` gave no version)", None
    fix = (f'set etcd.version: "{installed}" to run the distribution\'s etcd, or etcd.install: release '
           f"for {wanted}")
    found = difference(installed, wanted)
    if found in (Difference.MINOR, Difference.UNKNOWN):
        return f"the etcd-server package installed etcd {installed}, but etcd.version is {wanted}: {fix}", None
    if found == Difference.PATCH:
        return None, f"the etcd-server package installed etcd {installed}, etcd.version says {wanted}: {fix}"
    return None, None
