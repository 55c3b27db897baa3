"""
Test certificates for trying Security Profiles 2 and 3 in minutes: a CA, a
central system (server) certificate and charge point (client)
certificates, made with C{cryptography}, as PEM files in one folder::

    python -m openocpp.pki pki/ --host localhost --charge-point CP001 --cpo-name "My CPO"

makes (or reuses) C{pki/ca.crt.pem} and C{pki/ca.key.pem}, then
C{pki/server.crt.pem} and C{pki/server.key.pem} for the hosts, and
C{pki/CP001.crt.pem} and C{pki/CP001.key.pem}.  The recipe to use them is
in docs/security.md.  These are for tests and trials: a real deployment's
CA keeps its key elsewhere (A02.FR.04).

Keys are ECDSA P-256 (A00.FR.503), certificates signed with SHA-256
(A00.FR.506), with a random serial number (A00.FR.508), the organization as
subject O (A00.FR.509), the host as CN and subjectAltName for the server
(A00.FR.510), the identity as CN for a charge point (A00.FR.511), and key
usages restricted (A00.FR.512).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_ORGANIZATION = "openocpp test CPO"
"""
The subject O of what is made when no CPO name is given.
"""

VALIDITY = datetime.timedelta(days=365)
"""
How long the certificates made are valid.
"""


@dataclass(frozen=True)
class Issued:
    """
    A certificate and its key, as PEM files.

    @ivar certificate: the certificate file (for the server: then the CA).
    @ivar key: the private key file (readable by its owner only).
    """

    certificate: Path
    key: Path


def _name(organization: str, common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _key_usage(**usages: bool) -> x509.KeyUsage:
    names = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{name: usages.get(name, False) for name in names})


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Created readable by its owner only.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def _pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(each.public_bytes(serialization.Encoding.PEM) for each in certificates)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def make_ca(folder: Path | str, organization: str = DEFAULT_ORGANIZATION) -> Issued:
    """
    Make a CA in C{folder} (C{ca.crt.pem}, C{ca.key.pem}), or reuse the one
    there.

    @return: its files.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    issued = Issued(folder / "ca.crt.pem", folder / "ca.key.pem")
    if issued.certificate.exists() and issued.key.exists():
        return issued
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(organization, f"{organization} test CA")
    now = _now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + 2 * VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_key(issued.key, key)
    issued.certificate.write_bytes(_pem(certificate))
    return issued


def _load_ca(ca: Issued) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    certificate = x509.load_pem_x509_certificate(ca.certificate.read_bytes())
    key = serialization.load_pem_private_key(ca.key.read_bytes(), password=None)
    return certificate, key


def _issue(ca: Issued, stem: str, subject: x509.Name, server_names: list[str] | None) -> Issued:
    ca_certificate, ca_key = _load_ca(ca)
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, key_agreement=True), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if server_names is None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    else:
        alternatives: list[x509.GeneralName] = []
        for each in server_names:
            try:
                alternatives.append(x509.IPAddress(ipaddress.ip_address(each)))
            except ValueError:
                alternatives.append(x509.DNSName(each))
        builder = builder.add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    certificate = builder.sign(ca_key, hashes.SHA256())
    folder = ca.certificate.parent
    issued = Issued(folder / f"{stem}.crt.pem", folder / f"{stem}.key.pem")
    _write_key(issued.key, key)
    chain = _pem(certificate, ca_certificate) if server_names is not None else _pem(certificate)
    issued.certificate.write_bytes(chain)
    return issued


def make_server(ca: Issued, hosts: list[str], organization: str = DEFAULT_ORGANIZATION) -> Issued:
    """
    Make the central system's certificate (C{server.crt.pem}: it, then the
    CA; C{server.key.pem}) for C{hosts} (DNS names or IP addresses; the
    first is its CN), next to the CA's files.
    """
    if not hosts:
        raise ValueError("a server certificate needs at least one host name")
    return _issue(ca, "server", _name(organization, hosts[0]), list(hosts))


def make_charge_point(ca: Issued, identity: str, organization: str = DEFAULT_ORGANIZATION) -> Issued:
    """
    Make a charge point's certificate (C{IDENTITY.crt.pem},
    C{IDENTITY.key.pem}) with the identity as CN, next to the CA's files.
    """
    if not identity or "/" in identity or identity.startswith("."):
        raise ValueError(f"{identity!r} cannot name a charge point's files")
    return _issue(ca, identity, _name(organization, identity), None)
