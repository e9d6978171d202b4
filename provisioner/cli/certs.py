"""`provisioner certs CLUSTER.yaml`, `certs renew CLUSTER.yaml` and `certs rotate-ca CLUSTER.yaml`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from provisioner.cli import output
from provisioner.cli.common import load
from provisioner.errors import UsageError

ArgumentsArg = Annotated[list[str], typer.Argument(
    help="CLUSTER.yaml to list and check the certificates, `renew CLUSTER.yaml` to renew leaf certificates, or "
         "`rotate-ca CLUSTER.yaml` to replace the etcd CA.",
    show_default=False, metavar="[renew|rotate-ca] CLUSTER.yaml")]
WarnOption = Annotated[int, typer.Option("--warn-days", min=0, help="Count certificates expiring within this "
                                                                     "many days as problems.")]
ExpiringOption = Annotated[int | None, typer.Option(
    "--expiring-within", min=0, help="renew: only leaves expiring within this many days (default: every leaf).")]
BuildOption = Annotated[Path | None, typer.Option(
    "--build", help="Rendered tree folder apply used (default: build/ next to the cluster file).")]
YesOption = Annotated[bool, typer.Option("--yes", help="renew, rotate-ca: really restart the etcd members one at "
                                                        "a time, then kube-apiserver one control-plane host at a "
                                                        "time where kubeadm runs it (renew: with kube-controller-"
                                                        "manager and kube-scheduler where kubeadm renews its own "
                                                        "certificates).")]
OneStepOption = Annotated[bool, typer.Option("--one-step", help="rotate-ca: roll out the next step only, then stop "
                                                                "(run again for the next).")]


def certs_command(arguments: ArgumentsArg, warn_days: WarnOption = 30, expiring_within: ExpiringOption = None,
                  build: BuildOption = None, yes: YesOption = False, one_step: OneStepOption = False) -> None:
    """Every certificate on every host, read from the hosts: subject, SANs, issuer, expiry and whether it is
    the one in the tree. Exit status 1 when one is expired, expires within --warn-days, or differs.

    `certs renew CLUSTER.yaml --yes` issues new leaf certificates from the same etcd CA (a snapshot is taken
    first) and rolls them out with apply: etcd members restart one at a time, each waiting for a healthy
    cluster; where kubeadm runs the control plane, kube-apiserver then restarts one control-plane host at a
    time with its new etcd client certificate, each waiting until it is ready. On an initialised kubeadm
    control plane kubeadm's own certificates are renewed too (`kubeadm certs renew all`), one control-plane
    host at a time (with --expiring-within, where one of them expires that soon), kube-apiserver,
    kube-controller-manager and kube-scheduler restarting there with them; fetch the admin kubeconfig again.

    `certs rotate-ca CLUSTER.yaml --yes` replaces the etcd CA in three rolled-out steps (trust the old and
    new CA, re-issue every leaf from the new one, trust the new one only), each restarting the etcd members
    and then kube-apiserver as renew does; a stopped run continues."""
    if len(arguments) == 1:
        _check(Path(arguments[0]), warn_days, build)
    elif len(arguments) == 2 and arguments[0] == "renew":
        _renew(Path(arguments[1]), expiring_within, build, yes)
    elif len(arguments) == 2 and arguments[0] == "rotate-ca":
        _rotate_ca(Path(arguments[1]), build, yes, one_step)
    else:
        raise UsageError("expected `certs CLUSTER.yaml`, `certs renew CLUSTER.yaml` or `certs rotate-ca CLUSTER.yaml`")


def _check(cluster_file: Path, warn_days: int, build: Path | None) -> None:
    from provisioner.certs.check import gather, judge
    from provisioner.cli.etcd import all_targets
    from provisioner.render import default_output

    topology = load(cluster_file)
    tree = build or default_output(topology)
    if not (tree / "pki").is_dir():
        raise UsageError(f"{tree}: no rendered tree here; run apply (or render) first, or give --build")
    now = datetime.now(UTC)
    judged = [judge(found, now, warn_days) for found in gather(topology, tree, all_targets(topology, tree))]
    # Lines rather than a table: a nine-column table is cut to the terminal's width, or to 80 in CI logs.
    for host in dict.fromkeys(entry.host for entry in judged):
        output.out.print(f"[bold]{escape(host)}[/]")
        for entry in (entry for entry in judged if entry.host == host):
            colour = "red" if entry.problems else "green"
            facts = [escape(entry.subject), f"issuer {escape(entry.issuer)}",
                     f"not after {entry.not_after:%Y-%m-%d} ({entry.days_left} days)"] if entry.not_after else []
            output.out.print(f"  {escape(entry.path)}: {', '.join([*facts, f'tree: {entry.tree}'])}: "
                             f"[{colour}]{escape(', '.join(entry.problems) or 'ok')}[/]", soft_wrap=True)
            if entry.sans:
                output.out.print(f"    SANs: {escape(', '.join(entry.sans))}", soft_wrap=True)
    bad = [entry for entry in judged if entry.problems]
    if bad:
        output.fail([f"{entry.host}: {entry.path}: {', '.join(entry.problems)}" for entry in bad])
        raise typer.Exit(1)


def _renew(cluster_file: Path, expiring_within: int | None, build: Path | None, yes: bool) -> None:
    from provisioner.apply import ApplyDisplay, Recap, apply_cluster
    from provisioner.apply.variables import certs_renewal_variables
    from provisioner.backup.snapshot import default_snapshot_path
    from provisioner.certs.renew import renew_leaves
    from provisioner.certs.rollout import (
        APISERVER_ETCD_CLIENT,
        KUBECONFIG_AGAIN,
        api_servers,
        kubeadm_renewal_lines,
        kubeadm_renewals,
    )
    from provisioner.cli.etcd import all_targets, member_targets, snapshot_here
    from provisioner.cluster.record import read_record
    from provisioner.render import default_output

    topology = load(cluster_file)
    tree = build or default_output(topology)
    # The record is read only where kubeadm runs the control plane: other clusters renew as before.
    kubeadm_hosts = kubeadm_renewals(topology, read_record(tree)) if api_servers(topology) else []
    for line in kubeadm_renewal_lines(kubeadm_hosts, expiring_within) if kubeadm_hosts else []:
        output.out.print(escape(line), soft_wrap=True)
    if not yes:
        kubeadm = (", and kube-apiserver, kube-controller-manager and kube-scheduler one control-plane host at a "
                   "time where kubeadm renews its certificates") if kubeadm_hosts else ""
        raise UsageError("renewal restarts every etcd member whose certificate changes, one at a time (and "
                         "kube-apiserver, where kubeadm runs it, when its etcd client certificate changes"
                         f"{kubeadm}): re-run with --yes")
    destination = default_snapshot_path(tree, f"{topology.name}-before-renewal", datetime.now(UTC))
    snapshot_here(topology, member_targets(topology, tree), destination)
    renewed = renew_leaves(topology, tree, expiring_within)
    if not renewed and not kubeadm_hosts:
        output.out.print(f"no leaf certificate expires within {expiring_within} days: nothing to renew")
        return
    if renewed:
        output.out.print(f"renewed in the tree: {escape(', '.join(renewed))}; rolling them out", soft_wrap=True)
    else:
        output.out.print(f"no etcd leaf certificate expires within {expiring_within} days; kubeadm's certificates "
                         f"are checked on each control-plane host")
    restarting = api_servers(topology) if APISERVER_ETCD_CLIENT in renewed else []
    if restarting:
        output.out.print(f"once etcd is done, kube-apiserver restarts with its new etcd client certificate, one "
                         f"control-plane host at a time: {escape(', '.join(restarting))}", soft_wrap=True)
    recap = Recap.for_hosts(host.name for host in topology.hosts)
    display = ApplyDisplay(output.out)
    try:
        apply_cluster(topology, tree, all_targets(topology, tree), display, recap,
                      extra_variables=certs_renewal_variables(expiring_within) if kubeadm_hosts else None)
    finally:
        display.recap(recap)
    if kubeadm_hosts:
        output.out.print(escape(KUBECONFIG_AGAIN), soft_wrap=True)


def _rotate_ca(cluster_file: Path, build: Path | None, yes: bool, one_step: bool) -> None:
    from provisioner.apply import ApplyDisplay, Recap, apply_cluster
    from provisioner.backup.snapshot import default_snapshot_path
    from provisioner.certs import rotate
    from provisioner.certs.rollout import api_servers
    from provisioner.certs.rotation import STEPS, Finish, Prepare, next_action, plan_lines
    from provisioner.cli.etcd import all_targets, member_targets, rewrite_record, snapshot_here
    from provisioner.cluster.record import read_record
    from provisioner.render import default_output

    topology = load(cluster_file)
    tree = build or default_output(topology)
    record = read_record(tree)
    if record is None:
        raise UsageError(f"{tree}: no record of the cluster (record.yml): rotate-ca replaces the CA of a cluster "
                         f"apply built; run apply first, or give --build")
    state = rotate.read_state(tree)
    output.out.print("CA rotation of etcd, each step rolled out by apply:")
    members = [member.name for member in topology.etcd_members]
    for line in plan_lines(state, [host.name for host in topology.hosts], members, api_servers(topology)):
        output.out.print("  " + escape(line).replace("\n", "\n  "), soft_wrap=True)
    if not yes:
        raise UsageError("every step restarts the etcd members one at a time (and kube-apiserver, where kubeadm "
                         "runs it); nothing was changed: re-run with --yes")
    destination = default_snapshot_path(tree, f"{topology.name}-before-ca-rotation", datetime.now(UTC))
    snapshot_here(topology, member_targets(topology, tree), destination)
    display = ApplyDisplay(output.out)
    while True:
        action = next_action(state)
        if isinstance(action, Finish):
            assert state is not None
            certificate, key = rotate.finish(tree, topology, state)
            rewrite_record(topology, tree, "the etcd CA rotation ended: the new CA alone is recorded")
            rotate.end(tree)
            output.out.print(f"CA rotation done; the old CA is kept in {escape(str(certificate))} and its key in "
                             f"{escape(str(key))}", soft_wrap=True)
            return
        number = STEPS.index(action.step) + 1
        if isinstance(action, Prepare):
            state = rotate.prepare(tree, topology, action.step, state)
        assert state is not None
        rotate.record_tree_cas(tree)
        output.out.print(f"[bold]step {number} of {len(STEPS)}[/]: rolling out ({escape(action.step)})")
        recap = Recap.for_hosts(host.name for host in topology.hosts)
        try:
            apply_cluster(topology, tree, all_targets(topology, tree), display, recap)
        finally:
            display.recap(recap)
        state = rotate.write_state(tree, state.model_copy(update={"rolled_out": True}))
        if one_step and number < len(STEPS):
            output.out.print(f"step {number} rolled out; stopped there (--one-step): run rotate-ca again to continue")
            return
