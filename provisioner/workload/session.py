"""The tool's side of a workload run: start the writer (and the prober) on a control-plane host, stop it,
fetch its history, read every key back from every member, and judge the history.

Both scripts run as transient systemd units (`systemd-run`), so stopping one is `systemctl stop`, nothing
outlives the unit, and a unit cannot run past its RuntimeMaxSec even if this process dies. They are
reached with the same ssh command line and strict host keys as ping and apply (provisioner/reach/ssh.py).
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import shlex
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from provisioner.cluster.topology import Topology
from provisioner.errors import ProvisionerError
from provisioner.hostpaths import (
    APISERVER_ETCD_CLIENT_CERT,
    APISERVER_ETCD_CLIENT_KEY,
    KUBE_ETCD_CA,
    PYTHON_INTERPRETER,
)
from provisioner.providers import SshTarget, ssh_targets
from provisioner.reach.remote import Completed, run_command
from provisioner.workload import prober, readback, writer
from provisioner.workload.checker import HistoryReport, check_history
from provisioner.workload.history import Attempt, MemberKeys, Probe, parse_attempts, parse_probes

# On the writer host: one folder per run with the scripts, the history files and the stop file.
REMOTE_ROOT = "/var/lib/provisioner/workload"
DEFAULT_MAX_SECONDS = 600.0
DEFAULT_INTERVAL = 0.01
# The longest a writer attempt can take (connect + request timeout) plus margin, before units are stopped.
_STOP_WAIT_SECONDS = 10
_POLL_SECONDS = 0.3
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_PROBES_MARK = "--- probes ---"
_LINK_ADDRESS = re.compile(r"link/ether ([0-9A-Fa-f:]{17})")


class WorkloadError(ProvisionerError):
    """The workload could not run or be read on its host; the message names the host and what failed."""


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


class Workload:
    """A writer on one control-plane host, used as a context manager that always stops it:

        with Workload(topology, tree) as workload:
            workload.start()
            workload.wait_for_acknowledged(50, timeout=30)
            ...fault, heal...
            report = workload.check()
    """

    def __init__(self, topology: Topology, tree: Path, writer_host: str | None = None,
                 endpoints: list[str] | None = None, run_id: str | None = None, *,
                 max_seconds: float = DEFAULT_MAX_SECONDS, interval: float = DEFAULT_INTERVAL,
                 probe: bool = True, endpoints_from: str | None = None) -> None:
        """`tree` is the rendered build folder (it says how SSH reaches the hosts, e.g. Vagrant's settings).
        Defaults: the first control-plane host, and the etcd endpoints its control plane is configured with.
        `endpoints_from` (a file on the writer host, such as the kubeadm configuration) makes the writer
        follow the endpoint list that file names whenever it changes."""
        self.topology = topology
        self.writer_host = writer_host or topology.control_plane_hosts[0].name
        self.endpoints = list(endpoints or topology.etcd_endpoints)
        self.endpoints_from = endpoints_from
        self.run_id = run_id or new_run_id()
        if not _RUN_ID.fullmatch(self.run_id):
            raise ValueError(f"run_id {self.run_id!r}: expected letters, digits and _.- (at most 64)")
        self.max_seconds = max_seconds
        self.interval = interval
        self.prefix = f"{writer.KEY_PREFIX}{self.run_id}/"
        self.remote_dir = f"{REMOTE_ROOT}/{self.run_id}"
        self._targets = {target.host: target for target in ssh_targets(topology, tree)}
        if self.writer_host not in self._targets:
            raise ValueError(f"writer_host {self.writer_host!r} is not a host of cluster {topology.name}")
        self.target = self._targets[self.writer_host]
        self.probing = probe and topology.endpoint.load_balancer != "none"
        self.attempts: list[Attempt] | None = None
        self.probes: list[Probe] = []
        self._balancer_macs: dict[str, str] = {}
        # Why some balancers cannot be named in the probes (unreachable at start, no Ethernet address).
        self.balancer_problems: list[str] = []
        self._started = False

    @property
    def writer_unit(self) -> str:
        return f"provisioner-workload-{self.run_id}.service"

    @property
    def prober_unit(self) -> str:
        return f"provisioner-probe-{self.run_id}.service"

    def __enter__(self) -> Workload:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        try:
            self.stop()
        except Exception:
            # Whatever went wrong fetching the history, the units go; the error that ended the block counts first.
            with contextlib.suppress(Exception):
                self._run(f"systemctl stop {self.writer_unit} {self.prober_unit} 2>/dev/null; true", timeout=60)
            if kind is None:
                raise

    def start(self) -> None:
        """Copies the scripts to the writer host and starts them; returns once the units run."""
        if self._started:
            raise WorkloadError(f"{self.writer_host}: workload {self.run_id} was already started")
        if self.probing:
            self._balancer_macs = self._read_balancer_macs()
        self._started = True
        self._run("sh -s", stdin=self._start_script(), timeout=60)

    def stop_units(self, pattern: str) -> None:
        """Stops the writer host's workload units matching `pattern` (a run a killed process left behind)."""
        self._run(f"systemctl stop {shlex.quote(pattern + '.service')} 2>/dev/null; true", timeout=60)

    def wait_for_acknowledged(self, count: int, timeout: float) -> int:
        """Waits until the writer has `count` acknowledged writes in this run; returns how many it has.
        Raises WorkloadError when the writer stopped or the time ran out."""
        deadline = time.monotonic() + timeout
        history = shlex.quote(f"{self.remote_dir}/history.jsonl")
        while True:
            answer = self._run(f"grep -c '\"outcome\":\"ok\"' {history} || true; "
                               f"systemctl is-active {self.writer_unit} || true", timeout=30).stdout.split()
            acknowledged, state = int(answer[0]) if answer else 0, answer[1] if len(answer) > 1 else "unknown"
            if acknowledged >= count:
                return acknowledged
            if state != "active":
                raise WorkloadError(f"{self.writer_host}: the writer is {state} after {acknowledged} acknowledged "
                                    f"writes (expected {count}): {self._journal_tail()}")
            if time.monotonic() > deadline:
                raise WorkloadError(f"{self.writer_host}: {acknowledged} of {count} writes acknowledged after "
                                    f"{timeout:g} s")
            time.sleep(_POLL_SECONDS)

    def stop(self) -> list[Attempt]:
        """Asks the writer and prober to stop (stop file), waits for them, stops their units in any case,
        and returns every attempt. A second call returns the same history."""
        if not self._started:
            return []
        if self.attempts is not None:
            return self.attempts
        folder = shlex.quote(self.remote_dir)
        units = f"{self.writer_unit} {self.prober_unit}"
        script = (f"touch {folder}/stop; "
                  f"for _ in $(seq {int(_STOP_WAIT_SECONDS / 0.2)}); do "
                  f"systemctl is-active --quiet {units} || break; sleep 0.2; done; "
                  f"systemctl stop {units} 2>/dev/null; "
                  f"cat {folder}/history.jsonl 2>/dev/null; echo {shlex.quote(_PROBES_MARK)}; "
                  f"cat {folder}/probes.jsonl 2>/dev/null; true")
        output = self._run(script, timeout=_STOP_WAIT_SECONDS + 60).stdout
        history, _, probes = output.partition(_PROBES_MARK + "\n")
        self.attempts = parse_attempts(history.splitlines(keepends=True))
        self.probes = [self._named(probe) for probe in parse_probes(probes.splitlines(keepends=True))]
        return self.attempts

    def read_back(self, members: dict[str, str] | None = None, timeout: float = 30) -> dict[str, MemberKeys]:
        """Every key of this run, from each member separately (member name -> key -> (value, mod_revision)),
        read from the writer host with the API server's certificate. `members` (name -> client URL)
        defaults to the topology's etcd members; a member that does not answer is asked again until
        `timeout` (it may still be recovering), then WorkloadError names it."""
        members = members or {member.name: member.client_url for member in self.topology.etcd_members}
        deadline = time.monotonic() + timeout
        held: dict[str, MemberKeys] = {}
        while True:
            missing = {name: url for name, url in members.items() if name not in held}
            arguments = [f"--member={name}={url}" for name, url in missing.items()]
            arguments += [f"--prefix={self.prefix}", *self._client_arguments()]
            command = f"{PYTHON_INTERPRETER} - {shlex.join(arguments)}"
            answers = json.loads(self._run(command, stdin=Path(readback.__file__).read_text(), timeout=120).stdout)
            errors: dict[str, str] = {}
            for name, answer in answers["members"].items():
                if answer["error"]:
                    errors[name] = answer["error"]
                else:
                    held[name] = {key: (value, int(revision)) for key, (value, revision) in answer["keys"].items()}
            if not errors:
                return {name: held[name] for name in members}
            if time.monotonic() > deadline:
                raise WorkloadError(f"{self.writer_host}: could not read back from " + "; ".join(
                    f"{name}: {error}" for name, error in errors.items()))
            time.sleep(1)

    def remove_keys(self, prefix: str | None = None) -> None:
        """Deletes this run's keys (or every key under `prefix`), through the first of the topology's (then
        the writer's) endpoints that answers; for runs against a cluster that is kept, such as apply's
        measurement of a move."""
        urls = list(dict.fromkeys([*self.topology.etcd_endpoints, *self.endpoints]))
        arguments = [*(f"--endpoint={url}" for url in urls), f"--prefix={prefix or self.prefix}",
                     *self._client_arguments()]
        self._run(f"{PYTHON_INTERPRETER} - {shlex.join(arguments)}", stdin=_REMOVE_KEYS, timeout=60)

    def check(self) -> HistoryReport:
        """Stops the writer, reads every member back and judges the history."""
        attempts = self.stop()
        return check_history(attempts, self.read_back())

    def _start_script(self) -> str:
        folder = shlex.quote(self.remote_dir)
        client_files = " ".join(shlex.quote(path) for path in (KUBE_ETCD_CA, APISERVER_ETCD_CLIENT_CERT,
                                                                APISERVER_ETCD_CLIENT_KEY))
        runtime = int(self.max_seconds) + 30  # systemd's backstop behind the script's own limit
        writer_argv = [PYTHON_INTERPRETER, f"{self.remote_dir}/writer.py", f"--run-id={self.run_id}",
                       *(f"--endpoint={url}" for url in self.endpoints), *self._client_arguments(),
                       f"--history={self.remote_dir}/history.jsonl", f"--stop-file={self.remote_dir}/stop",
                       f"--max-seconds={self.max_seconds:g}", f"--interval={self.interval:g}"]
        if self.endpoints_from:
            writer_argv.append(f"--endpoints-from={self.endpoints_from}")
        lines = ["set -e",
                 f"for file in {client_files}; do test -r \"$file\" || {{ echo \"missing $file\" >&2; exit 3; }}; done",
                 f"mkdir -p {folder}", f"chmod 700 {folder}",
                 *_here_document(f"{self.remote_dir}/writer.py", Path(writer.__file__).read_text()),
                 f"systemd-run --quiet --collect --unit={self.writer_unit} --property=RuntimeMaxSec={runtime} "
                 + shlex.join(writer_argv)]
        if self.probing:
            endpoint = self.topology.endpoint
            prober_argv = [PYTHON_INTERPRETER, f"{self.remote_dir}/prober.py", f"--address={endpoint.address}",
                           f"--port={endpoint.port}", f"--out={self.remote_dir}/probes.jsonl",
                           f"--stop-file={self.remote_dir}/stop", f"--max-seconds={self.max_seconds:g}"]
            lines += [*_here_document(f"{self.remote_dir}/prober.py", Path(prober.__file__).read_text()),
                      f"systemd-run --quiet --collect --unit={self.prober_unit} --property=RuntimeMaxSec={runtime} "
                      + shlex.join(prober_argv)]
        return "\n".join(lines) + "\n"

    def _client_arguments(self) -> list[str]:
        return [f"--cacert={KUBE_ETCD_CA}", f"--cert={APISERVER_ETCD_CLIENT_CERT}",
                f"--key={APISERVER_ETCD_CLIENT_KEY}"]

    def _read_balancer_macs(self) -> dict[str, str]:
        """Interface address -> balancer name, so a probe's neighbour entry names the VIP holder."""
        endpoint = self.topology.cluster.endpoint
        interface = endpoint.interface if endpoint else "eth0"

        def mac_of(name: str) -> tuple[str, str]:
            # `ip` asks the kernel over netlink in the host's own network namespace; /sys/class/net can
            # show another namespace's devices in a container.
            try:
                answer = self._run(f"ip -o link show dev {shlex.quote(interface)}", host=name, timeout=30).stdout
            except WorkloadError as error:
                self.balancer_problems.append(str(error))  # its probes stay unnamed
                return "", name
            found = _LINK_ADDRESS.search(answer)
            if found is None:
                self.balancer_problems.append(f"{name}: no link-layer address on {interface}: {answer.strip()}")
                return "", name
            return found.group(1).lower(), name

        balancers = [host.name for host in self.topology.load_balancer_hosts if host.name in self._targets]
        if not balancers:
            return {}
        with ThreadPoolExecutor(max_workers=len(balancers)) as pool:
            return {mac: name for mac, name in pool.map(mac_of, balancers) if mac}

    def _named(self, probe: Probe) -> Probe:
        if probe.neighbor_mac is None or probe.neighbor_mac not in self._balancer_macs:
            return probe
        return Probe(probe.time, probe.ok, probe.latency, probe.error, probe.neighbor_mac,
                     self._balancer_macs[probe.neighbor_mac])

    def _journal_tail(self) -> str:
        try:
            lines = self._run(f"journalctl --no-pager -n 5 -o cat -u {self.writer_unit} || true",
                              timeout=30).stdout.strip().splitlines()
        except WorkloadError as error:
            return str(error)
        return " | ".join(lines[-5:]) or "no journal lines"

    def _run(self, command: str, *, stdin: str | None = None, host: str | None = None,
             timeout: float) -> Completed:
        target: SshTarget = self._targets[host] if host else self.target
        done = run_command(target, command, stdin=stdin, timeout=timeout)
        if done.problem:
            raise WorkloadError(f"{target.host}: {done.problem}")
        return done


# Run on the writer host: deletes every key under --prefix through the first --endpoint that answers.
_REMOVE_KEYS = """
import argparse, base64, json, ssl, sys, urllib.request
parser = argparse.ArgumentParser()
for name in ("--cacert", "--cert", "--key", "--prefix"):
    parser.add_argument(name, required=True)
parser.add_argument("--endpoint", action="append", required=True)
args = parser.parse_args()
context = ssl.create_default_context(cafile=args.cacert)
context.load_cert_chain(args.cert, args.key)
end = args.prefix[:-1] + chr(ord(args.prefix[-1]) + 1)
body = json.dumps({"key": base64.b64encode(args.prefix.encode()).decode(),
                   "range_end": base64.b64encode(end.encode()).decode()}).encode()
errors = []
for url in args.endpoint:
    try:
        request = urllib.request.Request(url + "/v3/kv/deleterange", data=body,
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, context=context, timeout=5).read()
        sys.exit(0)
    except OSError as error:
        errors.append(f"{url}: {error}")
sys.exit("; ".join(errors))
"""


def _here_document(path: str, text: str) -> list[str]:
    """Shell lines writing `text` to `path` verbatim (a quoted delimiter: no expansion inside)."""
    mark = "PROVISIONER_WORKLOAD_" + secrets.token_hex(4)
    return [f"cat > {shlex.quote(path)} <<'{mark}'", *text.splitlines(), mark]
