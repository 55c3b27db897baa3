"""
The certificates the central system knows each charge point holds
(Security Whitepaper edition 2):

  - C{installed}: sent with InstallCertificate.req and answered Accepted
    (M05.FR.01), noted by L{CertificateAnswers} on the proxy's answers as
    L{openocpp.centralsystem.chargingprofiles} notes SetChargingProfile,
    and forgotten when a DeleteCertificate.req naming it (by issuerNameHash
    and serialNumber, M04) is answered Accepted;
  - C{presented}: the charge point certificate a charge point presented at
    a security profile 3 TLS handshake (section 2.3, A00.FR.401), noted
    once per connection when the certificate is new (an INSERT OR IGNORE:
    one statement per connection, none per message).

Only the answers to the central system's own calls and the connections
pass here; the charge points' messages (the hot path) never do.
"""

import hashlib
from typing import Any, Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from twisted.logger import Logger

#: The actions whose answers change the installed certificates.
CERTIFICATE_ACTIONS = frozenset({"InstallCertificate", "DeleteCertificate"})

#: The C{source} of an installed certificate and of a presented one.
INSTALLED = "installed"
PRESENTED = "presented"

_SHA256 = hashes.SHA256()

_log = Logger()

#: The C{certificate_type} of a presented certificate.
CHARGE_POINT_CERTIFICATE = "ChargePointCertificate"


def _utc_text(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class ChargePointCertificates:
    """
    The table C{charge_point_certificates} of the central system's store.

    @param db: the store's SQLite connection (for reads).
    @param write: the store's C{write(sql, arguments)}, joining the turn's
        group commit.
    @param now_text: returns the store's time as stored text.
    """

    def __init__(self, db: Any, write: Callable[..., Any], now_text: Callable[[], str]) -> None:
        self._db = db
        self._write = write
        self._now_text = now_text

    def _insert(self, verb: str, identity: str, source: str, kind: str, certificate: x509.Certificate) -> None:
        pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
        self._write(
            f"{verb} INTO charge_point_certificates (identity, fingerprint, source, certificate_type, "
            "subject, issuer, serial, issuer_name_hash, not_before, not_after, certificate, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                identity,
                certificate.fingerprint(_SHA256).hex(),
                source,
                kind,
                certificate.subject.rfc4514_string(),
                certificate.issuer.rfc4514_string(),
                format(certificate.serial_number, "x"),
                hashlib.sha256(certificate.issuer.public_bytes()).hexdigest(),
                _utc_text(certificate.not_valid_before_utc),
                _utc_text(certificate.not_valid_after_utc),
                pem,
                self._now_text(),
            ),
        )

    def installed(self, identity: str, certificate_type: str, pem: str) -> bool:
        """
        A charge point accepted InstallCertificate of C{pem}.

        @return: whether it was noted (C{False}: not one PEM certificate).
        """
        try:
            certificate = x509.load_pem_x509_certificate(pem.encode("utf-8"))
        except (ValueError, UnicodeEncodeError):
            return False
        self._insert("INSERT OR REPLACE", identity, INSTALLED, str(certificate_type), certificate)
        return True

    def deleted(self, identity: str, issuer_name_hash: str, serial: str) -> None:
        """
        A charge point accepted DeleteCertificate of the certificate with
        this issuerNameHash and serialNumber (hex, any case, leading zeros
        allowed): the installed ones matching it go.
        """
        try:
            serial_text = format(int(serial, 16), "x")
        except ValueError:
            return
        self._write(
            "DELETE FROM charge_point_certificates WHERE identity = ? AND source = ? "
            "AND issuer_name_hash = ? AND serial = ?",
            (identity, INSTALLED, issuer_name_hash.lower(), serial_text),
        )

    def presented(self, identity: str, certificate: x509.Certificate) -> None:
        """
        A charge point presented C{certificate} at a TLS handshake (kept
        once: the first time it was seen).
        """
        self._insert("INSERT OR IGNORE", identity, PRESENTED, CHARGE_POINT_CERTIFICATE, certificate)

    def records(self, identity: str | None = None) -> list[dict]:
        """
        @return: the certificates known, all or those of C{identity}, by
            charge point, source and time noted: C{identity},
            C{fingerprint} (SHA-256, hex), C{source}, C{certificate_type},
            C{subject}, C{issuer}, C{serial}, C{not_before}, C{not_after},
            C{certificate} (PEM), C{recorded_at}.
        """
        sql = (
            "SELECT identity, fingerprint, source, certificate_type, subject, issuer, serial, "
            "not_before, not_after, certificate, recorded_at FROM charge_point_certificates"
        )
        arguments: tuple = ()
        if identity is not None:
            sql += " WHERE identity = ?"
            arguments = (identity,)
        sql += " ORDER BY identity, source, recorded_at, fingerprint"
        return [dict(row) for row in self._db.execute(sql, arguments).fetchall()]


def note_presented(records: ChargePointCertificates, identity: str, certificate: Any) -> None:
    """
    Note the certificate a charge point presented at its TLS handshake.

    @param certificate: Twisted's C{twisted.internet.ssl.Certificate} of
        the connection.
    """
    try:
        records.presented(identity, x509.load_der_x509_certificate(certificate.dump()))
    except Exception:
        # The connection goes on: the list is the operator's, not the
        # handshake's (which verified the certificate already).
        _log.failure("The certificate {identity} presented could not be noted", identity=identity)


class CertificateAnswers:
    """
    Notes the answers to InstallCertificate and DeleteCertificate in the
    store, for one charge point's proxy.

    @param records: the store's L{ChargePointCertificates}.
    @param identity: the charge point's identity.
    """

    log = Logger()

    def __init__(self, records: ChargePointCertificates, identity: str) -> None:
        self._records = records
        self._identity = identity

    def __call__(self, response: Any, request: Any) -> Any:
        """
        A callback on the call's Deferred: notes an Accepted answer, and
        passes the answer on unchanged (a failed write is logged; the
        charge point's answer still reaches the caller).
        """
        try:
            if str(response.status) == "Accepted":
                if request.action == "InstallCertificate":
                    if not self._records.installed(
                        self._identity, str(request.certificate_type), request.certificate
                    ):
                        self.log.warn(
                            "{identity} accepted an InstallCertificate that is not one PEM "
                            "certificate: not noted",
                            identity=self._identity,
                        )
                else:
                    data = request.certificate_hash_data
                    self._records.deleted(self._identity, data.issuer_name_hash, data.serial_number)
        except Exception:
            self.log.failure(
                "The answer of {identity} to {action} could not be stored",
                identity=self._identity,
                action=request.action,
            )
        return response
