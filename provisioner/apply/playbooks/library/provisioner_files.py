#!/usr/bin/python
"""Place rendered files on a host in one round trip; remember which services need a restart."""

from __future__ import annotations

import base64
import grp
import os
import pwd
import shlex
import tempfile
from typing import Any

from ansible.module_utils.basic import AnsibleModule  # type: ignore[import-untyped]

DOCUMENTATION = r"""
---
module: provisioner_files
short_description: Place many small files at once, each atomically, and mark services to restart
description:
  - Used through the action plugin of the same name, which reads each file from the rendered tree.
  - A file is rewritten only when its content differs; owner, group and mode are corrected in place.
  - Files with the same non-empty C(pair) (a certificate and its key) are placed in one step: every
    one of them is written to a temporary file and validated first, then all are renamed into place,
    so a reader never finds a new certificate beside an old key because one of the two failed.
  - For every changed file with a service, an empty marker named after the service is left in
    I(pending_dir); the playbooks restart that service and then remove the marker.
options:
  files:
    description: Files to place, in order. Each has dest, owner, group, mode, service, content
      (base64), validate (a command with %s for the temporary file, or an empty string) and pair
      (files sharing a non-empty pair are placed together, at the first one's position).
    type: list
    elements: dict
    required: true
  pending_dir:
    description: Folder of the pending-restart markers.
    type: path
    required: true
"""

RETURN = r"""
changed_files:
  description: Paths written or whose owner, group or mode were corrected.
  type: list
  returned: always
pending_services:
  description: Services marked for a restart by this run.
  type: list
  returned: always
"""


def _current(dest: str) -> tuple[bytes | None, os.stat_result | None]:
    try:
        with open(dest, "rb") as handle:
            return handle.read(), os.stat(dest)
    except FileNotFoundError:
        return None, None


def _stage(module: Any, dest: str, content: bytes, uid: int, gid: int, mode: int, validate: str) -> str:
    """The content in a temporary file beside `dest`, validated; the caller renames or removes it."""
    folder = os.path.dirname(dest)
    os.makedirs(folder, mode=0o755, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(dest)}.")
    try:
        # Owner and mode are set before the content is written: a key is never readable by others.
        os.fchown(descriptor, uid, gid)
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if validate:
            rc, out, err = module.run_command(shlex.split(validate.replace("%s", temporary)))
            if rc != 0:
                raise _Rejected(f"{dest}: rejected by `{validate}`: {(err or out).strip()}")
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary


class _Rejected(Exception):
    pass


def _wanted(entry: dict[str, Any]) -> tuple[bytes, int, int, int]:
    try:
        uid = pwd.getpwnam(entry["owner"]).pw_uid
        gid = grp.getgrnam(entry["group"]).gr_gid
    except KeyError as error:
        raise _Rejected(f"{entry.get('dest')}: no such user or group: {error}") from None
    return base64.b64decode(entry["content"]), uid, gid, int(str(entry["mode"]), 8)


def _place_step(module: Any, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Places the files of one step (one file, or a certificate and its key); returns those changed
    (or, in check mode, that would change). Nothing of the step is replaced unless all of it can be."""
    changed: list[dict[str, Any]] = []
    to_write: list[tuple[dict[str, Any], bytes, int, int, int]] = []
    to_correct: list[tuple[dict[str, Any], int, int, int]] = []
    for entry in entries:
        content, uid, gid, mode = _wanted(entry)
        current, status = _current(entry["dest"])
        if current != content:
            to_write.append((entry, content, uid, gid, mode))
        elif status is None or (status.st_uid, status.st_gid, status.st_mode & 0o7777) != (uid, gid, mode):
            to_correct.append((entry, uid, gid, mode))
        else:
            continue
        changed.append(entry)
    if module.check_mode or not changed:
        return changed
    for entry in changed:
        _mark_pending_restart(module, entry)
    staged: list[tuple[str, str]] = []
    try:
        for entry, content, uid, gid, mode in to_write:
            staged.append((_stage(module, entry["dest"], content, uid, gid, mode, entry.get("validate") or ""),
                           entry["dest"]))
    except BaseException:
        for temporary, _ in staged:
            os.unlink(temporary)
        raise
    for temporary, dest in staged:
        os.replace(temporary, dest)
    for entry, uid, gid, mode in to_correct:
        os.chown(entry["dest"], uid, gid)
        os.chmod(entry["dest"], mode)
    return changed


def steps(entries: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The entries in order, those sharing a pair gathered at the first one's position."""
    result: list[list[dict[str, Any]]] = []
    by_pair: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        pair = entry.get("pair") or ""
        if pair and pair in by_pair:
            by_pair[pair].append(entry)
            continue
        step = [entry]
        result.append(step)
        if pair:
            by_pair[pair] = step
    return result


def _mark_pending_restart(module: Any, entry: dict[str, Any]) -> None:
    """Written before the file changes, so a run that fails right after still restarts the service
    next time (when the file already matches and nothing else would say so)."""
    if entry.get("service"):
        os.makedirs(module.params["pending_dir"], mode=0o755, exist_ok=True)
        with open(os.path.join(module.params["pending_dir"], entry["service"]), "w"):
            pass


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "files": {"type": "list", "elements": "dict", "required": True},
            "pending_dir": {"type": "path", "required": True},
        },
        supports_check_mode=True,
    )
    changed_files: list[str] = []
    services: set[str] = set()
    for step in steps(module.params["files"]):
        try:
            changed = _place_step(module, step)
        except _Rejected as error:
            module.fail_json(msg=str(error), changed_files=changed_files)
        for entry in changed:
            changed_files.append(entry["dest"])
            if entry.get("service"):
                services.add(entry["service"])
    module.exit_json(changed=bool(changed_files), changed_files=changed_files,
                     pending_services=sorted(services))


if __name__ == "__main__":
    main()
