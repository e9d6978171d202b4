"""ansible-runner events become typed results, and a failure becomes one line an operator can act on."""

from __future__ import annotations

from provisioner.apply.events import (
    HIDDEN,
    HostCounts,
    HostResult,
    PlaybookStats,
    TaskRetrying,
    TaskStarted,
    one_line_reason,
    parse_event,
)


def _event(name: str, **data: object) -> dict[str, object]:
    return {"event": name, "event_data": data}


def test_a_changed_result_is_reported_as_changed() -> None:
    event = parse_event(_event("runner_on_ok", host="cp1", task="Place files", res={"changed": True},
                               start="2026-01-01T00:00:00+00:00", end="2026-01-01T00:00:01+00:00"))
    assert isinstance(event, HostResult)
    assert (event.host, event.task, event.status) == ("cp1", "Place files", "changed")
    assert event.started is not None and event.ended is not None


def test_starts_retries_and_stats_are_understood() -> None:
    assert parse_event(_event("runner_on_start", host="lb1", task="Probe")) == TaskStarted("lb1", "Probe")
    retry = parse_event(_event("runner_retry", host="etcd1", task="Wait", res={"attempts": 2, "retries": 91}))
    assert retry == TaskRetrying("etcd1", "Wait", 2, 91)
    stats = parse_event(_event("playbook_on_stats", ok={"cp1": 3}, changed={"cp1": 1}, failures={},
                               dark={"lb1": 1}, skipped={"cp1": 2}, processed={"cp1": 1, "lb1": 1}))
    assert stats == PlaybookStats({"cp1": HostCounts(ok=3, changed=1, skipped=2), "lb1": HostCounts(unreachable=1)})


def test_events_apply_does_not_use_are_ignored() -> None:
    assert parse_event(_event("verbose")) is None
    assert parse_event(_event("runner_item_on_ok", host="cp1")) is None


def test_unreachable_names_the_ssh_problem() -> None:
    reason = one_line_reason({"msg": "Failed to connect to the host via ssh: ssh: connect to host 198.18.1.22 "
                                     "port 22: No route to host\r\n", "unreachable": True}, "unreachable")
    assert reason == "unreachable: ssh: connect to host 198.18.1.22 port 22: No route to host"


def test_a_failed_command_shows_the_last_line_of_its_error_output() -> None:
    reason = one_line_reason({"msg": "non-zero return code", "rc": 1,
                              "stderr": "{\"level\":\"warn\"}\nError: context deadline exceeded\n"}, "failed")
    assert reason == "Error: context deadline exceeded (exit 1)"


def test_a_failed_loop_item_is_named() -> None:
    reason = one_line_reason({"msg": "One or more items failed", "results": [
        {"item": "haproxy", "_ansible_item_label": "haproxy", "failed": True,
         "msg": "Unable to start service haproxy: Job failed.\nSee journalctl"},
        {"item": "keepalived", "changed": True}]}, "failed")
    assert reason == "haproxy: Unable to start service haproxy: Job failed."


def test_a_task_with_secrets_never_shows_its_output() -> None:
    assert one_line_reason({"censored": "the output has been hidden"}, "failed") == HIDDEN


def test_a_long_reason_is_cut_to_one_readable_line() -> None:
    reason = one_line_reason({"msg": "x" * 1000}, "failed")
    assert len(reason) == 300 and reason.endswith("…") and "\n" not in reason


def test_ansible_s_own_wrappers_are_left_out() -> None:
    # As Ansible 2.19 words a template that cannot render and a copy whose source is missing.
    assert one_line_reason({"msg": "Task failed: 'undefined_var' is undefined"}, "failed") == (
        "'undefined_var' is undefined")
    assert one_line_reason({"msg": "Unexpected AnsibleActionFail error: Could not find or access '/x' on the "
                                   "Ansible Controller.\nIf you are using a module"}, "failed") == (
        "Could not find or access '/x' on the Ansible Controller.")
