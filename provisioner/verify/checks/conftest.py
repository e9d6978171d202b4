"""What every check may ask for besides its host: the cluster file's topology, every host's connection, and
the facts and record read before the checks."""

from __future__ import annotations

import pytest

from provisioner.cluster.topology import Topology
from provisioner.verify.expect import CannotCheck
from provisioner.verify.fleet import Fleet
from provisioner.verify.live import LiveFacts
from provisioner.verify.plugin import FLEET, LIVE, TOPOLOGY


@pytest.fixture(scope="session")
def topology(pytestconfig: pytest.Config) -> Topology:
    return pytestconfig.stash[TOPOLOGY]


@pytest.fixture(scope="session")
def fleet(pytestconfig: pytest.Config) -> Fleet:
    return pytestconfig.stash[FLEET]


@pytest.fixture(scope="session")
def live(pytestconfig: pytest.Config) -> LiveFacts:
    found = pytestconfig.stash.get(LIVE, None)
    if found is None:
        raise CannotCheck("the facts were not gathered", "run `provisioner verify`, which gathers them first")
    return found
