"""The PKI verifies with openssl in strict mode, carries what etcd and kubeadm need, serves a real mutual TLS
handshake, and is reused byte for byte when nothing changed."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from provisioner.render.pki import KeyType, PkiError, PkiFolders, PkiMember, ensure_pki, stale_pki

MEMBERS = (
    PkiMember("etcd1", ipaddress.IPv4Address("10.20.0.11")),
    PkiMember("etcd2", ipaddress.IPv4Address("10.20.0.12")),
    PkiMember("etcd3", ipaddress.IPv6Address("fd00::13")),
)
CAS = ("etcd/ca", "kubernetes/ca", "kubernetes/front-proxy-ca")
CLIENTS = ("etcd/apiserver-etcd-client", "etcd/healthcheck-client")
SERVER_AND_CLIENT = {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
TIMEOUT = 5.0
_T = TypeVar("_T", bound=x509.ExtensionType)
Snapshot = dict[str, tuple[bytes, int, int]]


def _member_leaves(names: tuple[str, ...] = ("etcd1", "etcd2", "etcd3")) -> list[str]:
    return [f"etcd/members/{name}/{role}" for name in names for role in ("server", "peer")]


LEAVES = [*CLIENTS, *_member_leaves()]


def _render(pki: Path, members: tuple[PkiMember, ...] = MEMBERS, key_type: KeyType = "ecdsa-p256",
            now: datetime | None = None) -> Path:
    ensure_pki(PkiFolders(pki, pki), cluster_name="demo", etcd_members=members, key_type=key_type, now=now)
    return pki


@pytest.fixture(scope="module", params=["ecdsa-p256", "rsa-2048"])
def key_type(request: pytest.FixtureRequest) -> KeyType:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def pki(key_type: KeyType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory.mktemp(key_type) / "pki", key_type=key_type)


def _certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _extension(certificate: x509.Certificate, kind: type[_T]) -> x509.Extension[_T]:
    return certificate.extensions.get_extension_for_class(kind)


def _snapshot(root: Path) -> Snapshot:
    """Content, mtime and inode of every file and directory: a rewrite shows in one of them."""
    return {
        path.relative_to(root).as_posix(): (path.read_bytes() if path.is_file() else b"",
                                            path.stat().st_mtime_ns, path.stat().st_ino)
        for path in [root, *root.rglob("*")]
    }


# --- openssl --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def openssl() -> str:
    found = shutil.which("openssl")
    if found is None:
        pytest.skip("openssl is not installed")
    return found


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(arguments, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def _verify(openssl: str, ca: Path, certificate: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return _run(openssl, "verify", "-x509_strict", *options, "-CAfile", str(ca), str(certificate))


@pytest.mark.tools
def test_openssl_verifies_every_ca_and_leaf_strictly(pki: Path, openssl: str) -> None:
    for ca in CAS:
        result = _verify(openssl, pki / f"{ca}.crt", pki / f"{ca}.crt")
        assert result.returncode == 0, f"{ca}: {result.stdout}{result.stderr}"
    for leaf in LEAVES:
        result = _verify(openssl, pki / "etcd/ca.crt", pki / f"{leaf}.crt")
        assert result.returncode == 0, f"{leaf}: {result.stdout}{result.stderr}"


@pytest.mark.tools
def test_openssl_agrees_on_the_purpose_of_each_leaf(pki: Path, openssl: str) -> None:
    ca = pki / "etcd/ca.crt"
    for leaf in _member_leaves():
        for purpose in ("sslserver", "sslclient"):
            result = _verify(openssl, ca, pki / f"{leaf}.crt", "-purpose", purpose)
            assert result.returncode == 0, (leaf, purpose, result.stdout)
    for leaf in CLIENTS:
        assert _verify(openssl, ca, pki / f"{leaf}.crt", "-purpose", "sslclient").returncode == 0, leaf
        assert _verify(openssl, ca, pki / f"{leaf}.crt", "-purpose", "sslserver").returncode != 0, leaf


@pytest.mark.tools
def test_openssl_rejects_etcd_leaves_against_the_kubernetes_ca(pki: Path, openssl: str) -> None:
    result = _verify(openssl, pki / "kubernetes/ca.crt", pki / "etcd/members/etcd1/server.crt")
    assert result.returncode != 0


def _openssl_extensions(openssl: str, certificate: Path) -> dict[str, list[str]]:
    """`openssl x509 -ext` output as {extension name: [values]}."""
    result = _run(openssl, "x509", "-noout", "-ext", "subjectAltName,extendedKeyUsage",
                  "-in", str(certificate))
    assert result.returncode == 0, result.stderr
    extensions: dict[str, list[str]] = {}
    lines = result.stdout.splitlines()
    for header, values in zip(lines[::2], lines[1::2], strict=True):
        extensions[header.split(":")[0].strip()] = [value.strip() for value in values.split(",")]
    return extensions


def _normalised_san(value: str) -> str:
    kind, _, name = value.partition(":")
    return f"IP:{ipaddress.ip_address(name)}" if kind == "IP Address" else value


@pytest.mark.tools
def test_openssl_reads_the_member_sans_and_usages(pki: Path, openssl: str) -> None:
    for member in MEMBERS:
        for role in ("server", "peer"):
            extensions = _openssl_extensions(openssl, pki / f"etcd/members/{member.name}/{role}.crt")
            assert {_normalised_san(v) for v in extensions["X509v3 Subject Alternative Name"]} == {
                f"DNS:{member.name}", "DNS:localhost", f"IP:{member.address}", "IP:127.0.0.1", "IP:::1"}
            assert set(extensions["X509v3 Extended Key Usage"]) == {
                "TLS Web Server Authentication", "TLS Web Client Authentication"}


@pytest.mark.tools
def test_openssl_reads_client_usage_only_on_client_certificates(pki: Path, openssl: str) -> None:
    for leaf in CLIENTS:
        extensions = _openssl_extensions(openssl, pki / f"{leaf}.crt")
        assert extensions == {"X509v3 Extended Key Usage": ["TLS Web Client Authentication"]}


# --- what cryptography reads ----------------------------------------------------------------------

def test_tree_has_exactly_the_documented_files_and_modes(pki: Path) -> None:
    expected = {f"{base}.{suffix}" for base in (*CAS, *LEAVES) for suffix in ("crt", "key")}
    expected |= {"kubernetes/sa.key", "kubernetes/sa.pub"}
    files = {p.relative_to(pki).as_posix() for p in pki.rglob("*") if p.is_file()}
    assert files == expected
    for name in files:
        mode = (pki / name).stat().st_mode & 0o777
        assert mode == (0o600 if name.endswith(".key") else 0o644), name
    for folder in [pki, *(p for p in pki.rglob("*") if p.is_dir())]:
        assert folder.stat().st_mode & 0o777 == 0o700, folder


def test_subjects_sans_and_usages(pki: Path) -> None:
    def subject(path: str) -> x509.Name:
        return _certificate(pki / f"{path}.crt").subject

    assert subject("etcd/ca").rfc4514_string() == "CN=demo-etcd-ca"
    assert subject("kubernetes/ca").rfc4514_string() == "CN=kubernetes"
    assert subject("kubernetes/front-proxy-ca").rfc4514_string() == "CN=front-proxy-ca"
    client = subject("etcd/apiserver-etcd-client")
    assert client.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "kube-apiserver-etcd-client"
    assert client.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "system:masters"
    assert subject("etcd/healthcheck-client").rfc4514_string() == "CN=kube-etcd-healthcheck-client"
    for leaf in CLIENTS:
        certificate = _certificate(pki / f"{leaf}.crt")
        assert set(_extension(certificate, x509.ExtendedKeyUsage).value) == {ExtendedKeyUsageOID.CLIENT_AUTH}
    for member in MEMBERS:
        for role in ("server", "peer"):
            certificate = _certificate(pki / f"etcd/members/{member.name}/{role}.crt")
            assert certificate.subject.rfc4514_string() == f"CN={member.name}"
            names = _extension(certificate, x509.SubjectAlternativeName).value
            assert set(names.get_values_for_type(x509.DNSName)) == {member.name, "localhost"}
            assert set(names.get_values_for_type(x509.IPAddress)) == {
                member.address, ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}
            assert set(_extension(certificate, x509.ExtendedKeyUsage).value) == SERVER_AND_CLIENT


def test_extensions_keys_and_validity(pki: Path, key_type: KeyType) -> None:
    serials = set()
    for base in (*CAS, *LEAVES):
        certificate = _certificate(pki / f"{base}.crt")
        is_ca = base in CAS
        key = serialization.load_pem_private_key((pki / f"{base}.key").read_bytes(), password=None)
        assert (pki / f"{base}.key").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8
        if key_type == "rsa-2048":
            assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
        else:
            assert isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1)
        assert certificate.public_key() == key.public_key()
        assert isinstance(certificate.signature_hash_algorithm, hashes.SHA256)
        constraints = _extension(certificate, x509.BasicConstraints)
        assert constraints.critical and constraints.value.ca is is_ca
        assert constraints.value.path_length == (0 if is_ca else None)
        usage = _extension(certificate, x509.KeyUsage)
        assert usage.critical and usage.value.digital_signature
        assert usage.value.key_cert_sign is is_ca and usage.value.crl_sign is is_ca
        assert usage.value.key_encipherment is (not is_ca and key_type == "rsa-2048")
        issuer = certificate if is_ca else _certificate(pki / "etcd/ca.crt")
        ski = _extension(certificate, x509.SubjectKeyIdentifier).value
        assert ski == x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        authority = _extension(certificate, x509.AuthorityKeyIdentifier).value
        assert authority.key_identifier == _extension(issuer, x509.SubjectKeyIdentifier).value.digest
        lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
        expected = timedelta(days=3650 if is_ca else 365)
        assert expected <= lifetime <= expected + timedelta(minutes=10), base
        serials.add(certificate.serial_number)
    assert len(serials) == len(CAS) + len(LEAVES)
    assert all(serial.bit_length() > 100 for serial in serials)  # random, not counted


def test_service_account_key_is_rsa_2048_and_matches_its_public_half(pki: Path) -> None:
    key = serialization.load_pem_private_key((pki / "kubernetes/sa.key").read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    public = serialization.load_pem_public_key((pki / "kubernetes/sa.pub").read_bytes())
    assert public == key.public_key()


# --- a real TLS handshake -------------------------------------------------------------------------

def _strict(context: ssl.SSLContext) -> ssl.SSLContext:
    # What Python 3.13's create_default_context sets.
    context.verify_flags |= ssl.VERIFY_X509_STRICT | ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


def _handshake(pki: Path, server: str, client: Path | None, server_hostname: str) -> tuple[str, bytes]:
    """Serves once with `server`.crt requiring a client certificate from the etcd CA; returns what the server
    saw (the client's CN or why it refused) and what the client read."""
    server_context = _strict(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
    server_context.load_cert_chain(pki / f"{server}.crt", pki / f"{server}.key")
    server_context.load_verify_locations(pki / "etcd/ca.crt")
    server_context.verify_mode = ssl.CERT_REQUIRED
    client_context = _strict(ssl.create_default_context(cafile=pki / "etcd/ca.crt"))
    if client is not None:
        client_context.load_cert_chain(f"{client}.crt", f"{client}.key")

    seen: list[str] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(TIMEOUT)

        def serve() -> None:
            try:
                connection, _ = listener.accept()
                connection.settimeout(TIMEOUT)
                with server_context.wrap_socket(connection, server_side=True) as tls:
                    peer = tls.getpeercert() or {}
                    subject = dict(item[0] for item in peer.get("subject", ()))  # type: ignore[misc]
                    seen.append(f"client {subject.get('commonName')}")
                    tls.sendall(b"ok")
            except (ssl.SSLError, OSError) as error:
                seen.append(f"refused: {error}")

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        reply = b""
        try:
            with socket.create_connection(listener.getsockname(), timeout=TIMEOUT) as raw, \
                    client_context.wrap_socket(raw, server_hostname=server_hostname) as tls:
                reply = tls.recv(2)
        except (ssl.SSLError, OSError):
            pass
        thread.join(TIMEOUT)
    assert not thread.is_alive()
    return seen[0], reply


@pytest.mark.parametrize("server_hostname", ["127.0.0.1", "::1", "localhost", "etcd1"])
def test_strict_client_completes_mutual_tls_with_a_member(pki: Path, server_hostname: str) -> None:
    seen, reply = _handshake(pki, "etcd/members/etcd1/server", pki / "etcd/apiserver-etcd-client",
                             server_hostname)
    assert (seen, reply) == ("client kube-apiserver-etcd-client", b"ok")


@pytest.mark.parametrize(("server", "client", "common_name"), [
    ("etcd/members/etcd1/server", "etcd/healthcheck-client", "kube-etcd-healthcheck-client"),
    ("etcd/members/etcd1/peer", "etcd/members/etcd2/peer", "etcd2"),
])
def test_other_clients_and_peers_complete_mutual_tls(pki: Path, server: str, client: str,
                                                     common_name: str) -> None:
    assert _handshake(pki, server, pki / client, "etcd1") == (f"client {common_name}", b"ok")


def test_client_without_certificate_is_refused(pki: Path) -> None:
    seen, reply = _handshake(pki, "etcd/members/etcd1/server", None, "etcd1")
    assert seen.startswith("refused") and reply == b""


def test_client_of_another_cluster_is_refused(pki: Path, tmp_path: Path) -> None:
    other = _render(tmp_path / "other")
    seen, reply = _handshake(pki, "etcd/members/etcd1/server", other / "etcd/apiserver-etcd-client", "etcd1")
    assert seen.startswith("refused") and reply == b""


def test_server_name_outside_the_sans_is_refused_by_the_client(pki: Path) -> None:
    seen, reply = _handshake(pki, "etcd/members/etcd1/server", pki / "etcd/apiserver-etcd-client", "etcd2")
    assert reply == b"" and seen.startswith("refused")


def test_client_certificate_cannot_serve(pki: Path) -> None:
    seen, reply = _handshake(pki, "etcd/healthcheck-client", pki / "etcd/apiserver-etcd-client", "etcd1")
    assert reply == b"" and seen.startswith("refused")


# --- reuse and re-issue ---------------------------------------------------------------------------

def _file_changes(before: Snapshot, after: Snapshot) -> set[str]:
    return {path for path in before.keys() | after.keys()
            if Path(path).suffix and before.get(path) != after.get(path)}


def test_rerun_changes_no_byte_mtime_or_inode(tmp_path: Path) -> None:
    pki = _render(tmp_path / "pki")
    before = _snapshot(pki)
    _render(pki)
    assert _snapshot(pki) == before


def test_address_change_reissues_only_that_members_certificates(tmp_path: Path) -> None:
    pki = _render(tmp_path / "pki")
    before = _snapshot(pki)
    moved = PkiMember("etcd2", ipaddress.IPv4Address("10.20.0.99"))
    _render(pki, (MEMBERS[0], moved, MEMBERS[2]))
    assert _file_changes(before, _snapshot(pki)) == {
        f"etcd/members/etcd2/{role}.{suffix}" for role in ("server", "peer") for suffix in ("crt", "key")}
    names = _extension(_certificate(pki / "etcd/members/etcd2/peer.crt"), x509.SubjectAlternativeName).value
    assert moved.address in names.get_values_for_type(x509.IPAddress)
    assert MEMBERS[1].address not in names.get_values_for_type(x509.IPAddress)


def test_new_member_gets_its_certificates_and_nothing_else_changes(tmp_path: Path) -> None:
    pki = _render(tmp_path / "pki", MEMBERS[:2])
    before = _snapshot(pki)
    _render(pki)
    assert _file_changes(before, _snapshot(pki)) == {
        f"etcd/members/etcd3/{role}.{suffix}" for role in ("server", "peer") for suffix in ("crt", "key")}


def test_a_removed_member_is_no_longer_kept_and_nothing_else_changes(tmp_path: Path) -> None:
    pki = _render(tmp_path / "pki")
    before = _snapshot(pki)
    kept = ensure_pki(PkiFolders(pki, pki), cluster_name="demo", etcd_members=MEMBERS[:2])
    # Removing the files is the build folder's business (its manifest): see tests/render/test_build_folder.py.
    assert _snapshot(pki) == before
    assert not any("etcd3" in str(path) for path in kept)
    files = {path.relative_to(pki).as_posix() for path in pki.rglob("*") if path.is_file()}
    assert {path.relative_to(pki).as_posix() for path in kept} == files - {
        f"etcd/members/etcd3/{role}.{suffix}" for role in ("server", "peer") for suffix in ("crt", "key")}


def test_the_pki_is_stale_only_where_ensure_pki_would_issue(tmp_path: Path) -> None:
    pki = _render(tmp_path / "pki")
    folders = PkiFolders(pki, pki)
    assert stale_pki(folders, etcd_members=MEMBERS) == []
    moved = PkiMember("etcd2", ipaddress.IPv4Address("10.20.0.99"))
    assert stale_pki(folders, etcd_members=(MEMBERS[0], moved)) == ["etcd/members/etcd2/server",
                                                                     "etcd/members/etcd2/peer"]
    (pki / "kubernetes/sa.pub").unlink()
    assert stale_pki(folders, etcd_members=MEMBERS) == ["kubernetes/sa"]


def test_leaves_are_reissued_only_within_90_days_of_expiry(tmp_path: Path) -> None:
    start = datetime.now(UTC)
    pki = _render(tmp_path / "pki", now=start)
    before = _snapshot(pki)
    _render(pki, now=start + timedelta(days=200))
    assert _snapshot(pki) == before
    _render(pki, now=start + timedelta(days=365 - 89))
    assert _file_changes(before, _snapshot(pki)) == {f"{leaf}.{s}" for leaf in LEAVES for s in ("crt", "key")}


def test_leaves_never_outlive_their_ca_and_do_not_churn_near_its_end(tmp_path: Path) -> None:
    start = datetime.now(UTC)
    late = start + timedelta(days=3650 - 100)
    pki = _render(tmp_path / "pki", now=start)
    _render(pki, now=late)
    ca_end = _certificate(pki / "etcd/ca.crt").not_valid_after_utc
    assert all(_certificate(pki / f"{leaf}.crt").not_valid_after_utc == ca_end for leaf in LEAVES)
    before = _snapshot(pki)
    _render(pki, now=late + timedelta(days=30))
    assert _snapshot(pki) == before


def test_expired_cas_are_replaced_but_the_service_account_key_is_kept(tmp_path: Path) -> None:
    start = datetime.now(UTC)
    pki = _render(tmp_path / "pki", now=start)
    before = _snapshot(pki)
    _render(pki, now=start + timedelta(days=3651))
    assert _file_changes(before, _snapshot(pki)) == {
        f"{base}.{s}" for base in (*CAS, *LEAVES) for s in ("crt", "key")}


@pytest.mark.tools
def test_missing_etcd_ca_regenerates_all_etcd_material_only(tmp_path: Path, openssl: str) -> None:
    pki = _render(tmp_path / "pki")
    before = _snapshot(pki)
    (pki / "etcd/ca.crt").unlink()
    (pki / "etcd/ca.key").unlink()
    _render(pki)
    assert _file_changes(before, _snapshot(pki)) == {
        f"{base}.{s}" for base in ("etcd/ca", *LEAVES) for s in ("crt", "key")}
    for leaf in LEAVES:
        assert _verify(openssl, pki / "etcd/ca.crt", pki / f"{leaf}.crt").returncode == 0, leaf


@pytest.mark.tools
def test_key_type_change_reissues_leaves_under_the_same_cas(tmp_path: Path, openssl: str) -> None:
    pki = _render(tmp_path / "pki")
    before = _snapshot(pki)
    _render(pki, key_type="rsa-2048")
    assert _file_changes(before, _snapshot(pki)) == {f"{leaf}.{s}" for leaf in LEAVES for s in ("crt", "key")}
    for leaf in LEAVES:
        assert isinstance(_certificate(pki / f"{leaf}.crt").public_key(), rsa.RSAPublicKey)
        assert _verify(openssl, pki / "etcd/ca.crt", pki / f"{leaf}.crt").returncode == 0, leaf
    seen, reply = _handshake(pki, "etcd/members/etcd1/server", pki / "etcd/apiserver-etcd-client", "etcd1")
    assert reply == b"ok", seen


def test_mismatched_leaf_key_is_reissued(tmp_path: Path) -> None:
    pki = _render(tmp_path / "pki")
    shutil.copy(pki / "etcd/healthcheck-client.key", pki / "etcd/members/etcd1/server.key")
    _render(pki)
    certificate = _certificate(pki / "etcd/members/etcd1/server.crt")
    key = serialization.load_pem_private_key((pki / "etcd/members/etcd1/server.key").read_bytes(), None)
    assert certificate.public_key() == key.public_key()


def test_unreadable_ca_key_is_an_error_and_left_alone(tmp_path: Path) -> None:
    pki = _render(tmp_path / "pki")
    (pki / "kubernetes/ca.key").write_bytes(b"not a key\n")
    with pytest.raises(PkiError, match="kubernetes/ca"):
        _render(pki)
    assert (pki / "kubernetes/ca.key").read_bytes() == b"not a key\n"


@pytest.mark.parametrize("name", ["", ".", "..", "../escape", "a/b"])
def test_member_names_that_are_not_plain_file_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="etcd member name"):
        _render(tmp_path / "pki", (PkiMember(name, ipaddress.IPv4Address("10.0.0.1")),))


def test_repeated_member_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="repeated"):
        _render(tmp_path / "pki", (MEMBERS[0], MEMBERS[0]))


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("umask")
@pytest.mark.parametrize("value", [0o000, 0o077])
def test_modes_do_not_depend_on_the_umask(tmp_path: Path, value: int) -> None:
    os.umask(value)
    pki = _render(tmp_path / "pki")
    for path in pki.rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600 if path.suffix == ".key" else 0o644
        assert path.stat().st_mode & 0o777 == expected, path


def test_seven_members_render_fast_and_rerun_faster(tmp_path: Path) -> None:
    members = tuple(PkiMember(f"etcd{i}", ipaddress.IPv4Address(f"10.20.0.{i}")) for i in range(1, 8))
    started = time.perf_counter()
    _render(tmp_path / "pki", members)
    first = time.perf_counter() - started
    started = time.perf_counter()
    _render(tmp_path / "pki", members)
    rerun = time.perf_counter() - started
    assert first < 1.5 and rerun < 0.5, (first, rerun)
