"""Running host tools (ip, mount, ssh-keygen, ...) with failures turned into one-line LabErrors."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from provisioner.providers.lab.errors import LabError


def run(argv: Sequence[str], *, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                                stdin=subprocess.DEVNULL, check=False)
    except FileNotFoundError as error:
        raise LabError(f"{argv[0]} not found: install it and try again") from error
    except subprocess.TimeoutExpired as error:
        raise LabError(f"`{' '.join(argv)}` did not finish within {timeout:.0f}s") from error
    if check and result.returncode != 0:
        raise LabError(f"`{' '.join(argv)}` failed: {last_line(result.stderr or result.stdout)}")
    return result


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
