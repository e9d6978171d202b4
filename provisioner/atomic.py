"""The one way this tool replaces a file on its own machine: all at once, with its final mode from the start."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes | str, mode: int = 0o644) -> None:
    """Replaces `path` with `data`: a reader sees the old file or the new one, never a part; a crash
    leaves no partial file. The mode is set before the first byte, so a key is never readable by others."""
    content = data.encode() if isinstance(data, str) else data
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(descriptor, mode)  # mkstemp's 0600, or the umask, may differ from what the file needs
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
