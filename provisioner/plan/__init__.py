"""The plan: a pure function of (Topology, record, facts) returning the steps apply will take."""
