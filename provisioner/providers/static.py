"""Real servers: they exist before the tool runs and stay after it; the cluster file says how to reach them."""

from __future__ import annotations

from provisioner.providers.base import Progress, Provider, SshTarget, quiet


class StaticProvider(Provider):
    """Hosts that someone else powers on and off. `up` and `down` change nothing on them."""

    name = "static"

    def up(self, progress: Progress = quiet) -> list[SshTarget]:
        return self.targets()

    def down(self, progress: Progress = quiet) -> None:
        # Real servers are never removed by this tool; there is nothing `up` created.
        progress("static hosts are not removed: nothing to do")
