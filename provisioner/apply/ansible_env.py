"""How Ansible is tuned for apply: fast (pipelining, persistent SSH), strict (host keys) and quiet
about secrets (nothing logged on the hosts)."""

from __future__ import annotations

from pathlib import Path

from provisioner.hostpaths import PYTHON_INTERPRETER

# Enough parallelism for every host at once; beyond this the machine running the tool is the limit.
MAX_FORKS = 50
SSH_PERSIST_SECONDS = 60


def forks_for(host_count: int) -> int:
    return max(1, min(host_count, MAX_FORKS))


def ansible_environment(control_path_dir: Path) -> dict[str, str]:
    return {
        # ansible-runner turns host key checking off unless told otherwise; the inventory asks for strict.
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        # Modules are fed through the SSH session instead of being copied to a temporary file first.
        "ANSIBLE_PIPELINING": "True",
        # One SSH connection per host, reused by every task and every phase of the run.
        "ANSIBLE_SSH_ARGS": f"-o ControlMaster=auto -o ControlPersist={SSH_PERSIST_SECONDS}s",
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control_path_dir),
        # Facts are never gathered implicitly: the playbooks ask for what they use.
        "ANSIBLE_GATHERING": "explicit",
        # Module arguments (file contents included) stay out of the hosts' journals.
        "ANSIBLE_NO_TARGET_SYSLOG": "True",
        "ANSIBLE_NOCOLOR": "True",
        "ANSIBLE_FORCE_COLOR": "False",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
        # The interpreter is set in the inventory; discovery would cost a round trip per host.
        "ANSIBLE_INTERPRETER_PYTHON": PYTHON_INTERPRETER,
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
    }
