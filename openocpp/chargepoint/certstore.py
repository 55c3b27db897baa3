"""
The charge point's certificates in its SQLite file (Security Whitepaper
edition 2, use cases A02/A03 and M03-M05): the root certificates the
central system installed (CentralSystemRootCertificate,
ManufacturerRootCertificate), the charge point certificates it signed with
their private keys, and the key of the certificate signing request waiting
for its CertificateSigned.req.

The private keys never leave the stack (A02.FR.05): nothing here is read
by an OCPP request.  Where a key goes, a plugin's keeper may store a
reference instead (L{openocpp.chargepoint.privatekeys}).

Also the whitepaper's L{CertificateHashData} of a certificate (its section
6.1: hashes of the issuer's DER name and of the issuer's public key, and
the serial number).
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from openocpp.messages.datatypes import CertificateHashData
from openocpp.messages.enums import HashAlgorithmEnumType
from openocpp.store.sqlite import transaction

#: The certificate type of the charge point's own certificates (the
#: whitepaper's CertificateUseEnumType has only the two root types: the
#: charge point certificate is never installed, listed or deleted by
#: InstallCertificate, GetInstalledCertificateIds or DeleteCertificate).
CHARGE_POINT_CERTIFICATE = "ChargePointCertificate"

_PENDING_KEY = "certificate_signing_key"
_PROVEN = "charge_point_certificate_proven"
_REFUSED = "charge_point_certificates_refused"
_RENEWAL = "charge_point_certificate_renewal"

_HASHES = {
    HashAlgorithmEnumType.SHA256: hashlib.sha256,
    HashAlgorithmEnumType.SHA384: hashlib.sha384,
    HashAlgorithmEnumType.SHA512: hashlib.sha512,
}


def public_key_bits(key: Any) -> bytes:
    """
    The contents of a public key's C{subjectPublicKey} BIT STRING (what
    OCSP's CertID and the whitepaper's issuerKeyHash hash): the X9.62
    point of an EC key, the PKCS#1 C{RSAPublicKey} of an RSA key, else the
    whole SubjectPublicKeyInfo.
    """
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def serial_hex(certificate: x509.Certificate) -> str:
    """
    The serial number in lower-case hexadecimal without leading zeros.
    """
    return format(certificate.serial_number, "x")


def hash_data(
    certificate: x509.Certificate,
    issuer: Any = None,
    algorithm: HashAlgorithmEnumType = HashAlgorithmEnumType.SHA256,
) -> CertificateHashData:
    """
    The whitepaper's CertificateHashData of a certificate.

    @param issuer: the certificate of its issuer, or the issuer's
        L{public_key_bits}; C{None} for a self-issued one (its own key).
    """
    digest = _HASHES[HashAlgorithmEnumType(algorithm)]
    if isinstance(issuer, bytes):
        issuer_key = issuer
    else:
        issuer_key = public_key_bits((issuer or certificate).public_key())
    return CertificateHashData(
        hash_algorithm=HashAlgorithmEnumType(algorithm),
        issuer_name_hash=digest(certificate.issuer.public_bytes()).hexdigest(),
        issuer_key_hash=digest(issuer_key).hexdigest(),
        serial_number=serial_hex(certificate),
    )


def same_hash_data(a: CertificateHashData, b: CertificateHashData) -> bool:
    """
    Whether two CertificateHashData name the same certificate (hex compared
    without regard to case, serial numbers without leading zeros).
    """
    return (
        a.hash_algorithm == b.hash_algorithm
        and a.issuer_name_hash.lower() == b.issuer_name_hash.lower()
        and a.issuer_key_hash.lower() == b.issuer_key_hash.lower()
        and a.serial_number.lower().lstrip("0") == b.serial_number.lower().lstrip("0")
    )


def load_pem(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode("utf-8"))


def to_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


@dataclass(frozen=True, slots=True)
class StoredCertificate:
    """
    A certificate row.

    @ivar pem: the certificate (for a charge point certificate: the chain,
        leaf first).
    @ivar private_key: a charge point certificate's key (PEM), or the
        reference a keeper gave for it
        (L{openocpp.chargepoint.privatekeys}), else C{None}.
    @ivar issuer_key: the L{public_key_bits} of its issuer when it was
        installed (so that its hash data stays the same once the issuer
        is gone, e.g. a replaced root).
    @ivar fallback: an old CentralSystemRootCertificate kept until a
        connection with its replacement succeeded (M05.FR.11).
    """

    row_id: int
    certificate_type: str
    pem: str
    private_key: str | None
    issuer_key: bytes
    fallback: bool
    not_before: str

    def hash_data(self, algorithm: Any = HashAlgorithmEnumType.SHA256) -> CertificateHashData:
        """
        @return: its CertificateHashData.
        """
        return hash_data(self.certificate, self.issuer_key, algorithm)

    @property
    def certificate(self) -> x509.Certificate:
        """
        The (leaf) certificate.
        """
        return load_pem(self.pem)


class CertificateStore:
    """
    The C{certificates} table and the pending signing key.

    @param store: the L{openocpp.chargepoint.store.ChargePointStore}.
    @param forget: C{forget(private_key)} is called with the stored key of
        a certificate L{delete} removes (a keeper's reference is released:
        L{openocpp.chargepoint.privatekeys.PrivateKeys.forget}).
    """

    def __init__(self, store: Any, forget: Callable[[str | None], Any] = lambda key: None) -> None:
        self._store = store
        self._forget = forget

    def _db(self) -> Any:
        return self._store.connection

    def all(self, certificate_type: str | None = None) -> list[StoredCertificate]:
        """
        The certificates of a type (every type: C{None}), oldest first.
        """
        query = "SELECT * FROM certificates"
        args: tuple = ()
        if certificate_type is not None:
            query += " WHERE certificate_type = ?"
            args = (certificate_type,)
        return [
            StoredCertificate(
                row["id"], row["certificate_type"], row["pem"], row["private_key"],
                bytes(row["issuer_key"]), bool(row["fallback"]), row["not_before"],
            )
            for row in self._db().execute(query + " ORDER BY id", args)
        ]

    def add(
        self,
        certificate_type: str,
        pem: str,
        not_before: datetime,
        issuer_key: bytes,
        private_key: str | None = None,
        now: datetime | None = None,
    ) -> None:
        db = self._db()
        with transaction(db):
            db.execute(
                "INSERT INTO certificates (certificate_type, pem, private_key, issuer_key, "
                "fallback, not_before, installed_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
                (certificate_type, pem, private_key, issuer_key, _utc(not_before),
                 _utc(now or datetime.now(timezone.utc))),
            )

    def replace_root(
        self,
        certificate_type: str,
        pem: str,
        not_before: datetime,
        issuer_key: bytes,
        now: datetime | None = None,
    ) -> None:
        """
        Install a root that replaces those of its type (M05.FR.09/11): the
        current ones become the fallback, an older fallback goes.
        """
        db = self._db()
        with transaction(db):
            db.execute(
                "DELETE FROM certificates WHERE certificate_type = ? AND fallback = 1",
                (certificate_type,),
            )
            db.execute(
                "UPDATE certificates SET fallback = 1 WHERE certificate_type = ?",
                (certificate_type,),
            )
            db.execute(
                "INSERT INTO certificates (certificate_type, pem, private_key, issuer_key, "
                "fallback, not_before, installed_at) VALUES (?, ?, NULL, ?, 0, ?, ?)",
                (certificate_type, pem, issuer_key, _utc(not_before),
                 _utc(now or datetime.now(timezone.utc))),
            )

    def drop_fallbacks(self, certificate_type: str) -> int:
        """
        Remove the fallback roots of a type (M05.FR.12).

        @return: how many went.
        """
        db = self._db()
        with transaction(db):
            cursor = db.execute(
                "DELETE FROM certificates WHERE certificate_type = ? AND fallback = 1",
                (certificate_type,),
            )
        return cursor.rowcount

    def delete(self, row_id: int) -> None:
        db = self._db()
        row = db.execute("SELECT private_key FROM certificates WHERE id = ?", (row_id,)).fetchone()
        with transaction(db):
            db.execute("DELETE FROM certificates WHERE id = ?", (row_id,))
        if row is not None and row["private_key"] is not None:
            self._forget(row["private_key"])

    def pending_key(self) -> str | None:
        """
        The private key (PEM) of the CSR last sent, or C{None}.
        """
        return self._store.get_meta(_PENDING_KEY)

    def set_pending_key(self, pem: str | None) -> None:
        self._store.set_meta(_PENDING_KEY, pem)

    # -- A02/A03: which charge point certificate worked, or was refused ---------

    def proven(self) -> tuple[int, datetime] | None:
        """
        The charge point certificate a connection last succeeded with (its
        row id) and since when, or C{None}.
        """
        value = self._store.get_meta(_PROVEN)
        if not value:
            return None
        return value["id"], datetime.fromisoformat(value["since"])

    def set_proven(self, row_id: int, since: datetime) -> None:
        self._store.set_meta(_PROVEN, {"id": row_id, "since": _utc(since)})

    def refused(self) -> set[int]:
        """
        The row ids of the charge point certificates the central system
        refused (A02.FR.10/A03.FR.10: the old one was taken back).
        """
        return set(self._store.get_meta(_REFUSED, []))

    def add_refused(self, row_id: int) -> None:
        self._store.set_meta(_REFUSED, sorted(self.refused() | {row_id}))

    def renewal(self) -> dict | None:
        """
        The last renewal the charge point started itself (A03): C{{"at":
        ISO time, "status": ...}}, or C{None}.
        """
        return self._store.get_meta(_RENEWAL)

    def set_renewal(self, value: dict | None) -> None:
        self._store.set_meta(_RENEWAL, value)
