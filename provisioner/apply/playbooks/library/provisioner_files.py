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
  - For every changed file with a service, an empty marker named after the service is left in
    I(pending_dir); the playbooks restart that service and then remove the marker.
options:
  files:
    description: Files to place, in order. Each has dest, owner, group, mode, service, content
      (base64) and validate (a command with %s for the temporary file, or an empty string).
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


def _write(module: Any, dest: str, content: bytes, uid: int, gid: int, mode: int, validate: str) -> None:
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
                module.fail_json(msg=f"{dest}: rejected by `{validate}`: {(err or out).strip()}")
        os.replace(temporary, dest)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _place(module: Any, entry: dict[str, Any]) -> bool:
    """True when the file was (or, in check mode, would be) changed."""
    dest = entry["dest"]
    content = base64.b64decode(entry["content"])
    uid = pwd.getpwnam(entry["owner"]).pw_uid
    gid = grp.getgrnam(entry["group"]).gr_gid
    mode = int(str(entry["mode"]), 8)
    current, status = _current(dest)
    if current == content:
        if status is not None and (status.st_uid, status.st_gid, status.st_mode & 0o7777) == (uid, gid, mode):
            return False
        if not module.check_mode:
            _mark_pending_restart(module, entry)
            os.chown(dest, uid, gid)
            os.chmod(dest, mode)
        return True
    if not module.check_mode:
        _mark_pending_restart(module, entry)
        _write(module, dest, content, uid, gid, mode, entry.get("validate") or "")
    return True


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
    for entry in module.params["files"]:
        try:
            changed = _place(module, entry)
        except KeyError as error:
            module.fail_json(msg=f"{entry.get('dest')}: no such user or group: {error}")
        if changed:
            changed_files.append(entry["dest"])
            if entry.get("service"):
                services.add(entry["service"])
    module.exit_json(changed=bool(changed_files), changed_files=changed_files,
                     pending_services=sorted(services))


if __name__ == "__main__":
    main()
