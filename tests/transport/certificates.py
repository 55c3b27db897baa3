"""
Test certificates for the transport tests, made with C{cryptography}: a CA,
server certificates and charge point (client) certificates signed by it, and
a second, untrusted CA with a client certificate of its own.

Made once per test run (L{tls_files}), as PEM files in a temporary folder
removed at exit.  Keys are ECDSA P-256 (quick to make; the whitepaper allows
ECDSA and RSA).
"""

from __future__ import annotations

import atexit
import datetime
import ipaddress
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Issued:
    """
    A certificate and its key, as PEM files.

    @ivar certificate: the certificate file (leaf only).
    @ivar key: the private key file.
    """

    certificate: Path
    key: Path


@dataclass(frozen=True)
class TLSFiles:
    """
    The test run's certificates.

    @ivar ca: the trusted CA (certificate file; its key is in C{ca_issued}).
    @ivar server: the central system's certificate for C{localhost} and
        C{127.0.0.1}, signed by C{ca}.
    @ivar rsa_server: like C{server}, with an RSA key (for the TLS_RSA and
        ECDHE_RSA cipher suites, A00.FR.317).
    @ivar wrong_host_server: a certificate signed by C{ca} for
        C{elsewhere.invalid} only.
    @ivar clients: charge point certificates signed by C{ca}, by CN
        (C{"CP001"}, C{"CP002"}).
    @ivar rogue_ca: another CA, trusted by nobody.
    @ivar rogue_client: a C{"CP001"} certificate signed by C{rogue_ca}.
    """

    ca: Path
    server: Issued
    rsa_server: Issued
    wrong_host_server: Issued
    clients: dict[str, Issued]
    rogue_ca: Path
    rogue_client: Issued


_NOW = datetime.datetime.now(datetime.timezone.utc)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "openocpp tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _make_ca(common_name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _key()
    name = _name(common_name)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOW - datetime.timedelta(days=1))
        .not_valid_after(_NOW + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def _issue(
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
    common_name: str,
    server_names: list[str] | None,
    rsa_key: bool = False,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    ca_certificate, ca_key = ca
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if rsa_key else _key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOW - datetime.timedelta(days=1))
        .not_valid_after(_NOW + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if server_names is not None:
        alternatives: list[x509.GeneralName] = []
        for each in server_names:
            try:
                alternatives.append(x509.IPAddress(ipaddress.ip_address(each)))
            except ValueError:
                alternatives.append(x509.DNSName(each))
        builder = builder.add_extension(
            x509.SubjectAlternativeName(alternatives), critical=False
        ).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    else:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    return builder.sign(ca_key, hashes.SHA256()), key


def _write(folder: Path, stem: str, certificate: x509.Certificate, key=None) -> Issued:
    certificate_path = folder / f"{stem}.crt.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path = folder / f"{stem}.key.pem"
    if key is not None:
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return Issued(certificate_path, key_path)


_cached: TLSFiles | None = None


def tls_files() -> TLSFiles:
    """
    The test run's certificates, made at the first call.

    @return: the L{TLSFiles}.
    """
    global _cached
    if _cached is not None:
        return _cached
    folder = Path(tempfile.mkdtemp(prefix="openocpp-tls-"))
    atexit.register(shutil.rmtree, folder, True)
    ca = _make_ca("openocpp test CA")
    rogue = _make_ca("rogue CA")
    clients = {
        name: _write(folder, f"client-{name}", *_issue(ca, name, None))
        for name in ("CP001", "CP002")
    }
    _cached = TLSFiles(
        ca=_write(folder, "ca", ca[0]).certificate,
        server=_write(folder, "server", *_issue(ca, "localhost", ["localhost", "127.0.0.1"])),
        rsa_server=_write(
            folder, "rsa-server", *_issue(ca, "localhost", ["localhost", "127.0.0.1"], rsa_key=True)
        ),
        wrong_host_server=_write(
            folder, "wrong-host", *_issue(ca, "elsewhere.invalid", ["elsewhere.invalid"])
        ),
        clients=clients,
        rogue_ca=_write(folder, "rogue-ca", rogue[0]).certificate,
        rogue_client=_write(folder, "rogue-client", *_issue(rogue, "CP001", None)),
    )
    return _cached


def client_options(tls: TLSFiles, client: str | None = None):
    """
    A charge point's TLS options for a server with C{tls}'s certificate on
    C{localhost}: trusting C{tls}'s CA, and presenting the client
    certificate C{tls.clients[client]} when C{client} is given.
    """
    from openocpp.transport.security import client_tls_options

    if client is None:
        return client_tls_options("localhost", ca_certificates=str(tls.ca))
    issued = tls.clients[client]
    return client_tls_options(
        "localhost",
        ca_certificates=str(tls.ca),
        client_certificate=str(issued.certificate),
        client_key=str(issued.key),
    )
