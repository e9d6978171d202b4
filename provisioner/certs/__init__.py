"""Certificates on the hosts: read and judged against the tree, and leaf certificates renewed."""
