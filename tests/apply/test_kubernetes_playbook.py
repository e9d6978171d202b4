"""The Kubernetes phase cannot run here (no Kubernetes packages are reachable), so what it is given is
tested instead: its variables, the kubeadm configuration it writes from the rendered one with the join
token and certificate key added as data, and the steps around kubeadm (failure reporting, what a retry
undoes) run for real against this machine; the kubeadm command lines are checked against the rules
kubeadm applies to them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner.apply.apply import PLAYBOOKS
from provisioner.apply.variables import kubeadm_decision_variables, kubernetes_variables
from provisioner.cluster.load import load_topology
from provisioner.plan.kubeadm import KubeadmDecision
from provisioner.render import render
from tests.apply.local_ansible import run_local
from tests.conftest import EXAMPLES

TOKEN = "abcdef.0123456789abcdef"
CERTIFICATE_KEY = "f" * 64


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kubeadm")
    data = yaml.safe_load((EXAMPLES / "servers-example/cluster.yaml").read_text())
    # One worker of our own, whatever the example lists.
    data["hosts"] = [host for host in data["hosts"] if host["roles"] != ["worker"]]
    data["hosts"].append({"name": "w1", "address": "10.20.0.241", "roles": ["worker"]})
    (folder / "cluster.yaml").write_text(yaml.safe_dump(data))
    topology, _ = load_topology(folder / "cluster.yaml")
    return render(topology, folder / "build").out


@pytest.fixture(scope="module")
def written(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    if os.geteuid() != 0:
        pytest.skip("the task writes a root-owned file: run as root")
    folder = tmp_path_factory.mktemp("runtime")
    play = {"name": "Write runtime kubeadm configurations", "hosts": "cp1:cp2:w1", "gather_facts": False,
            "tasks": [{"name": "Write", "ansible.builtin.import_role": {"name": "kubernetes",
                                                                        "tasks_from": "runtime_config"}}]}
    outcome = run_local(folder, [play], groups={"control_plane": ["cp1", "cp2"], "worker": ["w1"]}, extravars={
        "provisioner_tree": str(tree),
        "kubernetes_runtime_config": str(folder / "{{ inventory_hostname }}.yaml"),
        "kubernetes_token": TOKEN,
        "kubernetes_certificate_key": CERTIFICATE_KEY,
    })
    assert outcome.status == "successful", [failure.reason for failure in outcome.failures]
    # The test hands the token in as an extra variable; the task itself must not show it.
    for path in (folder / "run/artifacts").rglob("*"):
        if path.is_file():
            assert TOKEN not in path.read_text(errors="replace"), f"the join token leaked into {path}"
    return {host: list(yaml.safe_load_all((folder / f"{host}.yaml").read_text())) for host in ("cp1", "cp2", "w1")}


def _kinds(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {document["kind"]: document for document in documents}


def test_a_control_plane_host_gets_init_with_the_key_and_token_and_join_with_both(
        written: dict[str, list[dict[str, Any]]], tree: Path) -> None:
    rendered = _kinds(list(yaml.safe_load_all((tree / "hosts/cp1/kubeadm.yaml").read_text())))
    documents = _kinds(written["cp1"])
    assert list(documents) == ["InitConfiguration", "ClusterConfiguration", "JoinConfiguration"]
    init = documents["InitConfiguration"]
    assert init["certificateKey"] == CERTIFICATE_KEY
    assert init["bootstrapTokens"] == [{"token": TOKEN, "ttl": "2h0m0s"}]
    assert init["localAPIEndpoint"] == rendered["InitConfiguration"]["localAPIEndpoint"]
    assert documents["ClusterConfiguration"] == rendered["ClusterConfiguration"]
    join = documents["JoinConfiguration"]
    assert join["controlPlane"]["certificateKey"] == CERTIFICATE_KEY
    assert join["controlPlane"]["localAPIEndpoint"] == rendered["JoinConfiguration"]["controlPlane"]["localAPIEndpoint"]
    assert join["discovery"]["bootstrapToken"]["token"] == TOKEN
    assert join["discovery"]["bootstrapToken"]["caCertHashes"] == \
        rendered["JoinConfiguration"]["discovery"]["bootstrapToken"]["caCertHashes"]


def test_each_host_keeps_its_own_rendered_settings(written: dict[str, list[dict[str, Any]]]) -> None:
    assert _kinds(written["cp2"])["JoinConfiguration"]["nodeRegistration"]["name"] == "cp2"


def test_a_worker_gets_join_with_the_token_and_no_control_plane_section(
        written: dict[str, list[dict[str, Any]]]) -> None:
    (join,) = written["w1"]
    assert join["kind"] == "JoinConfiguration"
    assert join["discovery"]["bootstrapToken"]["token"] == TOKEN
    assert "controlPlane" not in join


ROLE = PLAYBOOKS / "roles" / "kubernetes"
DEFAULTS = yaml.safe_load((ROLE / "defaults/main.yml").read_text())
# kubeadm's validation.isAllowedFlag: the only flags ValidateMixedArguments lets through next to
# --config (every other one fails with "can not mix '--config' with arguments").
ALLOWED_WITH_CONFIG = {"config", "ignore-preflight-errors", "dry-run", "kubeconfig", "node-name", "kubeconfig-dir",
                       "upload-certs", "print-join-command", "rootfs", "v", "log-file"}


def _role_tasks(name: str) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = yaml.safe_load((ROLE / "tasks" / name).read_text())
    return tasks


def _walk(tasks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every task, block and import, in file order, blocks' own sections included."""
    for task in tasks:
        yield task
        for section in ("block", "rescue", "always"):
            yield from _walk(task.get(section) or [])


def _kubeadm_argvs() -> dict[str, list[str]]:
    """Task name -> kubeadm argv, whether the task runs it or hands it to kubeadm.yml."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROLE / "tasks").glob("*.yml")):
        for task in _walk(yaml.safe_load(path.read_text()) or []):
            argv = (task.get("ansible.builtin.command") or {}).get("argv")
            argv = (task.get("vars") or {}).get("kubernetes_kubeadm_argv", argv)
            if isinstance(argv, list) and argv[:1] == ["kubeadm"]:
                found[f"{path.name}: {task['name']}"] = argv
    return found


def _position(tasks: list[dict[str, Any]], name: str) -> int:
    return next(index for index, task in enumerate(tasks) if task.get("name") == name)


def test_kubeadm_never_mixes_config_with_flags_it_refuses() -> None:
    argvs = _kubeadm_argvs()
    assert len([argv for argv in argvs.values() if "--config" in argv]) >= 4, argvs
    for name, argv in argvs.items():
        if "--config" not in argv:
            continue
        flags = {word.removeprefix("--").split("=")[0] for word in argv if word.startswith("-")}
        refused = {flag for flag in flags if flag not in ALLOWED_WITH_CONFIG and not flag.startswith("skip-")}
        assert not refused, f"{name}: kubeadm refuses {sorted(refused)} next to --config"


def test_no_kubeadm_command_line_carries_the_token_or_the_certificate_key() -> None:
    for name, argv in _kubeadm_argvs().items():
        text = " ".join(argv)
        assert "kubernetes_token" not in text and "kubernetes_certificate_key" not in text, name
        assert "--certificate-key" not in argv and "--token" not in argv, name
        assert argv[:3] != ["kubeadm", "token", "create"], f"{name}: the token would be on the command line"


def test_a_running_cluster_gets_its_token_and_certificates_from_the_runtime_configuration() -> None:
    phases = {argv[3]: argv for argv in _kubeadm_argvs().values() if argv[1:3] == ["init", "phase"]}
    upload = phases["upload-certs"]
    assert upload[upload.index("--config") + 1] == "{{ kubernetes_runtime_config }}"
    assert "--upload-certs" in upload and "--skip-certificate-key-print" in upload
    # InitConfiguration.bootstrapTokens is what `kubeadm init phase bootstrap-token` creates.
    token = phases["bootstrap-token"]
    assert token[token.index("--config") + 1] == "{{ kubernetes_runtime_config }}"
    assert "--skip-token-print" in token


def test_kubeadm_init_prints_neither_the_token_nor_the_certificate_key() -> None:
    (init,) = [argv for argv in _kubeadm_argvs().values() if argv[1:3] == ["init", "--config"]]
    assert {"--upload-certs", "--skip-token-print", "--skip-certificate-key-print"} <= set(init)


def test_a_host_counts_as_done_only_once_kubeadm_has_succeeded() -> None:
    marker = DEFAULTS["kubernetes_member_marker"]
    assert marker.startswith("/etc/kubernetes/provisioner/")
    assert marker not in (DEFAULTS["kubernetes_admin_kubeconfig"], DEFAULTS["kubernetes_kubelet_kubeconfig"])
    (joined,) = [task for task in _role_tasks("running_versions.yml") if task.get("register") == "kubernetes_joined"]
    assert joined["ansible.builtin.stat"]["path"] == "{{ kubernetes_member_marker }}"
    for tasks_file, step in (("init.yml", "Initialize the cluster (kubeadm init --upload-certs)"),
                             ("join.yml", "Join the cluster (kubeadm join)")):
        tasks = list(_walk(_role_tasks(tasks_file)))
        assert not any("creates" in (task.get("ansible.builtin.command") or {}) for task in tasks), tasks_file
        writes = [task for task in tasks if (task.get("ansible.builtin.copy") or {}).get("dest") ==
                  "{{ kubernetes_member_marker }}"]
        assert len(writes) == 1, tasks_file
        # kubeadm.yml stops the host when kubeadm fails, so only a success reaches the marker.
        assert _position(tasks, step) < tasks.index(writes[0]), tasks_file
        assert tasks[_position(tasks, step)]["ansible.builtin.import_tasks"] == "kubeadm.yml"


def test_a_retry_first_undoes_what_a_failed_attempt_left_without_touching_etcd() -> None:
    for tasks_file, step in (("init.yml", "Initialize the cluster (kubeadm init --upload-certs)"),
                             ("join.yml", "Join the cluster (kubeadm join)")):
        tasks = list(_walk(_role_tasks(tasks_file)))
        (reset,) = [task for task in tasks if task.get("ansible.builtin.import_tasks") == "reset.yml"]
        assert tasks.index(reset) < _position(tasks, step), tasks_file
    leftovers = DEFAULTS["kubernetes_kubeadm_leftovers"]
    assert {"{{ kubernetes_admin_kubeconfig }}", "{{ kubernetes_kubelet_kubeconfig }}"} <= set(leftovers)
    assert "/etc/kubernetes/manifests/kube-apiserver.yaml" in leftovers
    (reset_argv,) = [argv for argv in _kubeadm_argvs().values() if argv[1] == "reset"]
    # remove-etcd-member empties /var/lib/etcd when it finds no kubeadm etcd: the stacked layout's own
    # etcd member keeps its data there.
    assert reset_argv[reset_argv.index("--skip-phases") + 1] == "remove-etcd-member"
    assert "--force" in reset_argv


def test_no_step_of_the_phase_waits_on_a_handler() -> None:
    """A handler notified before a failure is lost (any_errors_fatal, no force_handlers): every step
    converges on the state it reads instead."""
    assert not (ROLE / "handlers").exists()
    plays = yaml.safe_load((PLAYBOOKS / "kubernetes.yml").read_text())
    for path in sorted((ROLE / "tasks").glob("*.yml")):
        for task in _walk(yaml.safe_load(path.read_text()) or []):
            assert "notify" not in task, f"{path.name}: {task.get('name')}"
    for play in plays:
        assert "handlers" not in play and all("notify" not in task for task in play.get("tasks", [])), play["name"]


def test_containerd_is_marked_for_a_restart_before_its_configuration_changes() -> None:
    tasks = list(_walk(_role_tasks("prepare.yml")))
    mark = _position(tasks, "Mark containerd for a restart")
    write = _position(tasks, "Write containerd's configuration")
    restart = _position(tasks, "Restart containerd with its new configuration")
    forget = _position(tasks, "Forget the pending containerd restart")
    assert mark < write < restart < forget
    assert tasks[mark]["ansible.builtin.copy"]["dest"] == "{{ provisioner_pending_dir }}/containerd"
    assert tasks[restart]["when"] == "kubernetes_containerd_state.services.containerd.pending"


def test_kernel_modules_and_settings_are_applied_when_the_host_differs() -> None:
    tasks = _role_tasks("prepare.yml")
    modprobe = tasks[_position(tasks, "Load the kernel modules that are not loaded yet")]
    assert modprobe["when"] == "kubernetes_missing_modules | length > 0"
    settings = tasks[_position(tasks, "Apply the kernel settings that differ")]
    assert "kubernetes_sysctl_current.stdout_lines" in settings["when"]
    assert tasks[_position(tasks, "Read the current values of those kernel settings")]["changed_when"] is False


@pytest.fixture
def root() -> None:
    if os.geteuid() != 0:
        pytest.skip("the tasks run as root: run as root")


def _kubeadm_step_play(argv: list[str], marker: Path) -> dict[str, Any]:
    return {"name": "A step through kubeadm.yml", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Run the step", "ansible.builtin.import_role": {"name": "kubernetes", "tasks_from": "kubeadm"},
         "vars": {"kubernetes_kubeadm_step": "the stand-in step", "kubernetes_kubeadm_argv": argv}},
        {"name": "Record success", "ansible.builtin.copy": {"content": "done\n", "dest": str(marker), "mode": "0644"}},
    ]}


def test_a_failed_kubeadm_step_stops_with_its_error_lines_and_no_credential(root: None, tmp_path: Path) -> None:
    # A stand-in for kubeadm's failure output (its format: cmd/kubeadm/app/util/error.go and the
    # preflight checks), quoting the credentials the way its validation errors quote rejected values.
    secret = TOKEN.split(".")[1]
    script = (f"echo '[init] Using Kubernetes version: v1.31.4'; echo '[bootstrap-token] Using token: {TOKEN}'; "
              f"echo 'error execution phase preflight: [preflight] Some fatal errors occurred:' >&2; "
              f"echo '\t[ERROR Port-6443]: Port 6443 is in use' >&2; "
              f"echo 'certificateKey: Invalid value: \"{CERTIFICATE_KEY}\"; token-secret {secret}' >&2; "
              f"echo 'To see the stack trace of this error execute with --v=5 or higher' >&2; exit 1")
    marker = tmp_path / "marker"
    outcome = run_local(tmp_path, [_kubeadm_step_play(["sh", "-c", script], marker)], extravars={
        "kubernetes_token": TOKEN, "kubernetes_certificate_key": CERTIFICATE_KEY})
    assert outcome.status == "failed"
    (failure,) = outcome.failures
    assert failure.task == "Stop when it failed, for the stand-in step"
    assert failure.reason.startswith("the stand-in step failed (exit 1): error execution phase preflight")
    assert "[ERROR Port-6443]: Port 6443 is in use" in failure.reason
    assert not marker.exists()
    for path in (tmp_path / "run/artifacts").rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            for value in (TOKEN, secret, CERTIFICATE_KEY):
                assert value not in text, f"a credential leaked into {path}"


def test_a_kubeadm_step_that_succeeds_lets_the_run_go_on(root: None, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    outcome = run_local(tmp_path, [_kubeadm_step_play(["true"], marker)], extravars={
        "kubernetes_token": TOKEN, "kubernetes_certificate_key": CERTIFICATE_KEY})
    assert outcome.status == "successful", [failure.reason for failure in outcome.failures]
    # The command and the marker (no_log hides "changed" from the task's own result, not from the stats).
    assert outcome.stats["localhost"].changed == 2
    assert marker.read_text() == "done\n"


def test_only_a_host_with_leftovers_is_reset_and_gets_its_certificates_back(
        root: None, tree: Path, tmp_path: Path) -> None:
    """In check mode: neither the reset nor the certificates are carried out; the certificates report
    what they would put back, and they run on the same condition as the reset."""
    (tmp_path / "cp1").mkdir()
    (tmp_path / "cp1/admin.conf").write_text("left by a failed kubeadm init\n")
    play = {"name": "Undo a failed attempt", "hosts": "cp1:w1", "gather_facts": False, "check_mode": True,
            "tasks": [{"name": "Undo", "ansible.builtin.import_role": {"name": "kubernetes", "tasks_from": "reset"}}]}
    outcome = run_local(tmp_path, [play], groups={"control_plane": ["cp1"], "worker": ["w1"]}, extravars={
        "provisioner_tree": str(tree),
        "provisioner_validators": {},
        "provisioner_pending_dir": str(tmp_path / "pending"),
        "kubernetes_kubeadm_leftovers": [str(tmp_path / "{{ inventory_hostname }}/admin.conf"),
                                         str(tmp_path / "{{ inventory_hostname }}/kubelet.conf")],
    })
    assert outcome.status == "successful", [failure.reason for failure in outcome.failures]
    tasks = list(_walk(_role_tasks("reset.yml")))
    reset = tasks[_position(tasks, "Undo the earlier attempt (kubeadm reset, keeping etcd's data)")]
    assert tasks[_position(tasks, "Put back the certificates kubeadm reset removed")]["when"] == reset["when"]
    files = yaml.safe_load((tree / "hosts/cp1/files.yml").read_text())["files"]
    public = [entry["dest"] for entry in files
              if entry["dest"].startswith("/etc/kubernetes/pki/") and not (entry["secret"] or entry["pair"])]
    assert public == ["/etc/kubernetes/pki/etcd/ca.crt"]
    restored = outcome.results_of("Place configuration files and CA certificates")
    assert restored["cp1"].result["changed_files"] == public
    assert restored["w1"].status == "skipped"
    # no_log hides what the keys would change; that they ran shows.
    keys = outcome.results_of("Place keys and secrets, each certificate with its key")
    assert keys["cp1"].status != "skipped" and keys["w1"].status == "skipped"


# As `containerd config default` (1.7) prints them, abridged (Ansible strips the last newline).
CONTAINERD_DEFAULT = """version = 2

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.8"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
"""


@pytest.mark.parametrize(("pause", "sandbox"), [("mirror.example/k8s/pause:3.10", "mirror.example/k8s/pause:3.10"),
                                                ("", "registry.k8s.io/pause:3.8")])
def test_containerd_gets_the_systemd_cgroup_driver_and_kubeadm_s_pause_image(
        tmp_path: Path, pause: str, sandbox: str) -> None:
    (task,) = [task for task in _role_tasks("prepare.yml") if task["name"].startswith("Configure containerd")]
    result = tmp_path / "config.toml"
    play = {"name": "Render containerd's configuration", "hosts": "localhost", "gather_facts": False,
            "vars": task["vars"], "tasks": [{"name": "Write", "ansible.builtin.copy": {
                "content": "{{ kubernetes_containerd_config }}", "dest": str(result), "mode": "0644"}}]}
    default = {"stdout": CONTAINERD_DEFAULT.rstrip()}
    outcome = run_local(tmp_path, [play], extravars={"kubernetes_pause_image": pause,
                                                     "kubernetes_containerd_default": default})
    assert outcome.status == "successful", [failure.reason for failure in outcome.failures]
    assert result.read_text() == CONTAINERD_DEFAULT.replace("SystemdCgroup = false", "SystemdCgroup = true") \
        .replace("registry.k8s.io/pause:3.8", sandbox)


def test_the_add_on_manifest_is_refused_unless_its_sha256_matches_and_applied_with_the_rendered_patch() -> None:
    tasks = _role_tasks("pod_network.yml")
    (download,) = [task["ansible.builtin.get_url"] for task in tasks if "ansible.builtin.get_url" in task]
    assert download["checksum"] == "sha256:{{ kubernetes_cni_manifest_sha256 }}"
    assert download["url"] == "{{ kubernetes_cni_manifest_url }}"
    # Beside the kustomization the files phase placed there, which names it as its resource.
    assert download["dest"] == "{{ kubernetes_cni_dir }}/manifest.yaml"
    diff, apply = [task["ansible.builtin.command"]["argv"] for task in tasks if "ansible.builtin.command" in task]
    assert diff[:3] == ["kubectl", "diff", "--server-side"] and apply[:3] == ["kubectl", "apply", "--server-side"]
    assert diff[-2:] == apply[-2:] == ["-k", "{{ kubernetes_cni_dir }}"]


def test_the_add_on_files_are_placed_where_apply_looks_for_them(tree: Path) -> None:
    topology, _ = load_topology(tree.parent / "cluster.yaml")
    folder = kubernetes_variables(topology)["kubernetes_cni_dir"]
    placed = {entry["dest"] for entry in yaml.safe_load((tree / "hosts/cp1/files.yml").read_text())["files"]}
    assert {f"{folder}/kustomization.yaml", f"{folder}/pod-network.yaml"} <= placed


# kubeadm init or join as apply decided from the facts: the plays' host patterns and the guards of
# init, join and reset, run with Ansible against this machine, which has no kubeadm.

NODES = {"control_plane": ["cp1", "cp2", "cp3"], "worker": ["w1"]}


def _decision_variables(decision: KubeadmDecision) -> dict[str, Any]:
    variables = kubeadm_decision_variables(decision)
    assert yaml.safe_load(yaml.safe_dump(variables)) == variables  # plain data, as extra variables travel
    return variables


def _hosts_of_each_play(folder: Path, decision: KubeadmDecision) -> dict[str, list[str]]:
    """kubernetes.yml's plays as shipped (hosts, serial, order), each task list replaced by one task that
    only marks where it ran; the first play keeps the task that finds the decided host."""
    plays = yaml.safe_load((PLAYBOOKS / "kubernetes.yml").read_text())
    finder = {"name": "Find the decided host", "ansible.builtin.import_role": {
        "name": "kubernetes", "tasks_from": "first_control_plane"}}
    marked = [{**play, "tasks": ([finder] if index == 0 else []) + [
        {"name": f"Ran: {play['name']}", "ansible.builtin.debug": {"msg": "here"}}]}
        for index, play in enumerate(plays)]
    outcome = run_local(folder, marked, groups=NODES, extravars=_decision_variables(decision))
    assert outcome.status == "successful", [failure.reason for failure in outcome.failures]
    return {play["name"]: sorted(outcome.results_of(f"Ran: {play['name']}")) for play in plays}


def test_a_new_cluster_is_initialised_on_the_decided_host_and_the_others_join(tmp_path: Path) -> None:
    ran = _hosts_of_each_play(tmp_path, KubeadmDecision("cp1", True, joining=("cp2", "cp3", "w1")))
    assert ran["Initialize the cluster, or issue the join credentials, on the host apply chose"] == ["cp1"]
    assert ran["Join the other control-plane hosts, one at a time"] == ["cp2", "cp3"]
    assert ran["Join the workers"] == ["w1"]


def test_a_running_cluster_gets_its_credentials_from_the_host_whose_api_answered(tmp_path: Path) -> None:
    """cp1, first in the file, was rebuilt; cp2 answers: every play meant for 'the first control-plane
    host' runs on cp2, and cp1 is among the joining hosts."""
    ran = _hosts_of_each_play(tmp_path, KubeadmDecision("cp2", False, members=("cp2", "cp3", "w1"), joining=("cp1",)))
    for play in ("Decide the upgrade kubernetes.version asks for",
                 "Upgrade the first control-plane host (kubeadm upgrade apply)",
                 "Initialize the cluster, or issue the join credentials, on the host apply chose"):
        assert ran[play] == ["cp2"], play
    assert ran["Upgrade the other control-plane hosts, one at a time (kubeadm upgrade node)"] == ["cp1", "cp3"]
    assert ran["Join the other control-plane hosts, one at a time"] == ["cp1", "cp3"]
    assert ran["Prepare control-plane hosts and workers"] == ["cp1", "cp2", "cp3", "w1"]


def _stat_marker() -> dict[str, Any]:
    """running_versions.yml's own task reading the marker (kubernetes_joined), as the playbook runs it first."""
    (task,) = [task for task in _role_tasks("running_versions.yml") if task.get("register") == "kubernetes_joined"]
    return task


def _marker_variables(folder: Path, marked: tuple[str, ...]) -> dict[str, Any]:
    for host in marked:
        (folder / host).mkdir(parents=True, exist_ok=True)
        (folder / host / "member").write_text("kubeadm join\n")
    return {"kubernetes_member_marker": str(folder / "{{ inventory_hostname }}/member"),
            "kubernetes_runtime_config": str(folder / "{{ inventory_hostname }}-runtime.yaml")}


def test_reset_is_refused_on_a_member_and_on_a_host_with_the_marker(root: None, tree: Path, tmp_path: Path) -> None:
    """cp1 is a member by the decision, cp2 holds the marker, cp3 neither: all three have the files kubeadm
    leaves; only cp3 gets as far as kubeadm reset (in check mode: not carried out)."""
    for host in ("cp1", "cp2", "cp3"):
        (tmp_path / host).mkdir()
        (tmp_path / host / "admin.conf").write_text("kubeadm wrote this\n")
    play = {"name": "Reset", "hosts": "cp1:cp2:cp3", "gather_facts": False, "check_mode": True,
            "tasks": [{"name": "Undo", "ansible.builtin.import_role": {"name": "kubernetes", "tasks_from": "reset"}}]}
    outcome = run_local(tmp_path, [play], groups=NODES, extravars={
        **_decision_variables(KubeadmDecision("cp2", False, members=("cp1",), joining=("cp3",))),
        **_marker_variables(tmp_path, ("cp2",)),
        "provisioner_tree": str(tree), "provisioner_validators": {},
        "provisioner_pending_dir": str(tmp_path / "pending"),
        "kubernetes_kubeadm_leftovers": [str(tmp_path / "{{ inventory_hostname }}/admin.conf")],
    })
    refused = outcome.results_of("Refuse to reset a host that is part of the working cluster")
    assert {host for host, result in refused.items() if result.status == "failed"} == {"cp1", "cp2"}
    assert "cp1: kubeadm reset refused: this host is part of the running Kubernetes cluster (apply found it a " \
           "member)" in refused["cp1"].reason
    assert "its marker" in refused["cp2"].reason and refused["cp3"].status == "skipped"
    assert set(outcome.results_of("Undo the earlier attempt (kubeadm reset, keeping etcd's data)")) == {"cp3"}
    # The files are put back on the reset's own condition, held on cp3 only (keys and certificates with their
    # keys unlogged; configuration and CA certificates here).
    restored = outcome.results_of("Place configuration files and CA certificates")
    assert set(restored) == {"cp3"} and restored["cp3"].result["changed_files"]


def _init_play(decision: KubeadmDecision) -> dict[str, Any]:
    plays = yaml.safe_load((PLAYBOOKS / "kubernetes.yml").read_text())
    (init,) = [play for play in plays if play["name"].startswith("Initialize the cluster")]
    return {**init, "hosts": decision.first_control_plane, "any_errors_fatal": False,
            "tasks": [_stat_marker(), init["tasks"][0]]}


def test_kubeadm_init_is_refused_on_a_host_with_the_marker(root: None, tree: Path, tmp_path: Path) -> None:
    decision = KubeadmDecision("cp1", True, joining=("cp2",))
    outcome = run_local(tmp_path, [_init_play(decision)], groups=NODES, extravars={
        **_decision_variables(decision), **_marker_variables(tmp_path, ("cp1",)), "provisioner_tree": str(tree)})
    (failure,) = outcome.failures
    assert failure.task == "Refuse kubeadm init on a host that is already part of a cluster"
    assert "kubeadm init never runs over an existing cluster" in failure.reason
    assert not outcome.results_of("Generate the key that encrypts the control-plane certificates kubeadm uploads")


def test_nothing_runs_kubeadm_on_the_decided_host_when_every_node_is_a_member(
        root: None, tree: Path, tmp_path: Path) -> None:
    decision = KubeadmDecision("cp2", False, members=("cp1", "cp2", "cp3", "w1"))
    outcome = run_local(tmp_path, [_init_play(decision)], groups=NODES, extravars={
        **_decision_variables(decision), **_marker_variables(tmp_path, ("cp2",)), "provisioner_tree": str(tree)})
    assert outcome.status == "successful", [failure.reason for failure in outcome.failures]
    kubeadm = [result for result in outcome.results if result.task.startswith(("Generate", "Run kubeadm"))]
    assert {result.task for result in kubeadm} >= {"Run kubeadm init", "Generate a bootstrap token for joining hosts"}
    assert {result.status for result in kubeadm} == {"skipped"}


def test_kubeadm_init_runs_only_where_the_decision_says(root: None, tree: Path, tmp_path: Path) -> None:
    """With kubernetes_initialize, the decided host goes for kubeadm (absent here, so its first kubeadm
    command fails); the join of the others waits behind it (any_errors_fatal in the shipped play)."""
    decision = KubeadmDecision("cp1", True, joining=("cp2", "cp3", "w1"))
    outcome = run_local(tmp_path, [_init_play(decision)], groups=NODES, extravars={
        **_decision_variables(decision), **_marker_variables(tmp_path, ()), "provisioner_tree": str(tree)})
    (failure,) = outcome.failures
    assert (failure.host, failure.task) == \
        ("cp1", "Generate the key that encrypts the control-plane certificates kubeadm uploads")
    assert not (tmp_path / "cp1/member").exists()


def test_only_the_decided_hosts_join_with_the_credentials_of_the_decided_host(
        root: None, tree: Path, tmp_path: Path) -> None:
    """cp1 joins (kubeadm is absent here: its join fails, reported with kubeadm's step); cp3 is a member
    without a marker and w1 holds the marker: neither is reset nor joined."""
    decision = KubeadmDecision("cp2", False, members=("cp2", "cp3", "w1"), joining=("cp1",))
    credentials = {"name": "The decided host issued credentials", "hosts": "cp2", "gather_facts": False, "tasks": [
        {"name": "Stand in for kubeadm's token", "ansible.builtin.set_fact": {
            "kubernetes_token": TOKEN, "kubernetes_certificate_key": CERTIFICATE_KEY}, "no_log": True}]}
    join = {"name": "Join", "hosts": "cp1:cp3:w1", "gather_facts": False, "tasks": [
        _stat_marker(), {"name": "Join", "ansible.builtin.import_role": {"name": "kubernetes", "tasks_from": "join"}}]}
    outcome = run_local(tmp_path, [credentials, join], groups=NODES, extravars={
        **_decision_variables(decision), **_marker_variables(tmp_path, ("w1",)), "provisioner_tree": str(tree),
        "kubernetes_kubeadm_leftovers": [str(tmp_path / "{{ inventory_hostname }}/admin.conf")]})
    (failure,) = outcome.failures
    assert (failure.host, failure.task) == ("cp1", "Stop when it failed, for kubeadm join")
    took = outcome.results_of("Take the token and certificate key from the host that issued them")
    assert {host for host, result in took.items() if result.status == "ok"} == {"cp1"}
    guarded = outcome.results_of("Refuse to reset a host that is part of the working cluster")
    assert {result.status for result in guarded.values()} == {"skipped"}
    assert not (tmp_path / "cp1-runtime.yaml").exists()
