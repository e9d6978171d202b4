"""Reading what `vagrant ssh-config` prints: one `Host` block per machine, in ssh_config syntax."""

from __future__ import annotations

import re
from dataclasses import dataclass

from provisioner.errors import StepFailed

_STEP = "read vagrant ssh-config"
# ssh_config allows "Keyword value" and "Keyword=value"; Vagrant writes the first.
_LINE = re.compile(r"^(?P<key>[A-Za-z]+)(?:\s*=\s*|\s+)(?P<value>.*)$")


@dataclass(frozen=True)
class MachineSsh:
    """How Vagrant itself reaches one machine."""

    machine: str
    host_name: str
    port: int
    user: str
    # In the order ssh would try them; Vagrant lists the machine's own key first when it has one.
    identity_files: tuple[str, ...]
    proxy_jump: str | None = None


def parse_ssh_config(text: str) -> dict[str, MachineSsh]:
    """Machine name -> its settings. Options that only weaken checks (StrictHostKeyChecking no,
    UserKnownHostsFile /dev/null) or tune logging are dropped on purpose: host keys are ours to check."""
    blocks: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise StepFailed(_STEP, None, f"line {number} is not 'Keyword value': {line!r}")
        key, value = match["key"].lower(), _unquote(match["value"].strip())
        if key == "host":
            current = blocks.setdefault(value, {})
        elif current is None:
            raise StepFailed(_STEP, None, f"line {number}: {match['key']} before any Host line")
        else:
            current.setdefault(key, []).append(value)
    return {name: _machine(name, options) for name, options in blocks.items()}


def _unquote(value: str) -> str:
    # Vagrant quotes IdentityFile paths that contain spaces.
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _machine(name: str, options: dict[str, list[str]]) -> MachineSsh:
    def one(key: str) -> str:
        if key not in options:
            raise StepFailed(_STEP, name, f"no {key} in its ssh-config")
        return options[key][0]

    if "proxycommand" in options:
        # The inventory, testinfra and ping pass ssh options, not a command: a ProxyCommand (remote
        # libvirt over SSH) cannot be carried to them.
        raise StepFailed(_STEP, name, "Vagrant reaches it through a ProxyCommand, which is not supported; "
                                      "run the VMs on this machine")
    port = one("port")
    if not port.isdigit():
        raise StepFailed(_STEP, name, f"Port is not a number: {port!r}")
    return MachineSsh(
        machine=name,
        host_name=one("hostname"),
        port=int(port),
        user=one("user"),
        identity_files=tuple(options.get("identityfile", ())),
        proxy_jump=options.get("proxyjump", [None])[0],
    )
