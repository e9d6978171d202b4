"""The preflight probe's report is parsed from the lines probe.sh prints."""

from __future__ import annotations

from provisioner.apply.probe import Listener, parse_probe

TRIXIE = """os_id=debian
os_like=
os_version=13
os_name=Debian GNU/Linux 13 (trixie)
python3=/usr/bin/python3
systemd=yes
time=1763750000.25
ss=yes
listen=LISTEN 0      4096   198.18.1.21:2379       0.0.0.0:*    users:(("etcd",pid=812,fd=9))
listen=LISTEN 0      4096          *:6443              *:*    users:(("haproxy",pid=901,fd=7),("haproxy",pid=899,fd=7))
listen=LISTEN 0      128     [::]:22      [::]:*
main_pid_etcd=812
main_pid_haproxy=0
marker_etcd=# Rendered by provisioner for cluster ap-external: etcd member etcd1.
marker_haproxy=
"""


def test_every_fact_of_the_probe_is_read() -> None:
    probe = parse_probe(TRIXIE)
    assert (probe.os_id, probe.os_version, probe.os_name) == ("debian", "13", "Debian GNU/Linux 13 (trixie)")
    assert probe.python3 == "/usr/bin/python3" and probe.systemd and probe.ss_available
    assert probe.time == 1763750000.25
    assert probe.main_pids == {"etcd": 812, "haproxy": 0}
    assert probe.markers["etcd"].startswith("# Rendered by provisioner for cluster ap-external:")


def test_listeners_carry_every_process_holding_the_socket() -> None:
    probe = parse_probe(TRIXIE)
    assert probe.holders(2379) == [Listener(2379, (("etcd", 812),))]
    assert probe.holders(6443)[0].names == ["haproxy"]
    assert probe.holders(22) == [Listener(22, ())]
    assert probe.holders(2380) == []


def test_a_bare_host_reports_what_is_missing() -> None:
    probe = parse_probe("os_id=alpine\nos_name=Alpine Linux v3.20\npython3=\nsystemd=no\ntime=\nss=no\n")
    assert not probe.python3 and not probe.systemd and not probe.ss_available and probe.time is None


def test_probe_script_runs_under_plain_sh_and_parses() -> None:
    import subprocess

    from provisioner.apply.apply import PLAYBOOKS

    script = (PLAYBOOKS / "files/probe.sh").read_text()
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30, check=True)
    probe = parse_probe(result.stdout)
    assert probe.os_id and probe.os_name != "unknown"
    assert probe.time is not None
    assert set(probe.main_pids) == {"etcd", "haproxy"}
