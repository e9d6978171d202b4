"""The record: what this tool built. Written when a cluster is bootstrapped (or first found running)
and after every membership change, in the build folder (record.yml, reviewed like the rest of the
tree) and on every etcd member, so either copy can rebuild the other. The planner compares it with
the cluster file and the facts: a cluster with a record is never bootstrapped again."""

from __future__ import annotations

import hashlib
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
        return _HEADER + yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)


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


def certificate_fingerprint(path: Path) -> str | None:
    """The fingerprint the hosts' facts use for the same certificate."""
    if not path.is_file():
        return None
    certificate = x509.load_pem_x509_certificate(path.read_bytes())
    return "sha256:" + hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()


def tree_cas(tree: Path) -> RecordedCas:
    return RecordedCas(etcd=certificate_fingerprint(tree / "pki/etcd/ca.crt"),
                       kubernetes=certificate_fingerprint(tree / "pki/kubernetes/ca.crt"))
