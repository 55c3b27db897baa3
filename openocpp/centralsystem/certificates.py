"""
The central system as a certificate authority for its charge points
(Security Whitepaper edition 2, use cases A02 and A03, section 2.6.1):
a SignCertificate.req's CSR is checked, signed with the configured CA key
and certificate, answered Accepted, and the certificate sent back with
CertificateSigned.req; issued certificates are stored (table
C{issued_certificates}) so that an operator can list and revoke them, and
a revoked one no longer lets its charge point in::

    authority = CertificateAuthority.from_files("ca.key.pem", "ca.crt.pem")
    issuer = CertificateIssuer(store, authority, cpo_name="ACME", call_later=reactor.callLater)

The CSR must (the whitepaper's certificate properties):

  - be a PEM certificate signing request whose signature verifies;
  - name the charge point: subject CN = its identity (A00.FR.511);
  - with a configured CPO name, carry it as subject O (A00.FR.509,
    A02.FR.13, A03.FR.13);
  - hold an RSA (or DSA) key of at least 2048 bits (A00.FR.502) or an
    elliptic curve key of at least 224 bits (A00.FR.503).

A02.FR.04 recommends forwarding CSRs to a dedicated CA: a plugin's
C{openocpp_cs_sign_certificate} does that instead (it is asked first).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from twisted.logger import Logger

from openocpp.messages import security
from openocpp.messages.enums import GenericStatusEnumType

ISSUED_VALIDITY = datetime.timedelta(days=365)
"""
How long a certificate the central system issues is valid.
"""

_log = Logger()

MINIMUM_RSA_BITS = 2048
"""
The shortest RSA or DSA key signed (A00.FR.502).
"""

MINIMUM_EC_BITS = 224
"""
The shortest elliptic curve key signed (A00.FR.503).
"""


class InvalidRequest(ValueError):
    """
    A CSR the central system does not sign; the message says why.
    """


def check_csr(pem: str, identity: str, cpo_name: str | None) -> x509.CertificateSigningRequest:
    """
    Check a charge point's CSR (see the module docstring).

    @param pem: the CSR, PEM encoded (SignCertificate.req's C{csr}).
    @param identity: the charge point's identity.
    @param cpo_name: the O it must carry, or C{None} for any.
    @return: the parsed CSR.
    @raise InvalidRequest: it is not signed, named or keyed as required.
    """
    try:
        csr = x509.load_pem_x509_csr(pem.encode("utf-8"))
    except (ValueError, UnicodeEncodeError) as error:
        raise InvalidRequest(f"not a PEM certificate signing request ({error})") from None
    try:
        signed = csr.is_signature_valid
    except (InvalidSignature, UnsupportedAlgorithm):
        signed = False
    if not signed:
        raise InvalidRequest("the CSR's signature does not verify")
    names = [str(each.value) for each in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if names != [identity]:
        raise InvalidRequest(f"subject CN {names!r} is not the charge point identity (A00.FR.511)")
    if cpo_name is not None:
        organizations = [
            str(each.value) for each in csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        ]
        if organizations != [cpo_name]:
            raise InvalidRequest(f"subject O {organizations!r} is not the CPO name {cpo_name!r} (A00.FR.509)")
    try:
        key = csr.public_key()
    except (ValueError, UnsupportedAlgorithm) as error:
        raise InvalidRequest(f"unusable public key ({error})") from None
    if isinstance(key, (rsa.RSAPublicKey, dsa.DSAPublicKey)):
        if key.key_size < MINIMUM_RSA_BITS:
            raise InvalidRequest(f"{key.key_size}-bit key: at least {MINIMUM_RSA_BITS} bits (A00.FR.502)")
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.key_size < MINIMUM_EC_BITS:
            raise InvalidRequest(f"{key.curve.key_size}-bit curve: at least {MINIMUM_EC_BITS} bits (A00.FR.503)")
    else:
        raise InvalidRequest(f"a {type(key).__name__} key: RSA or elliptic curve keys only")
    return csr


def _check_ca_certificate(key: Any, certificate: x509.Certificate, key_path: str, certificate_path: str) -> None:
    # Signing with another key, or under a certificate that is no CA's,
    # would issue certificates that fail at every charge point's
    # handshake (A00.FR.403): refused at start instead.
    from openocpp.transport.security import same_public_key

    if not same_public_key(key.public_key(), certificate.public_key()):
        raise ValueError(f"{key_path}: not the private key of the certificate in {certificate_path}")
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise ValueError(f"{certificate_path}: not a CA certificate (no basicConstraints CA:TRUE)")
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not usage.key_cert_sign:
        raise ValueError(f"{certificate_path}: its key usage does not allow signing certificates")


class CertificateAuthority:
    """
    Signs charge point certificates with a CA key and certificate.

    @param key: the CA's private key (RSA or elliptic curve).
    @param certificate: the CA's certificate.
    @param chain: certificates sent after it (intermediates up to the
        root), possibly none.
    @param now: returns the current time (an aware C{datetime.datetime}).
    """

    def __init__(self, key: Any, certificate: x509.Certificate, chain: list, now: Callable[[], datetime.datetime]) -> None:
        if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            raise ValueError("the CA key must be an RSA or elliptic curve key")
        self._key = key
        self.certificate = certificate
        self._chain = chain
        self._now = now

    @classmethod
    def from_files(cls, key_path: str, certificate_path: str, now: Callable[[], datetime.datetime] | None = None) -> "CertificateAuthority":
        """
        Load a CA from PEM files: an unencrypted key, and its certificate
        (then any intermediates).

        @raise ValueError: a file is not what it should be.
        """
        try:
            key = load_pem_private_key(Path(key_path).read_bytes(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm) as error:
            raise ValueError(f"{key_path}: no unencrypted PEM private key ({error})") from None
        try:
            certificates = x509.load_pem_x509_certificates(Path(certificate_path).read_bytes())
        except ValueError as error:
            raise ValueError(f"{certificate_path}: no PEM certificate ({error})") from None
        _check_ca_certificate(key, certificates[0], key_path, certificate_path)
        if now is None:
            def now() -> datetime.datetime:
                return datetime.datetime.now(datetime.timezone.utc)
        return cls(key, certificates[0], certificates[1:], now)

    def sign(self, csr: x509.CertificateSigningRequest) -> x509.Certificate:
        """
        Issue a client certificate for a checked CSR: its subject and key,
        a random serial number (A00.FR.508), valid for L{ISSUED_VALIDITY},
        key usage restricted (A00.FR.512), signed with SHA-256
        (A00.FR.506).
        """
        now = self._now()
        public_key = csr.public_key()
        is_ec = isinstance(public_key, ec.EllipticCurvePublicKey)
        builder = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + ISSUED_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, content_commitment=False,
                    key_encipherment=not is_ec, data_encipherment=False,
                    key_agreement=is_ec, key_cert_sign=False, crl_sign=False,
                    encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False
            )
        )
        return builder.sign(self._key, hashes.SHA256())

    def chain_pem(self, certificate: x509.Certificate) -> str:
        """
        The PEM chain sent in CertificateSigned.req: the certificate, the
        CA's, then the CA's own chain (A00.FR.507: PEM).
        """
        return "".join(
            each.public_bytes(serialization.Encoding.PEM).decode("ascii")
            for each in [certificate, self.certificate, *self._chain]
        )


def serial_text(serial: int) -> str:
    """
    A serial number as stored and shown: lower-case hexadecimal.
    """
    return format(serial, "x")


REVOKED_EVENT = "InvalidChargePointCertificate"
"""
The type of the central system's security event for a live connection
closed because its certificate was revoked (the type a refused certificate
is recorded with at a handshake).
"""


def drop_revoked_connections(proxies: Any, record: dict, store: Any = None) -> list[str]:
    """
    Close the live connections that presented a certificate just revoked:
    the revocation takes effect now, not only at the next handshake.  Each
    is one log line and, when the store keeps them, a security event of the
    central system.

    @param proxies: the connected charge points' proxies (their
        C{client_certificate}: a C{twisted.internet.ssl.Certificate}, or
        C{None}; a proxy without one, e.g. of another node, is skipped).
    @param record: the revoked certificate's record
        (L{IssuedCertificates.records}: its C{certificate} PEM, C{serial}).
    @param store: what C{record_central_system_event} is called on, or
        C{None}.
    @return: the identities whose connection was closed.
    """
    revoked = x509.load_pem_x509_certificate(record["certificate"].encode("ascii"))
    dropped = []
    for proxy in proxies:
        presented = getattr(proxy, "client_certificate", None)
        if presented is None or not getattr(proxy, "connected", True):
            continue
        if not isinstance(presented, x509.Certificate):
            presented = presented.original.to_cryptography()
        if presented != revoked:
            continue
        identity = proxy.identity
        _log.warn(
            "Certificate {serial} revoked: closing the connection of {identity} that presented it",
            serial=record["serial"], identity=identity,
        )
        recording = getattr(store, "record_central_system_event", None)
        if recording is not None:
            try:
                recording(identity, str(getattr(proxy.peer, "host", proxy.peer)), REVOKED_EVENT,
                          f"client certificate revoked (serial {record['serial']}): connection closed")
            except Exception:
                _log.failure("Recording the revocation of {identity}'s certificate failed",
                             identity=identity)
        proxy.disconnect()
        dropped.append(identity)
    return dropped


class IssuedCertificates:
    """
    The table C{issued_certificates} of the central system's store.

    @param db: the store's SQLite connection (for reads).
    @param write: the store's C{write(sql, arguments)}, joining the turn's
        group commit.
    @param now_text: returns the store's time as stored text.
    """

    def __init__(self, db: Any, write: Callable[..., Any], now_text: Callable[[], str]) -> None:
        self._db = db
        self._write = write
        self._now_text = now_text

    def record(self, identity: str, certificate: x509.Certificate) -> str:
        """
        Keep an issued certificate.

        @return: its serial number (L{serial_text}).
        """
        serial = serial_text(certificate.serial_number)
        self._write(
            "INSERT INTO issued_certificates (serial, identity, subject, not_before, not_after, "
            "certificate, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                serial,
                identity,
                certificate.subject.rfc4514_string(),
                certificate.not_valid_before_utc.isoformat(),
                certificate.not_valid_after_utc.isoformat(),
                certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
                self._now_text(),
            ),
        )
        return serial

    def delivered(self, serial: str, outcome: str) -> None:
        """
        Note the charge point's answer to CertificateSigned (its status, or
        what went wrong).
        """
        self._write("UPDATE issued_certificates SET delivery = ? WHERE serial = ?", (outcome[:100], serial))

    def revoke(self, serial: str) -> bool:
        """
        Revoke a certificate (once; a revoked one keeps its first date).

        @return: whether it is known.
        """
        serial = serial.lower()
        if self._db.execute("SELECT 1 FROM issued_certificates WHERE serial = ?", (serial,)).fetchone() is None:
            return False
        self._write(
            "UPDATE issued_certificates SET revoked_at = coalesce(revoked_at, ?) WHERE serial = ?",
            (self._now_text(), serial),
        )
        return True

    def is_revoked(self, serial: str) -> bool:
        """
        Whether the certificate of this serial number was issued here and
        revoked (one indexed read, at a TLS handshake).
        """
        row = self._db.execute(
            "SELECT revoked_at FROM issued_certificates WHERE serial = ?", (serial,)
        ).fetchone()
        return row is not None and row[0] is not None

    def records(self, identity: str | None = None) -> list[dict]:
        """
        @return: the issued certificates, newest first (all, or one charge
            point's): C{serial}, C{identity}, C{subject}, C{not_before},
            C{not_after}, C{certificate} (PEM), C{issued_at}, C{delivery},
            C{revoked_at}.
        """
        sql = (
            "SELECT serial, identity, subject, not_before, not_after, certificate, issued_at, "
            "delivery, revoked_at FROM issued_certificates"
        )
        arguments: tuple = ()
        if identity is not None:
            sql += " WHERE identity = ?"
            arguments = (identity,)
        rows = self._db.execute(sql + " ORDER BY issued_at DESC, serial", arguments).fetchall()
        return [
            dict(zip(
                ("serial", "identity", "subject", "not_before", "not_after", "certificate",
                 "issued_at", "delivery", "revoked_at"),
                row,
            ))
            for row in rows
        ]


@dataclass
class CertificateIssuer:
    """
    Answers SignCertificate.req as a CA: the built-in behaviour's answer
    when the central system has a CA key and certificate.

    @ivar records: the L{IssuedCertificates} of the store.
    @ivar store: the store (for its commits and security events).
    @ivar authority: the L{CertificateAuthority}.
    @ivar cpo_name: the O a CSR must carry, or C{None}.
    @ivar call_later: C{IReactorTime.callLater}, to send CertificateSigned
        after the answer went out.
    """

    store: Any
    authority: CertificateAuthority
    cpo_name: str | None
    call_later: Callable[..., Any]

    log = Logger()

    def answer(self, charge_point: Any, request: Any) -> Any:
        """
        Check and sign the CSR.

        @return: a Deferred of the SignCertificate.conf: Accepted (the
            certificate is stored, and sent with CertificateSigned once the
            answer is out) or Rejected (the reason logged and recorded as a
            security event of the central system).
        """
        identity = charge_point.identity
        try:
            csr = check_csr(request.csr, identity, self.cpo_name)
            try:
                certificate = self.authority.sign(csr)
            except Exception as error:
                # What the CA cannot sign (an extension or key it refuses)
                # is Rejected, not an InternalError.
                raise InvalidRequest(f"the CA cannot sign it ({error})") from None
        except InvalidRequest as invalid:
            self.log.warn(
                "SignCertificate from {identity} rejected: {reason}", identity=identity, reason=str(invalid)
            )
            self.store.record_central_system_event(
                identity, str(getattr(getattr(charge_point, "peer", None), "host", "")),
                "InvalidCertificateSigningRequest", str(invalid)[:255],
            )
            return self.store.when_committed(
                security.SignCertificateResponse(status=GenericStatusEnumType.REJECTED)
            )
        serial = self.store.issued_certificates.record(identity, certificate)
        chain = self.authority.chain_pem(certificate)
        self.log.info(
            "Signed a certificate for {identity} (serial {serial})", identity=identity, serial=serial
        )

        def answered(response: Any) -> Any:
            # After the Accepted answer is written to the charge point.
            self.call_later(0, self._deliver, charge_point, serial, chain)
            return response

        return self.store.when_committed(
            security.SignCertificateResponse(status=GenericStatusEnumType.ACCEPTED)
        ).addCallback(answered)

    def _deliver(self, charge_point: Any, serial: str, chain: str) -> None:
        def told(response: Any) -> None:
            self.store.issued_certificates.delivered(serial, str(response.status))
            self.log.info(
                "Charge point {identity} answered CertificateSigned {status} (serial {serial})",
                identity=charge_point.identity, status=str(response.status), serial=serial,
            )

        def failed(failure: Any) -> None:
            self.store.issued_certificates.delivered(serial, f"not delivered: {failure.getErrorMessage()}")
            self.log.warn(
                "CertificateSigned to {identity} failed: {reason}",
                identity=charge_point.identity, reason=failure.getErrorMessage(),
            )

        try:
            sending = charge_point.certificate_signed(chain)
        except Exception as error:
            self.store.issued_certificates.delivered(serial, f"not delivered: {error}")
            return
        sending.addCallbacks(told, failed).addErrback(
            lambda failure: self.log.failure("Noting the CertificateSigned answer failed", failure)
        )
