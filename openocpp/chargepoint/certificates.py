"""
The charge point's certificates (Security Whitepaper edition 2):

  - A02/A03: L{Certificates.sign_certificate} makes a key pair (ECDSA
    P-256: 256 bits, A00.FR.503) and a CSR (CN = the identity, O = CpoName,
    A02.FR.13) and sends it with SignCertificate.req; the key waits in the
    SQLite file for the CertificateSigned.req, whose chain is verified
    (A02.FR.06: validity, subject, public key, issued up to an installed
    CentralSystemRootCertificate) and then used from the next connection
    (A02.FR.08/09: the newest certificate whose validity has begun); an
    invalid one is discarded with an InvalidChargePointCertificate security
    event (A02.FR.07).  L{openocpp.chargepoint.renewal} starts A03 itself
    when the certificate in use expires within a month.
  - A02.FR.10/A03.FR.10: the previous certificate stays as a fallback
    (L{openocpp.chargepoint.certchoice}): a new one the central system
    refuses (at the TLS layer, in a row) is marked refused and the
    previous one used again; once a connection with the new one
    succeeded, older ones go after L{certchoice.FALLBACK_KEPT<openocpp.chargepoint.certchoice.FALLBACK_KEPT>}.
  - M03: GetInstalledCertificateIds, M04: DeleteCertificate, M05:
    InstallCertificate, for CentralSystemRootCertificate and
    ManufacturerRootCertificate, within CertificateStoreMaxLength, with
    AdditionalRootCertificateCheck (a new central system root must be
    signed by the one it replaces, which stays as a fallback until a
    connection succeeded).

The TLS client reads PEM files: L{Certificates.tls_files} writes the
installed central system roots and the charge point certificate with its
key to the charge point's certificate folder.
"""

import os
from datetime import datetime
from typing import Any, Callable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from twisted.internet.defer import Deferred, fail
from twisted.logger import Logger

from openocpp.chargepoint.certchoice import CertificateChoice
from openocpp.chargepoint.certstore import (
    CHARGE_POINT_CERTIFICATE,
    CertificateStore,
    public_key_bits,
    same_hash_data,
    to_pem,
)
from openocpp.chargepoint.privatekeys import KeyUnavailable, PrivateKeys, is_pem
from openocpp.messages.enums import (
    CertificateSignedStatusEnumType,
    CertificateUseEnumType,
    DeleteCertificateStatusEnumType,
    GetInstalledCertificateStatusEnumType,
    InstallCertificateStatusEnumType,
)
from openocpp.messages.security import (
    CertificateSignedResponse,
    DeleteCertificateResponse,
    GetInstalledCertificateIdsResponse,
    InstallCertificateResponse,
    SignCertificateRequest,
)

_ROOT_TYPES = tuple(str(kind) for kind in CertificateUseEnumType)
_CS_ROOT = str(CertificateUseEnumType.CENTRAL_SYSTEM_ROOT_CERTIFICATE)


class CertificateProblem(ValueError):
    """
    Why a certificate or chain is not accepted (one line).
    """


def issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """
    Whether C{issuer}'s key signed C{certificate} and names match.
    """
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def check_validity(certificate: x509.Certificate, now: datetime, allow_future: bool = False) -> None:
    """
    @raise CertificateProblem: expired, or not valid yet (unless
        C{allow_future}).
    """
    if certificate.not_valid_after_utc <= now:
        raise CertificateProblem(f"certificate expired on {certificate.not_valid_after_utc}")
    if not allow_future and certificate.not_valid_before_utc > now:
        raise CertificateProblem(
            f"certificate not valid before {certificate.not_valid_before_utc}"
        )


def verify_chain(
    chain: list[x509.Certificate], anchors: list[x509.Certificate], now: datetime
) -> x509.Certificate:
    """
    Verify a chain (leaf first) up to one of the trust anchors: every
    certificate issued by the next one, the last by an anchor (or one),
    every intermediate valid now.

    @return: the anchor.
    @raise CertificateProblem: why not.
    """
    for certificate, issuer in zip(chain, chain[1:]):
        if not issued_by(certificate, issuer):
            raise CertificateProblem(
                f"{certificate.subject.rfc4514_string()} is not issued by "
                f"{issuer.subject.rfc4514_string()}"
            )
        check_validity(issuer, now)
    last = chain[-1]
    for anchor in anchors:
        if last == anchor or issued_by(last, anchor):
            check_validity(anchor, now)
            return anchor
    raise CertificateProblem(
        f"{last.issuer.rfc4514_string()} is not an installed CentralSystemRootCertificate"
    )


def _name_attribute(name: x509.Name, oid: Any) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


class Certificates:
    """
    The charge point's certificates and the requests about them.

    @param store: the L{CertificateStore}.
    @param ocpp_config: the L{openocpp.chargepoint.interfaces.IOcppConfig}.
    @param now: returns the charge point's time (an aware datetime).
    @param send: C{send(request, triggered=False)} sends a request.
    @param identity: the charge point's identity (the CSR's CN).
    @param security_event: C{security_event(kind, tech_info=None,
        critical=None)} raises a security event.
    @param folder: where L{tls_files} writes the PEM files.
    @param configured_roots: returns the configured CA file of the central
        system (or C{None}): trusted too for the charge point certificate.
    @param configured_certificate: returns the configured charge point
        certificate file (or C{None}): the one in use while none is
        installed.
    @param installed: C{installed(leaf)} is called once a signed
        certificate is accepted.
    @param keys: where the private keys go (L{PrivateKeys}); default: in
        the database.
    """

    log = Logger()

    def __init__(
        self,
        store: CertificateStore,
        ocpp_config: Any,
        now: Callable[[], datetime],
        send: Callable[..., Deferred],
        identity: str,
        security_event: Callable[..., Any],
        folder: str,
        configured_roots: Callable[[], str | None] = lambda: None,
        configured_certificate: Callable[[], str | None] = lambda: None,
        installed: Callable[[x509.Certificate], Any] = lambda leaf: None,
        keys: PrivateKeys | None = None,
    ) -> None:
        self._store = store
        self._config = ocpp_config
        self._now = now
        self._send = send
        self._identity = identity
        self._security_event = security_event
        self._folder = folder
        self._configured_roots = configured_roots
        self._installed = installed
        self._keys = keys if keys is not None else PrivateKeys(lambda: None)
        #: Which charge point certificate is presented, its fallback, its
        #: expiry (a L{CertificateChoice}).
        self.choice = CertificateChoice(store, now, configured_certificate, security_event)
        # Whether the key tls_files last wrote came from a keeper.
        self._written_key_kept_elsewhere = False

    def handlers(self) -> dict:
        """
        @return: the request handlers by action.
        """
        return {
            "CertificateSigned": self.certificate_signed,
            "DeleteCertificate": self.delete_certificate,
            "GetInstalledCertificateIds": self.get_installed_certificate_ids,
            "InstallCertificate": self.install_certificate,
        }

    # -- A02/A03: the charge point certificate ----------------------------------------

    def sign_certificate(self, triggered: bool = False) -> Deferred:
        """
        Make a new key pair and send its CSR (A02.FR.02/03, A03.FR.02/03).
        The key is kept until a CertificateSigned.req brings its
        certificate; a later CSR replaces it.

        @return: a Deferred firing with the SignCertificate.conf.
        """
        key = ec.generate_private_key(ec.SECP256R1())
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, self._identity)]
        cpo_name = self._config.get("CpoName")
        if cpo_name:
            attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, cpo_name))
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name(attributes))
            .sign(key, hashes.SHA256())
        )
        try:
            kept = self._keys.keep(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ).decode("ascii")
            )
        except KeyUnavailable as error:
            return fail(error)
        # The previous CSR's key will never get its certificate.
        self._keys.forget(self._store.pending_key())
        self._store.set_pending_key(kept)
        pem = csr.public_bytes(serialization.Encoding.PEM).decode("ascii")
        self.log.info("Sending a CSR for {identity} (O={cpo})", identity=self._identity,
                      cpo=cpo_name or None)
        return self._send(SignCertificateRequest(csr=pem), triggered=triggered)

    def certificate_signed(self, request: Any) -> CertificateSignedResponse:
        try:
            chain, key, issuer_key = self._check_signed(request.certificate_chain)
        except CertificateProblem as problem:
            self.log.warn("CertificateSigned rejected: {problem}", problem=str(problem))
            self._security_event("InvalidChargePointCertificate", tech_info=str(problem)[:255])
            return CertificateSignedResponse(status=CertificateSignedStatusEnumType.REJECTED)
        leaf = chain[0]
        self._store.add(
            CHARGE_POINT_CERTIFICATE,
            "".join(to_pem(certificate) for certificate in chain),
            leaf.not_valid_before_utc,
            issuer_key,
            private_key=key,
            now=self._now(),
        )
        self._store.set_pending_key(None)
        self.log.info(
            "Charge point certificate {serial:x} installed (valid from {start}); used from the "
            "next connection",
            serial=leaf.serial_number,
            start=leaf.not_valid_before_utc.isoformat(),
        )
        try:
            self._installed(leaf)
        except Exception:
            self.log.failure("Reacting to the new charge point certificate failed")
        return CertificateSignedResponse(status=CertificateSignedStatusEnumType.ACCEPTED)

    def _check_signed(self, text: str) -> tuple[list[x509.Certificate], str, bytes]:
        limit = self._config.integer("CertificateSignedMaxChainSize")
        if len(text) > limit:
            raise CertificateProblem(
                f"certificateChain has {len(text)} characters, CertificateSignedMaxChainSize "
                f"is {limit}"
            )
        try:
            chain = x509.load_pem_x509_certificates(text.encode("utf-8"))
        except ValueError as error:
            raise CertificateProblem(f"certificateChain is not PEM certificates: {error}")
        pending = self._store.pending_key()
        if pending is None:
            raise CertificateProblem("no certificate signing request is waiting")
        pending_pem = self._keys.load(pending)
        if pending_pem is None:
            raise CertificateProblem("the key of the last CSR is not available")
        key = serialization.load_pem_private_key(pending_pem.encode("ascii"), None)
        leaf = chain[0]
        ours = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        theirs = leaf.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if ours != theirs:
            raise CertificateProblem("the certificate is not for the key of the last CSR")
        common_name = _name_attribute(leaf.subject, NameOID.COMMON_NAME)
        if common_name != self._identity:
            raise CertificateProblem(
                f"the certificate's CN is {common_name!r}, not the identity {self._identity!r}"
            )
        cpo_name = self._config.get("CpoName")
        organization = _name_attribute(leaf.subject, NameOID.ORGANIZATION_NAME)
        if cpo_name and organization != cpo_name:
            raise CertificateProblem(
                f"the certificate's O is {organization!r}, not the CpoName {cpo_name!r}"
            )
        now = self._now()
        # A02.FR.08: one valid from a later date is kept and used from then.
        check_validity(leaf, now, allow_future=True)
        anchor = verify_chain(chain, self._trust_anchors(), now)
        issuer = chain[1] if len(chain) > 1 else anchor
        return chain, pending, public_key_bits(issuer.public_key())

    def _trust_anchors(self) -> list[x509.Certificate]:
        anchors = [stored.certificate for stored in self._store.all(_CS_ROOT)]
        configured = self._configured_roots()
        if configured:
            try:
                with open(configured, "rb") as handle:
                    anchors.extend(x509.load_pem_x509_certificates(handle.read()))
            except (OSError, ValueError) as error:
                self.log.warn("Cannot read the CA file {path}: {error}", path=configured,
                              error=error)
        return anchors

    def has_charge_point_certificate(self) -> bool:
        """
        @return: whether a charge point certificate can be used now (what
            SecurityProfile 3 needs).
        """
        return self.choice.current() is not None

    def has_central_system_root(self) -> bool:
        """
        @return: whether a CentralSystemRootCertificate is installed.
        """
        return bool(self._store.all(_CS_ROOT))

    def tls_files(self) -> tuple[str | None, str | None, str | None]:
        """
        Write the PEM files the TLS client reads: the installed central
        system roots (the fallback after the current ones, M05.FR.13), and
        the charge point certificate chain and its key (mode 0600).

        @return: (CA file, certificate file, key file); C{None} for what
            is not installed.
        """
        os.makedirs(self._folder, exist_ok=True)
        roots = sorted(self._store.all(_CS_ROOT), key=lambda stored: stored.fallback)
        ca_file = cert_file = key_file = None
        if roots:
            ca_file = self._write("central-system-roots.pem",
                                  "".join(stored.pem for stored in roots))
        current = self.choice.present()
        key = None if current is None else self._keys.load(current.private_key)
        self._written_key_kept_elsewhere = key is not None and not is_pem(current.private_key)
        if key is not None:
            cert_file = self._write("charge-point-certificate.pem", current.pem)
            key_file = self._write("charge-point-key.pem", key, private=True)
        elif current is not None:
            # Logged by the keys; without its key the certificate cannot be
            # presented: the configured files are used, as with none (tried
            # again at the next connection).
            self.choice.unusable.add(current.row_id)
            self.choice.presented = None
        return ca_file, cert_file, key_file

    def key_from_keeper(self) -> bool:
        """
        @return: whether the key L{tls_files} last wrote came from a
            keeper (then the caller removes the file once read).
        """
        return self._written_key_kept_elsewhere

    def _write(self, name: str, text: str, private: bool = False) -> str:
        path = os.path.join(self._folder, name)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        handle = os.open(path, flags, 0o600 if private else 0o644)
        with os.fdopen(handle, "w") as output:
            output.write(text)
        return path

    def connected(self, security_profile: int, server_certificate: Any = None) -> None:
        """
        A connection to the central system succeeded: when TLS and its
        server certificate is issued by the current (not fallback)
        CentralSystemRootCertificate, the fallback goes (M05.FR.12); one
        only the fallback verifies keeps it (M05.FR.13).  With profile 3,
        the charge point certificate presented has worked: older ones are
        kept for L{certchoice.FALLBACK_KEPT<openocpp.chargepoint.certchoice.FALLBACK_KEPT>} from now (A02.FR.10/A03.FR.10).

        @param server_certificate: the server's certificate (an
            C{x509.Certificate}, or a C{twisted.internet.ssl.Certificate}),
            or C{None}.
        """
        if security_profile == 3:
            self.choice.connected()
        if security_profile < 2 or server_certificate is None:
            return
        fallbacks = [s for s in self._store.all(_CS_ROOT) if s.fallback]
        if not fallbacks:
            return
        if not isinstance(server_certificate, x509.Certificate):
            server_certificate = server_certificate.original.to_cryptography()
        for stored in self._store.all(_CS_ROOT):
            root = stored.certificate
            if not stored.fallback and (root == server_certificate
                                        or issued_by(server_certificate, root)):
                self._store.drop_fallbacks(_CS_ROOT)
                self.log.info(
                    "Connected with the new CentralSystemRootCertificate: fallback removed"
                )
                return
        self.log.info("The server certificate is not issued by the new "
                      "CentralSystemRootCertificate: the fallback stays")

    # -- M03-M05: the root certificates ------------------------------------------------

    def manufacturer_roots(self) -> list[x509.Certificate]:
        """
        @return: the installed ManufacturerRootCertificates (what verifies
            a firmware signing certificate).
        """
        kind = str(CertificateUseEnumType.MANUFACTURER_ROOT_CERTIFICATE)
        return [stored.certificate for stored in self._store.all(kind)]

    def _roots(self, certificate_type: str | None = None) -> list[Any]:
        if certificate_type is None:
            return [s for kind in _ROOT_TYPES for s in self._store.all(kind)]
        return self._store.all(certificate_type)

    def _issuer_key(self, certificate: x509.Certificate, also: list = ()) -> bytes:
        """
        The L{public_key_bits} of a certificate's issuer: an installed root
        (or one of C{also}) that signed it, else its own (self-issued).
        """
        candidates = list(also) + [stored.certificate for stored in self._roots()]
        if certificate.issuer != certificate.subject:
            for candidate in candidates:
                if candidate.subject == certificate.issuer and issued_by(certificate, candidate):
                    return public_key_bits(candidate.public_key())
        return public_key_bits(certificate.public_key())

    def get_installed_certificate_ids(self, request: Any) -> GetInstalledCertificateIdsResponse:
        kind = str(request.certificate_type)
        installed = self._roots(kind)
        if not installed:
            self.log.info("GetInstalledCertificateIds {kind}: none installed", kind=kind)
            return GetInstalledCertificateIdsResponse(
                status=GetInstalledCertificateStatusEnumType.NOT_FOUND
            )
        return GetInstalledCertificateIdsResponse(
            status=GetInstalledCertificateStatusEnumType.ACCEPTED,
            certificate_hash_data=[stored.hash_data() for stored in installed],
        )

    def install_certificate(self, request: Any) -> InstallCertificateResponse:
        kind = str(request.certificate_type)
        try:
            status = self._install(kind, request.certificate)
        except CertificateProblem as problem:
            self.log.info("InstallCertificate {kind} rejected: {problem}", kind=kind,
                          problem=str(problem))
            return InstallCertificateResponse(status=InstallCertificateStatusEnumType.REJECTED)
        except Exception:
            self.log.failure("InstallCertificate {kind} failed", kind=kind)
            return InstallCertificateResponse(status=InstallCertificateStatusEnumType.FAILED)
        return InstallCertificateResponse(status=status)

    def _install(self, kind: str, pem: str) -> InstallCertificateStatusEnumType:
        try:
            certificates = x509.load_pem_x509_certificates(pem.encode("utf-8"))
        except ValueError as error:
            raise CertificateProblem(f"not a PEM certificate: {error}")
        if len(certificates) != 1:
            raise CertificateProblem(f"{len(certificates)} certificates where one is expected")
        certificate = certificates[0]
        check_validity(certificate, self._now())
        try:
            constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        except x509.ExtensionNotFound:
            pass
        else:
            if not constraints.value.ca:
                raise CertificateProblem("not a CA certificate (basicConstraints CA is false)")
        installed = self._roots(kind)
        if any(stored.certificate == certificate for stored in installed):
            self.log.info("InstallCertificate {kind}: already installed", kind=kind)
            return InstallCertificateStatusEnumType.ACCEPTED
        clean = to_pem(certificate)
        start = certificate.not_valid_before_utc
        current = [stored for stored in installed if not stored.fallback]
        if (kind == _CS_ROOT and current
                and self._config.boolean("AdditionalRootCertificateCheck")):
            # M05.FR.08-11: one root (and a fallback); the new one must be
            # signed by the one it replaces, which becomes the fallback.
            old = current[-1]
            if not issued_by(certificate, old.certificate):
                raise CertificateProblem(
                    "AdditionalRootCertificateCheck: not signed by the installed "
                    "CentralSystemRootCertificate"
                )
            self._store.replace_root(kind, clean, start, public_key_bits(
                old.certificate.public_key()), now=self._now())
            self.log.info("CentralSystemRootCertificate replaced; the old one is the fallback")
            return InstallCertificateStatusEnumType.ACCEPTED
        limit = self._config.integer("CertificateStoreMaxLength")
        if len(self._roots()) >= limit:
            self.log.info(
                "InstallCertificate {kind} rejected: CertificateStoreMaxLength ({limit}) reached",
                kind=kind, limit=limit,
            )
            return InstallCertificateStatusEnumType.REJECTED
        self._store.add(kind, clean, start, self._issuer_key(certificate), now=self._now())
        self.log.info("{kind} {serial:x} installed", kind=kind, serial=certificate.serial_number)
        return InstallCertificateStatusEnumType.ACCEPTED

    def delete_certificate(self, request: Any) -> DeleteCertificateResponse:
        wanted = request.certificate_hash_data
        for stored in self._roots():
            if not same_hash_data(stored.hash_data(wanted.hash_algorithm), wanted):
                continue
            if self._in_use(stored):
                self.log.info(
                    "DeleteCertificate refused: the CentralSystemRootCertificate in use"
                )
                return DeleteCertificateResponse(status=DeleteCertificateStatusEnumType.FAILED)
            try:
                self._store.delete(stored.row_id)
            except Exception:
                self.log.failure("DeleteCertificate failed")
                return DeleteCertificateResponse(status=DeleteCertificateStatusEnumType.FAILED)
            self.log.info("{kind} {serial} deleted", kind=stored.certificate_type,
                          serial=wanted.serial_number)
            return DeleteCertificateResponse(status=DeleteCertificateStatusEnumType.ACCEPTED)
        for stored in self._store.all(CHARGE_POINT_CERTIFICATE):
            if same_hash_data(stored.hash_data(wanted.hash_algorithm), wanted):
                # M04.FR.05: never through DeleteCertificate.
                self.log.info("DeleteCertificate refused: a charge point certificate")
                return DeleteCertificateResponse(status=DeleteCertificateStatusEnumType.FAILED)
        self.log.info("DeleteCertificate: no certificate with serial number {serial}",
                      serial=wanted.serial_number)
        return DeleteCertificateResponse(status=DeleteCertificateStatusEnumType.NOT_FOUND)

    def _in_use(self, stored: Any) -> bool:
        """
        Whether a root verifies the connection now (M04.FR.06): a current
        (not fallback) CentralSystemRootCertificate while the security
        profile uses TLS.
        """
        return (
            stored.certificate_type == _CS_ROOT
            and not stored.fallback
            and self._config.integer("SecurityProfile") >= 2
        )
