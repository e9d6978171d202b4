"""What every check may ask for besides its host: the cluster file's topology and every host's connection."""

from __future__ import annotations

import pytest

from provisioner.cluster.topology import Topology
from provisioner.verify.fleet import Fleet
from provisioner.verify.plugin import FLEET, TOPOLOGY


@pytest.fixture(scope="session")
def topology(pytestconfig: pytest.Config) -> Topology:
    return pytestconfig.stash[TOPOLOGY]


@pytest.fixture(scope="session")
def fleet(pytestconfig: pytest.Config) -> Fleet:
    return pytestconfig.stash[FLEET]
