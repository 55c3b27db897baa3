"""
Secure firmware update (Security Whitepaper edition 2, use case L01):
SignedUpdateFirmware, with the Firmware Management profile's machinery of
L{openocpp.chargepoint.firmware} (the wait for the retrieveDate, the
download with retries, the installation once no transaction runs with the
connectors not in use Unavailable, the reboot, the report after the boot),
and these steps of its own:

  - the signing certificate is verified on receipt, against the installed
    ManufacturerRootCertificates (L01.FR.12/23; the whitepaper allows no
    intermediate certificate for it): an invalid one is answered
    InvalidCertificate with an InvalidFirmwareSigningCertificate security
    event (L01.FR.24, L01.FR.02); a revoked one (the installed CRLs, the
    C{openocpp_cp_certificate_revoked} hook: see
    L{openocpp.chargepoint.revocation}) RevokedCertificate with the same
    event (L01.FR.25);
  - the downloaded file's signature (base64, over the whole file, SHA-256;
    ECDSA, RSA-PSS or RSA PKCS#1 v1.5) is verified before installing
    (L01.FR.04): SignatureVerified, or InvalidSignature with an
    InvalidFirmwareSignature security event and no installation
    (L01.FR.03);
  - installDateTime: InstallScheduled and the installation at that time
    (L01.FR.16/17);
  - a reboot after the installation is preceded by InstallRebooting
    (L01.FR.15);
  - every SignedFirmwareStatusNotification.req carries the request's
    requestId (L01.FR.10, L01.FR.21): DownloadScheduled (L01.FR.13),
    Downloading, Downloaded or DownloadFailed, SignatureVerified or
    InvalidSignature, InstallScheduled, Installing, InstallRebooting,
    Installed, InstallationFailed or InstallVerificationFailed (the
    installer's C{InstallResult.verification_failed}) (L01.FR.01);
  - a new request while one waits or downloads cancels it:
    AcceptedCanceled (L01.FR.26); during the installation: Rejected
    (L01.FR.27).

With C{signed_only} (the charge point's C{signed_firmware_only} option,
off by default so that the Firmware Management profile keeps working),
UpdateFirmware is a CALLERROR NotSupported (L01.FR.20).
"""

import base64
import binascii
from datetime import timedelta
from typing import Any, Callable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from twisted.internet.defer import Deferred
from twisted.logger import Logger

from openocpp.chargepoint.certificates import CertificateProblem, check_validity, issued_by
from openocpp.chargepoint.revocation import FIRMWARE_SIGNING
from openocpp.chargepoint.firmware import (
    FirmwareUpdates,
    _failed,
    _parse,
    attempts_and_interval,
    check_transfer_url,
)
from openocpp.messages import codec
from openocpp.messages.enums import FirmwareStatusEnumType, UpdateFirmwareStatusEnumType
from openocpp.messages.errors import ErrorCode
from openocpp.messages.security import (
    SignedFirmwareStatusNotificationRequest,
    SignedUpdateFirmwareResponse,
)
from openocpp.rpc.errors import CallError

_LAST_STATUS = "signed_firmware_last_status"


def verify_signature(certificate: x509.Certificate, content: bytes, signature: bytes) -> None:
    """
    Verify a signature of C{content} made with the certificate's key and
    SHA-256 (ECDSA; RSA-PSS or PKCS#1 v1.5).

    @raise InvalidSignature: it does not verify.
    """
    key = certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, content, ec.ECDSA(hashes.SHA256()))
        return
    if isinstance(key, rsa.RSAPublicKey):
        try:
            key.verify(
                signature, content,
                padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
                hashes.SHA256(),
            )
        except InvalidSignature:
            key.verify(signature, content, padding.PKCS1v15(), hashes.SHA256())
        return
    raise InvalidSignature(f"unsupported key type {type(key).__name__}")


class SignedFirmwareUpdates(FirmwareUpdates):
    """
    Carries out SignedUpdateFirmware requests (and, with C{signed_only},
    refuses UpdateFirmware).

    Takes L{FirmwareUpdates}' parameters, and:

    @param manufacturer_roots: returns the installed
        ManufacturerRootCertificates (C{x509.Certificate}s).
    @param security_event: C{security_event(kind, tech_info=None,
        critical=None)} raises a security event.
    @param signed_only: answer UpdateFirmware NotSupported (L01.FR.20).
    @param revocation: the L{openocpp.chargepoint.revocation.RevocationCheck}
        of the signing certificate; default: none (never revoked).
    """

    log = Logger()

    _state_prefix = "signed_firmware"

    def __init__(
        self,
        store: Any,
        *args: Any,
        manufacturer_roots: Callable[[], list],
        security_event: Callable[..., Any],
        signed_only: bool = False,
        revocation: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(store, *args, **kwargs)
        self._revocation = revocation
        self._manufacturer_roots = manufacturer_roots
        self._security_event = security_event
        self._signed_only = signed_only
        # The last status sent is kept next to the update's state.
        self._meta = store

    def handlers(self) -> dict:
        handlers = {"SignedUpdateFirmware": self.signed_update_firmware}
        if self._signed_only:
            handlers["UpdateFirmware"] = self._unsigned_refused
        return handlers

    def triggers(self) -> dict:
        """
        TriggerMessage (OCPP 1.6) asks for FirmwareStatusNotification, not
        this: ExtendedTriggerMessage uses L{trigger}.
        """
        return {}

    def _unsigned_refused(self, request: Any) -> None:
        self.log.info("UpdateFirmware refused: only SignedUpdateFirmware is supported")
        raise CallError(
            ErrorCode.NOT_SUPPORTED,
            "UpdateFirmware is not supported: use SignedUpdateFirmware (L01.FR.20)",
        )

    # -- the request ------------------------------------------------------------------

    def signed_update_firmware(self, request: Any) -> Any:
        """
        Answer a SignedUpdateFirmware.req: the signing certificate checked
        (L01.FR.23 to 25), then the update accepted.

        @return: the SignedUpdateFirmware.conf, or a Deferred of it while
            the revocation check asks a plugin.
        """
        firmware = request.firmware
        check_transfer_url("SignedUpdateFirmware", firmware.location)
        try:
            certificate, issuer = self._check_signing_certificate(firmware.signing_certificate)
        except CertificateProblem as problem:
            self.log.warn("SignedUpdateFirmware: invalid signing certificate: {problem}",
                          problem=str(problem))
            self._security_event("InvalidFirmwareSigningCertificate",
                                 tech_info=str(problem)[:255])
            return SignedUpdateFirmwareResponse(
                status=UpdateFirmwareStatusEnumType.INVALID_CERTIFICATE
            )
        if self._revocation is None:
            return self._accept(request)
        checking = self._revocation.revoked(certificate, issuer, FIRMWARE_SIGNING)
        return checking.addCallback(self._checked_revocation, request)

    def _checked_revocation(self, revoked: str | None, request: Any) -> Any:
        if revoked is None:
            return self._accept(request)
        self.log.warn("SignedUpdateFirmware: revoked signing certificate: {reason}",
                      reason=revoked)
        self._security_event("InvalidFirmwareSigningCertificate",
                             tech_info=f"revoked: {revoked}"[:255])
        return SignedUpdateFirmwareResponse(status=UpdateFirmwareStatusEnumType.REVOKED_CERTIFICATE)

    def _accept(self, request: Any) -> SignedUpdateFirmwareResponse:
        firmware = request.firmware
        attempts, interval = attempts_and_interval(request.retries, request.retry_interval)
        update = {
            "location": firmware.location,
            "retrieve_date": codec.format_datetime(firmware.retrieve_date_time),
            "install_date": (codec.format_datetime(firmware.install_date_time)
                             if firmware.install_date_time is not None else None),
            "signing_certificate": firmware.signing_certificate,
            "signature": firmware.signature,
            "request_id": request.request_id,
            "attempts": attempts,
            "interval": interval,
            "phase": "waiting",
        }
        current = self._store.state()
        status = UpdateFirmwareStatusEnumType.ACCEPTED
        if current is not None:
            if current["phase"] in ("installing", "rebooting"):
                self.log.info("SignedUpdateFirmware {id} rejected: an installation runs",
                              id=request.request_id)
                return SignedUpdateFirmwareResponse(status=UpdateFirmwareStatusEnumType.REJECTED)
            if current["phase"] != "report":
                self.log.info("SignedUpdateFirmware {id} cancels update {old}",
                              id=request.request_id, old=current.get("request_id"))
                self._abandon(current)
                status = UpdateFirmwareStatusEnumType.ACCEPTED_CANCELED
        if current is not None and current["phase"] == "report":
            # Installed, its result waiting for the boot: this one follows.
            self._store.set_next(update)
        else:
            self._store.set_state(update)
            if self._running:
                self._wait(update)
        self.log.info("SignedUpdateFirmware {id} from {location} {status}",
                      id=request.request_id, location=firmware.location, status=status.value)
        return SignedUpdateFirmwareResponse(status=status)

    def _check_signing_certificate(self, text: str) -> tuple[x509.Certificate, x509.Certificate]:
        """
        @return: the signing certificate and the ManufacturerRootCertificate
            that signed it (itself when it is one).
        @raise CertificateProblem: it is not valid.
        """
        try:
            certificate = x509.load_pem_x509_certificate(text.encode("utf-8"))
        except ValueError as error:
            raise CertificateProblem(f"not a PEM certificate: {error}")
        check_validity(certificate, self._now())
        roots = self._manufacturer_roots()
        if not roots:
            raise CertificateProblem("no ManufacturerRootCertificate is installed")
        for root in roots:
            if certificate == root or issued_by(certificate, root):
                check_validity(root, self._now())
                return certificate, root
        raise CertificateProblem(
            f"{certificate.issuer.rfc4514_string()} is not an installed "
            "ManufacturerRootCertificate"
        )

    # -- the steps of its own --------------------------------------------------------------

    def _scheduled(self, state: dict) -> None:
        # L01.FR.13, once (the wait is timed again after each boot).
        if not state.get("scheduled_told"):
            state["scheduled_told"] = True
            self._store.set_state(state)
            self._notify(FirmwareStatusEnumType.DOWNLOAD_SCHEDULED)

    def _install_when_idle(self) -> None:
        state = self._store.state()
        if state is None or state["phase"] != "downloaded":
            self._timer = None
            return
        if not state.get("verified") and not self._verify(state):
            return
        install_date = state.get("install_date")
        if install_date is not None:
            wait = (_parse(install_date) - self._now()) / timedelta(seconds=1)
            if wait > 0:
                if not state.get("install_scheduled"):
                    state["install_scheduled"] = True
                    self._store.set_state(state)
                    self._notify(FirmwareStatusEnumType.INSTALL_SCHEDULED)
                self.log.info("Firmware installation waits {wait} s for its installDateTime",
                              wait=wait)
                self._later(wait, self._install_when_idle)
                return
        super()._install_when_idle()

    def _verify(self, state: dict) -> bool:
        """
        Verify the downloaded file's signature (L01.FR.04, L01.FR.12).

        @return: whether it verified (else the update is over).
        """
        try:
            certificate = x509.load_pem_x509_certificate(
                state["signing_certificate"].encode("utf-8")
            )
            signature = base64.b64decode(state["signature"], validate=True)
            with open(state["path"], "rb") as image:
                content = image.read()
            verify_signature(certificate, content, signature)
        except (InvalidSignature, ValueError, binascii.Error, OSError) as error:
            reason = str(error) or "the signature does not verify"
            self.log.warn("Firmware signature invalid: {reason}", reason=reason)
            self._notify(FirmwareStatusEnumType.INVALID_SIGNATURE)
            self._security_event("InvalidFirmwareSignature", tech_info=reason[:255])
            self._finish(state, FirmwareStatusEnumType.INVALID_SIGNATURE, notify=False)
            return False
        state["verified"] = True
        self._store.set_state(state)
        self.log.info("Firmware signature verified")
        self._notify(FirmwareStatusEnumType.SIGNATURE_VERIFIED)
        return True

    def _failed_status(self, result: Any) -> Any:
        """
        InstallVerificationFailed when the installer's own verification of
        the new firmware failed (C{InstallResult.verification_failed}: "will
        not proceed"), else InstallationFailed.
        """
        if result.outcome == "verification_failed":
            return FirmwareStatusEnumType.INSTALL_VERIFICATION_FAILED
        return FirmwareStatusEnumType.INSTALLATION_FAILED

    def _before_reboot(self, state: dict) -> Deferred:
        # L01.FR.15: told before the reboot.
        return self._notify(FirmwareStatusEnumType.INSTALL_REBOOTING)

    # -- notifications -------------------------------------------------------------------

    def _notify(self, status: Any, triggered: bool = False) -> Deferred:
        """
        Send a SignedFirmwareStatusNotification.req with the update's
        requestId (L01.FR.10; none for Idle, L01.FR.21).

        @return: a Deferred firing with whether the central system answered.
        """
        status = FirmwareStatusEnumType(str(status))
        state = self._store.state()
        request_id = None
        if status is not FirmwareStatusEnumType.IDLE and state is not None:
            request_id = state.get("request_id")
        self.log.info("Signed firmware status {status} (request {id})", status=status.value,
                      id=request_id)
        self._meta.set_meta(_LAST_STATUS, status.value)

        def failed(failure):
            self.log.info(
                "SignedFirmwareStatusNotification {status} not sent: {error}",
                status=status.value,
                error=failure.getErrorMessage(),
            )
            return False

        request = SignedFirmwareStatusNotificationRequest(status=status, request_id=request_id)
        try:
            sending = self._send(request, triggered=triggered)
        except Exception as error:
            sending = _failed(error)
        return sending.addCallbacks(lambda _: True, failed)

    def trigger(self) -> Deferred:
        """
        Send the SignedFirmwareStatusNotification.req an
        ExtendedTriggerMessage(FirmwareStatusNotification) asks for: the
        last status sent (L01.FR.29), Idle after Installed or when none was
        (L01.FR.28).
        """
        last = self._meta.get_meta(_LAST_STATUS)
        if last is None or last == FirmwareStatusEnumType.INSTALLED.value:
            last = FirmwareStatusEnumType.IDLE.value
        return self._notify(FirmwareStatusEnumType(last), triggered=True)
