#!/usr/bin/python
"""Report systemd services' state and pending restarts in one round trip; never changes anything."""

from __future__ import annotations

import os
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule  # type: ignore[import-untyped]

DOCUMENTATION = r"""
---
module: provisioner_service_state
short_description: State of systemd services, their pending-restart markers and a data folder
options:
  names:
    description: Services (without .service).
    type: list
    elements: str
    required: true
  pending_dir:
    description: Folder of the markers provisioner_files leaves for services whose files changed.
    type: path
    required: true
  data_dir:
    description: A data folder to report as initialized when it holds a member/ folder (etcd).
    type: path
    required: false
"""

RETURN = r"""
services:
  description: Per service, active, enabled, active_seconds and pending.
  type: dict
  returned: always
initialized:
  description: Whether data_dir/member exists.
  type: bool
  returned: always
"""

_PROPERTIES = "ActiveState,UnitFileState,ActiveEnterTimestampMonotonic"


def _service(module: Any, name: str, pending_dir: str) -> dict[str, Any]:
    rc, out, err = module.run_command(["systemctl", "show", f"{name}.service", f"--property={_PROPERTIES}"])
    if rc != 0:
        module.fail_json(msg=f"systemctl show {name}.service failed: {err.strip()}")
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    active = values.get("ActiveState") == "active"
    entered = int(values.get("ActiveEnterTimestampMonotonic") or 0) / 1e6
    return {
        "active": active,
        "enabled": values.get("UnitFileState") == "enabled",
        # How long it has been running: keepalived needs a few seconds to settle who holds the VIP.
        "active_seconds": round(time.monotonic() - entered, 1) if active and entered else 0.0,
        "pending": os.path.exists(os.path.join(pending_dir, name)),
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "names": {"type": "list", "elements": "str", "required": True},
            "pending_dir": {"type": "path", "required": True},
            "data_dir": {"type": "path", "required": False},
        },
        supports_check_mode=True,
    )
    services = {name: _service(module, name, module.params["pending_dir"]) for name in module.params["names"]}
    data_dir = module.params["data_dir"]
    initialized = bool(data_dir) and os.path.isdir(os.path.join(data_dir, "member"))
    module.exit_json(changed=False, services=services, initialized=initialized)


if __name__ == "__main__":
    main()
