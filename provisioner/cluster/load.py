"""Reading a cluster file: YAML, then types, then the rules between fields; every problem at once."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from provisioner.cluster.checks import check_cluster
from provisioner.cluster.document import read_document
from provisioner.cluster.messages import describe
from provisioner.cluster.model import ClusterFile
from provisioner.cluster.positions import Positions
from provisioner.cluster.topology import Topology
from provisioner.errors import InputError, Problem


def load_topology(path: Path) -> tuple[Topology, list[Problem]]:
    """The validated topology and its warnings; raises InputError listing every problem found."""
    shown = str(path)
    if path.exists() and not path.is_file():  # a folder, or a pipe that would block the read
        raise InputError([Problem(shown, "", "expected a cluster file (YAML), found a folder or special file")])
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(shown, "", "no such file")]) from None
    except UnicodeDecodeError as error:
        raise InputError([Problem(shown, "", f"expected UTF-8 text, found byte {error.object[error.start]:#04x} "
                                             f"at offset {error.start}")]) from None
    except OSError as error:
        raise InputError([Problem(shown, "", f"cannot read the file: {error.strerror or error}")]) from None
    cluster, positions = parse_cluster(text, shown)
    errors, warnings = check_cluster(cluster, positions, shown)
    if errors:
        raise InputError(errors)
    return Topology(cluster, source=path.resolve()), warnings


def parse_cluster(text: str, shown: str) -> tuple[ClusterFile, Positions]:
    document = read_document(text, shown)
    data = document.data
    if data is None:
        raise InputError([Problem(shown, "", "the file is empty; expected a mapping with name, layout and hosts")])
    if not isinstance(data, dict):
        raise InputError([Problem(shown, "", "expected a mapping at the top level (name, layout, hosts, ...)", 1)])
    positions = Positions(document.root, data)
    problems = [Problem(shown, positions.field(p), "key appears more than once", line)
                for p, line in positions.duplicate_keys]
    try:
        cluster = ClusterFile.model_validate(data)
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            loc = tuple(detail["loc"])
            if detail["type"] == "invalid_key":  # the key itself is the problem: point at its mapping
                loc = loc[:-1]
            problems.append(Problem(shown, positions.field(loc), describe(detail), positions.line(loc)))
    if problems:
        raise InputError(problems)
    return cluster, positions
