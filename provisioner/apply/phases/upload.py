"""Upload certificates and configuration: each host gets exactly its files.yml from the rendered tree."""

from __future__ import annotations

from provisioner.apply.phases.base import PlaybookPhase


class UploadFiles(PlaybookPhase):
    title = "Upload certificates and configuration"
    playbook = "files.yml"
