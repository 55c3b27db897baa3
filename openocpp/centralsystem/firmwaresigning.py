"""
The central system's check of a Firmware Signing certificate before it
sends it in a SignedUpdateFirmware.req (Security Whitepaper edition 2:
L01.FR.11, the request carries it; A00.FR.706, the central system should
validate it first), so that an operator learns of a wrong file from the
API's answer, not from the charge point's InvalidCertificate hours later:

  - it is one PEM certificate (the whitepaper forbids intermediates for
    the firmware signing certificate, section 4.2.3);
  - valid now: not expired, not before its validity;
  - its key usage, when it has the extension, allows digital signatures
    (the certificate verifies the firmware's signature);
  - when the central system knows manufacturer roots (C{--manufacturer-root}),
    it is one of them or issued by one.

The charge point checks the same on its side (L01.FR.02, against its
installed ManufacturerRootCertificates).
"""

from datetime import datetime
from typing import Callable

from cryptography import x509

from openocpp.chargepoint.certificates import CertificateProblem, check_validity, issued_by


def load_roots(path: str) -> list[x509.Certificate]:
    """
    Read manufacturer root certificates (PEM, one or more).

    @raise ValueError: the file cannot be read or holds no PEM
        certificate, naming the file.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise ValueError(f"manufacturer_roots {path}: {error.strerror or error}") from None
    try:
        roots = x509.load_pem_x509_certificates(data)
    except ValueError:
        roots = []
    if not roots:
        raise ValueError(f"manufacturer_roots {path}: no PEM certificate in it")
    return roots


class SigningCertificateCheck:
    """
    Checks Firmware Signing certificates (see the module's docstring).

    @param roots: the manufacturer roots the central system knows (maybe
        none: then any issuer is taken).
    @param now: returns the current time (an aware datetime).
    """

    def __init__(self, roots: list[x509.Certificate], now: Callable[[], datetime]) -> None:
        self._roots = list(roots)
        self._now = now

    def __call__(self, text: str) -> x509.Certificate:
        """
        @param text: the C{signingCertificate} of a SignedUpdateFirmware.req.
        @return: the certificate, when it is fit to be sent.
        @raise CertificateProblem: why not, in one line.
        """
        try:
            certificates = x509.load_pem_x509_certificates(text.encode("utf-8"))
        except ValueError:
            raise CertificateProblem("signingCertificate is not a PEM certificate") from None
        if len(certificates) != 1:
            raise CertificateProblem(
                f"signingCertificate holds {len(certificates)} certificates: give the firmware signing "
                "certificate alone (no intermediates)"
            )
        certificate = certificates[0]
        now = self._now()
        check_validity(certificate, now)
        try:
            usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound:
            usage = None
        if usage is not None and not usage.digital_signature:
            raise CertificateProblem("the certificate's key usage does not allow digital signatures")
        if self._roots:
            for root in self._roots:
                if certificate == root or issued_by(certificate, root):
                    check_validity(root, now)
                    return certificate
            raise CertificateProblem(
                f"the certificate is issued by {certificate.issuer.rfc4514_string()}, "
                "not by a manufacturer root the central system knows (--manufacturer-root)"
            )
        return certificate
