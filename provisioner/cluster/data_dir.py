"""Where etcd's data may live: apply makes the folder etcd's own (chown etcd, chmod 0700), so it must
be a folder of its own, never a system directory, a parent of one, or a place that is emptied."""

from __future__ import annotations

import posixpath

# Nothing of etcd's belongs anywhere below these: system files, or places emptied on reboot or by age.
SYSTEM_TREES = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/run", "/sbin",
                "/sys", "/tmp", "/usr", "/var/lock", "/var/run", "/var/tmp")
# Directories that other software owns: refused themselves, and so are their parents.
SYSTEM_DIRECTORIES = ("/var/lib", "/var/log", "/var/cache", "/var/spool", "/var/backups", "/var/local", "/var/mail",
                      "/var/opt", "/var/lib/apt", "/var/lib/containerd", "/var/lib/dpkg", "/var/lib/kubelet",
                      "/var/lib/systemd")
# Each folder directly in /home is a person's home.
HOMES = "/home"
MIN_LEVELS = 2


def is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + "/")


def data_dir_problem(path: str) -> str | None:
    """Why `path` (absolute, of plain path characters) cannot be etcd's data directory, or None."""
    if posixpath.normpath(path) != path or path.startswith("//"):
        return "expected a normalised path (no '.' or '..' parts, no '//', no trailing '/')"
    tree = next((tree for tree in SYSTEM_TREES if is_within(path, tree)), None)
    if tree:
        return f"expected a folder outside {tree}, which holds system files or is emptied"
    if posixpath.dirname(path) == HOMES:
        return f"expected a folder of etcd's own, not a home directory in {HOMES}"
    held = next((directory for directory in SYSTEM_DIRECTORIES if is_within(directory, path)), None)
    if held == path:
        return "expected a folder of etcd's own, not a system directory"
    if held:
        return f"expected a folder of etcd's own, not a parent of the system directory {held}"
    if path.count("/") < MIN_LEVELS:
        return "expected a folder at least two levels below / (such as /var/lib/etcd)"
    return None
