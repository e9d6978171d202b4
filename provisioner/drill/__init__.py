"""Drills: break a running cluster on purpose, one scenario at a time, while the workload writes, and
compare what survives with what the topology promises (see DESIGN.md, "Proving that nothing is lost")."""
