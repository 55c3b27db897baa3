"""
Whether a certificate the charge point checks itself is revoked (Security
Whitepaper edition 2: L01.FR.25 for the firmware signing certificate,
whose revocation the whitepaper leaves to "online verification",
2.6 table 13).

Two sources, and nothing fetched over the network by openocpp itself:

  - the certificate revocation lists the operator installs in a folder
    (the charge point's C{crl_folder}, C{--crl-folder}): PEM (one or more
    CRLs a file) or DER files, read at each check, so that a CRL copied in
    counts at once.  A CRL counts only for certificates of its issuer: its
    issuer name is the certificate's issuer and its signature verifies
    with the issuer's key (a CRL of another CA, or a forged one, is
    ignored).  A revoked entry counts whatever the CRL's nextUpdate: a
    revocation is not undone by the list growing old;
  - the hook C{openocpp_cp_certificate_revoked} (firstresult), for sites
    that ask an OCSP responder or a service of their own; its failure is
    logged and counts as "not known revoked" (soft fail: a responder
    being down must not stop every firmware update).
"""

from __future__ import annotations

import os
import re
from typing import Any, Callable

from cryptography import x509
from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger

FIRMWARE_SIGNING = "FirmwareSigningCertificate"
"""
The C{purpose} of a firmware signing certificate (SignedUpdateFirmware).
"""

_PEM_CRL = re.compile(
    rb"-----BEGIN X509 CRL-----.+?-----END X509 CRL-----", re.DOTALL
)


def load_crls(data: bytes) -> list[x509.CertificateRevocationList]:
    """
    The CRLs of a file's content: every PEM C{X509 CRL} block, or one DER
    CRL.

    @param data: the file's bytes.
    @return: the CRLs.
    @raise ValueError: it holds none.
    """
    blocks = _PEM_CRL.findall(data)
    if blocks:
        return [x509.load_pem_x509_crl(block) for block in blocks]
    return [x509.load_der_x509_crl(data)]


def crl_revokes(
    crl: x509.CertificateRevocationList,
    certificate: x509.Certificate,
    issuer: x509.Certificate,
) -> bool:
    """
    Whether a CRL of C{issuer} lists C{certificate}.

    @param crl: the CRL.
    @param certificate: the certificate checked.
    @param issuer: the certificate that signed it.
    @return: C{True} only when the CRL is the issuer's (its name, its
        signature) and has the certificate's serial number.
    """
    if crl.issuer != issuer.subject or certificate.issuer != issuer.subject:
        return False
    try:
        if not crl.is_signature_valid(issuer.public_key()):
            return False
    except (TypeError, ValueError):
        return False  # a key type that cannot sign CRLs
    return crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None


class RevocationCheck:
    """
    Checks certificates against the installed CRLs, then the hook.

    @param crl_folder: the folder of CRL files, or C{None}: none.
    @param hook: C{hook(name, **kwargs)} calls a firstresult hook with the
        charge point and returns a Deferred of its answer.
    """

    log = Logger()

    def __init__(self, crl_folder: str | None, hook: Callable[..., Deferred]) -> None:
        self._folder = crl_folder
        self._hook = hook

    def revoked(
        self, certificate: x509.Certificate, issuer: x509.Certificate, purpose: str
    ) -> Deferred[str | None]:
        """
        Whether a certificate is revoked.

        @param certificate: the certificate.
        @param issuer: the certificate that signed it (verified already).
        @param purpose: what it is for (L{FIRMWARE_SIGNING}).
        @return: a Deferred firing with why it is revoked (for the log and
            the security event), or C{None}; it never fails.
        """
        reason = self._crl_reason(certificate, issuer)
        if reason is not None:
            return succeed(reason)
        asking = self._hook(
            "openocpp_cp_certificate_revoked", certificate=certificate, purpose=purpose
        )

        def answered(revoked: Any) -> str | None:
            if revoked:
                return f"serial number {certificate.serial_number:x} is revoked (a plugin's check)"
            return None

        def failed(failure: Any) -> None:
            self.log.warn(
                "The revocation check of the {purpose} failed, taken as not revoked: {error}",
                purpose=purpose,
                error=failure.getErrorMessage(),
            )
            return None

        return asking.addCallbacks(answered, failed)

    def _crl_reason(self, certificate: x509.Certificate, issuer: x509.Certificate) -> str | None:
        for path, crl in self._crls():
            if crl_revokes(crl, certificate, issuer):
                return (
                    f"serial number {certificate.serial_number:x} is revoked by the CRL "
                    f"{os.path.basename(path)} of {issuer.subject.rfc4514_string()}"
                )
        return None

    def _crls(self) -> list[tuple[str, x509.CertificateRevocationList]]:
        if self._folder is None:
            return []
        try:
            names = sorted(os.listdir(self._folder))
        except OSError as error:
            self.log.warn("Cannot read the CRL folder {folder}: {error}", folder=self._folder,
                          error=error)
            return []
        found = []
        for name in names:
            path = os.path.join(self._folder, name)
            if not os.path.isfile(path):
                continue
            try:
                with open(path, "rb") as handle:
                    crls = load_crls(handle.read())
            except (OSError, ValueError) as error:
                self.log.warn("{path} is not a CRL (PEM or DER), ignored: {error}", path=path,
                              error=error)
                continue
            found.extend((path, crl) for crl in crls)
        return found
