"""Backups of etcd: snapshots brought to this machine with the facts needed to trust and restore them,
and the commands scheduled backups run on the members."""
