"""The record: what this tool built. Written when a cluster is bootstrapped (or first found running)
and after every membership change, in the build folder (record.yml, reviewed like the rest of the
tree) and on every etcd member, so either copy can rebuild the other. The planner compares it with
the cluster file and the facts: a cluster with a record is never bootstrapped again."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pydantic import BaseModel, ConfigDict, ValidationError

from provisioner.atomic import write_atomically
from provisioner.errors import ProvisionerError

RECORD_FILE = "record.yml"
_HEADER = ("# What provisioner built: the identity apply checks before every change. Written by apply;\n"
           "# a copy lives on every etcd member. Do not edit: a cluster with a record is never bootstrapped again.\n")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RecordedMember(_Frozen):
    name: str
    id: str
    peer_url: str


class RecordedCas(_Frozen):
    """sha256 of the CA certificates (DER), as `openssl x509 -fingerprint -sha256` shows without colons."""

    etcd: str | None = None
    kubernetes: str | None = None
    # While the etcd CA is rotated (`certs rotate-ca`): the other etcd CA the hosts may trust beside
    # `etcd`, the new one before the leaves are re-issued from it, the old one after.
    etcd_rotation: str | None = None

    @property
    def etcd_trusted(self) -> frozenset[str]:
        """Every etcd CA a host may trust: the recorded one, and the other while a rotation runs."""
        return frozenset(ca for ca in (self.etcd, self.etcd_rotation) if ca)


class Record(_Frozen):
    cluster: str
    layout: str
    etcd_cluster_id: str
    data_dir: str
    # initial-cluster of the founding members: their configurations keep it, so growing the cluster
    # changes no byte of an existing member's files (etcd reads it only on a member's first start).
    initial_cluster: str
    members: tuple[RecordedMember, ...]
    ca: RecordedCas
    control_plane_initialized: bool = False

    def to_yaml(self) -> str:
        data = self.model_dump(mode="json")
        if data["ca"]["etcd_rotation"] is None:  # said only while a rotation runs: other records read as before
            del data["ca"]["etcd_rotation"]
        return _HEADER + yaml.safe_dump(data, sort_keys=False)


class RecordUnreadable(ProvisionerError):
    exit_code = 2


def parse_record(text: str, where: str) -> Record:
    try:
        return Record.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as error:
        first = str(error).splitlines()[0]
        raise RecordUnreadable(f"{where}: not a record this tool wrote ({first}); restore it from an etcd "
                               f"member's copy or from backup") from None


def read_record(tree: Path) -> Record | None:
    path = tree / RECORD_FILE
    if not path.is_file():
        return None
    return parse_record(path.read_text(), str(path))


def write_record(tree: Path, record: Record) -> None:
    write_atomically(tree / RECORD_FILE, record.to_yaml(), 0o644)


def retire_record(tree: Path, now: datetime) -> Path | None:
    """Moves the build folder's record aside (kept, never deleted) once the machines it describes are
    destroyed, so the next apply on new machines bootstraps a new cluster instead of asking for a restore;
    returns where it went (None: there was none)."""
    path = tree / RECORD_FILE
    if not path.is_file():
        return None
    aside = tree / f"record-of-removed-machines-{now:%Y%m%dT%H%M%SZ}.yml"
    os.replace(path, aside)
    return aside


def certificate_fingerprint(path: Path) -> str | None:
    """The fingerprint the hosts' facts use for the same certificate."""
    if not path.is_file():
        return None
    certificate = x509.load_pem_x509_certificate(path.read_bytes())
    return "sha256:" + hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()


# The etcd CA in the tree (it signs the leaves) and, while a rotation runs, the one beside it: the new CA
# before the leaves are re-issued from it, then the old one until the rotation ends. Names under pki/
# (certificates) and secrets/pki/ (keys), without the suffix.
ETCD_CA = "etcd/ca"
ETCD_CA_NEXT = "etcd/ca-next"
ETCD_CA_PREVIOUS = "etcd/ca-previous"


def tree_cas(tree: Path) -> RecordedCas:
    rotation = next((found for found in (certificate_fingerprint(tree / "pki" / f"{name}.crt")
                                         for name in (ETCD_CA_NEXT, ETCD_CA_PREVIOUS)) if found), None)
    return RecordedCas(etcd=certificate_fingerprint(tree / "pki" / f"{ETCD_CA}.crt"),
                       kubernetes=certificate_fingerprint(tree / "pki/kubernetes/ca.crt"), etcd_rotation=rotation)
