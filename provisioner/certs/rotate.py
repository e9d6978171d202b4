"""`certs rotate-ca`: the tree changes of each rotation step (see rotation.py for the steps), each safe to
repeat, and the record kept naming the CAs the hosts may trust. Apply rolls each step out.

The build folder during a rotation (certificates in pki/etcd/, keys in secrets/pki/etcd/): `ca` signs the
leaves; `ca-next` is the new CA during step 1; `ca-previous` the old one from step 2 until the end, when
it moves to `retired/`; pki/etcd/ca-bundle.crt is what every host trusts etcd with; pki/etcd/ca-rotation.yml
holds the progress. CA keys are 0600 and stay on this machine."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import yaml
from pydantic import ValidationError

from provisioner.atomic import write_atomically
from provisioner.certs.renew import renew_leaves
from provisioner.certs.rotation import RotationState, StepName, trusted_cas
from provisioner.cluster.record import (
    ETCD_CA,
    ETCD_CA_NEXT,
    ETCD_CA_PREVIOUS,
    certificate_fingerprint,
    read_record,
    tree_cas,
    write_record,
)
from provisioner.cluster.topology import Topology
from provisioner.errors import ProvisionerError, UsageError
from provisioner.render import render
from provisioner.render.pki import PkiFolders, store
from provisioner.render.pki.issue import Pair, issue_ca
from provisioner.render.placement import ETCD_TRUST_DURING_ROTATION
from provisioner.render.secrets import pki_folders

STATE_FILE = "pki/etcd/ca-rotation.yml"
RETIRED = "etcd/retired"


class RotationError(ProvisionerError):
    """The build folder is not in a state the rotation can continue from."""

    exit_code = 2


def read_state(tree: Path) -> RotationState | None:
    path = tree / STATE_FILE
    if not path.is_file():
        return None
    try:
        return RotationState.model_validate(yaml.safe_load(path.read_text()))
    except (yaml.YAMLError, ValidationError) as error:
        raise RotationError(f"{path}: not a CA rotation's progress ({str(error).splitlines()[0]})") from None


def write_state(tree: Path, state: RotationState) -> RotationState:
    text = ("# The etcd CA rotation in progress (provisioner certs rotate-ca): run it again to continue.\n"
            + yaml.safe_dump(state.model_dump(), sort_keys=False))
    write_atomically(tree / STATE_FILE, text, 0o644)
    return state


def prepare(tree: Path, topology: Topology, step: StepName, state: RotationState | None,
            now: datetime | None = None) -> RotationState:
    """Makes the tree changes of `step` (nothing twice when repeated) and returns the progress, not rolled out."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    folders = pki_folders(tree)
    if step == "trust-both":
        _pair(folders, ETCD_CA)  # the CA being replaced must be whole
        new = store.read_pair(*folders.pair(ETCD_CA_NEXT), required=True)
        if new is None:
            new = issue_ca(f"{topology.name}-etcd-ca-{now:%Y%m%d%H%M%S}", topology.cluster.pki.key_type, now)
            store.write_pair(*folders.pair(ETCD_CA_NEXT), new)
        state = RotationState(step=step, rolled_out=False, old_ca=_fingerprint(folders, ETCD_CA),
                              new_ca=_fingerprint(folders, ETCD_CA_NEXT))
    else:
        assert state is not None, "only the first step starts without progress"
        state = state.model_copy(update={"step": step, "rolled_out": False})
        if step == "reissue":
            _make_new_ca_sign(folders, state)
            renew_leaves(topology, tree, None, now)
    _write_bundle(tree, step)
    return write_state(tree, state)


def _make_new_ca_sign(folders: PkiFolders, state: RotationState) -> None:
    """ca -> ca-previous, ca-next -> ca; in this order, each checked by fingerprint, so a repeat after a stop
    anywhere in between completes it."""
    if certificate_fingerprint(folders.pair(ETCD_CA_PREVIOUS)[0]) != state.old_ca:
        if _fingerprint(folders, ETCD_CA) != state.old_ca:
            raise RotationError(f"{folders.pair(ETCD_CA)[0]}: neither the old CA of the rotation nor kept as "
                                f"{ETCD_CA_PREVIOUS}; put the old CA back")
        store.write_pair(*folders.pair(ETCD_CA_PREVIOUS), _pair(folders, ETCD_CA))
    if certificate_fingerprint(folders.pair(ETCD_CA)[0]) != state.new_ca:
        if certificate_fingerprint(folders.pair(ETCD_CA_NEXT)[0]) != state.new_ca:
            raise RotationError(f"{folders.pair(ETCD_CA_NEXT)[0]}: the rotation's new CA is missing; put it back")
        store.write_pair(*folders.pair(ETCD_CA), _pair(folders, ETCD_CA_NEXT))
    for path in folders.pair(ETCD_CA_NEXT):
        path.unlink(missing_ok=True)


def _write_bundle(tree: Path, step: StepName) -> None:
    folders = pki_folders(tree)
    pem = b"".join(folders.pair(f"etcd/{name}")[0].read_bytes() for name in trusted_cas(step))
    write_atomically(tree / ETCD_TRUST_DURING_ROTATION, pem, 0o644)


def finish(tree: Path, topology: Topology, state: RotationState) -> tuple[Path, Path]:
    """Moves the old CA aside (never deleted), ends the bundle (the tree is rendered again, so the hosts'
    file lists name ca.crt, which holds the bytes the bundle held) and records the new CA alone; returns
    where the old CA's certificate and key are now."""
    folders = pki_folders(tree)
    retired = folders.pair(f"{RETIRED}/ca-{state.old_ca.removeprefix('sha256:')[:16]}")
    for folder in (folders.certificates, folders.keys):
        store.private_dirs(folder, folder / RETIRED)
    for previous, aside in zip(folders.pair(ETCD_CA_PREVIOUS)[::-1], retired[::-1], strict=True):  # key first
        if previous.exists():
            os.replace(previous, aside)
    (tree / ETCD_TRUST_DURING_ROTATION).unlink(missing_ok=True)
    render(topology, tree)
    record_tree_cas(tree)
    return retired


def end(tree: Path) -> None:
    (tree / STATE_FILE).unlink(missing_ok=True)


def record_tree_cas(tree: Path) -> None:
    """The build folder's record names the etcd CAs of the tree (apply then places it on the members)."""
    record = read_record(tree)
    if record is None:
        raise UsageError(f"{tree}: no record of the cluster (record.yml); rotate-ca works on a cluster apply built")
    cas = tree_cas(tree)
    updated = record.ca.model_copy(update={"etcd": cas.etcd, "etcd_rotation": cas.etcd_rotation})
    if updated != record.ca:
        write_record(tree, record.model_copy(update={"ca": updated}))


def _pair(folders: PkiFolders, name: str) -> Pair:
    pair = store.read_pair(*folders.pair(name), required=True)
    if pair is None:
        certificate, key = folders.pair(name)
        raise RotationError(f"{certificate} and {key}: missing or not a pair; the rotation cannot continue")
    return pair


def _fingerprint(folders: PkiFolders, name: str) -> str:
    found = certificate_fingerprint(folders.pair(name)[0])
    if found is None:
        raise RotationError(f"{folders.pair(name)[0]}: missing; the rotation cannot continue")
    return found
