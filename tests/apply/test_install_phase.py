"""The etcd a distribution package installed, judged against etcd.version: another minor release is
refused (naming both and the fix), another patch release is a warning."""

from __future__ import annotations

from provisioner.apply.phases.install import package_version_verdict

FIX = 'set etcd.version: "{0}" to run the distribution\'s etcd, or etcd.install: release for 3.5.16'


def test_another_minor_release_is_refused_with_the_fix() -> None:
    assert package_version_verdict("3.4.23", "3.5.16") == (
        "the etcd-server package installed etcd 3.4.23, but etcd.version is 3.5.16: " + FIX.format("3.4.23"), None)


def test_another_patch_release_is_a_warning() -> None:
    assert package_version_verdict("3.5.15", "3.5.16") == (
        None, "the etcd-server package installed etcd 3.5.15, etcd.version says 3.5.16: " + FIX.format("3.5.15"))


def test_the_same_release_says_nothing_and_an_unreadable_one_is_refused() -> None:
    assert package_version_verdict("3.5.16", "3.5.16") == (None, None)
    refusal, warning = package_version_verdict(None, "3.5.16")
    assert refusal is not None and "cannot tell which etcd" in refusal and warning is None
