"""
Which charge point certificate the TLS client presents (Security Whitepaper
edition 2, A02.FR.08-10 and A03.FR.08-10): the newest valid one; the
previous one (or the configured file) again when the central system refused
a new one that had not connected yet; older ones removed L{FALLBACK_KEPT}
after a newer one connected.  Also when the certificate in use expires (what
L{openocpp.chargepoint.renewal} watches).
"""

from datetime import datetime, timedelta
from typing import Any, Callable

from cryptography import x509
from twisted.logger import Logger

from openocpp.chargepoint.certstore import CHARGE_POINT_CERTIFICATE

#: How long older charge point certificates are kept as a fallback once a
#: connection with a newer one succeeded (A02.FR.10/A03.FR.10: "one month").
FALLBACK_KEPT = timedelta(days=30)


class CertificateChoice:
    """
    The charge point certificate to present, its fallback and its expiry.

    @param store: the L{openocpp.chargepoint.certstore.CertificateStore}.
    @param now: returns the charge point's time (an aware datetime).
    @param configured_certificate: returns the configured charge point
        certificate file (or C{None}): the one in use while none is
        installed, and a fallback.
    @param security_event: C{security_event(kind, tech_info=None,
        critical=None)} raises a security event.
    @ivar presented: the row of the installed certificate the connection
        service presents (the last L{present}), or C{None}.
    @ivar unusable: the rows whose private key was not available for the
        connection being made (its keeper failed): not presented, nor
        switched to, until the next L{present}.
    """

    log = Logger()

    def __init__(
        self,
        store: Any,
        now: Callable[[], datetime],
        configured_certificate: Callable[[], str | None],
        security_event: Callable[..., Any],
    ) -> None:
        self._store = store
        self._now = now
        self._configured_certificate = configured_certificate
        self._security_event = security_event
        self.presented: int | None = None
        self.unusable: set[int] = set()

    def present(self) -> Any:
        """
        Choose the installed certificate the next connection presents, and
        note it.

        @return: its L{openocpp.chargepoint.certstore.StoredCertificate}, or
            C{None} (the configured file, if any).
        """
        self.unusable.clear()
        current = self._presentable()
        self.presented = None if current is None else current.row_id
        return current

    def connected(self) -> None:
        """
        A profile-3 connection succeeded: the certificate presented has
        worked; older ones are kept for L{FALLBACK_KEPT} from now.
        """
        if self.presented is None:
            return
        proven = self._store.proven()
        if proven is None or proven[0] != self.presented:
            self._store.set_proven(self.presented, self._now())
            self.log.info("Connected with the charge point certificate in use: older ones "
                          "are kept for {days} days", days=FALLBACK_KEPT.days)

    def current(self) -> Any:
        """
        The newest charge point certificate whose validity has begun and
        not ended (A02.FR.08/09), or C{None}; one the central system
        refused only when no other is valid (A02.FR.10).
        """
        now = self._now()
        refused = self._store.refused()
        usable = []
        for stored in self._store.all(CHARGE_POINT_CERTIFICATE):
            leaf = stored.certificate
            if leaf.not_valid_before_utc <= now < leaf.not_valid_after_utc:
                usable.append((stored.row_id not in refused, leaf.not_valid_before_utc,
                               stored.row_id, stored))
        return max(usable, key=lambda item: item[:3])[3] if usable else None

    def _presentable(self) -> Any:
        """
        The installed certificate the TLS client presents: the current one,
        unless it was refused and a configured certificate file can take
        its place (C{None}: the configured file, if any).
        """
        current = self.current()
        if current is not None and current.row_id in self.unusable:
            return None
        if (current is not None and current.row_id in self._store.refused()
                and self._configured_certificate()):
            return None
        return current

    def expiry(self) -> datetime | None:
        """
        When the charge point certificate expires (A03.FR.02): the latest
        end of validity of the installed ones not refused and not expired
        (one valid from a later date included: the renewal is done), else
        that of the configured certificate file; C{None} without any.
        """
        now = self._now()
        refused = self._store.refused()
        ends = [
            stored.certificate.not_valid_after_utc
            for stored in self._store.all(CHARGE_POINT_CERTIFICATE)
            if stored.row_id not in refused and stored.certificate.not_valid_after_utc > now
        ]
        if ends:
            return max(ends)
        path = self._configured_certificate()
        if path:
            try:
                with open(path, "rb") as handle:
                    return x509.load_pem_x509_certificates(handle.read())[0].not_valid_after_utc
            except (OSError, ValueError) as error:
                self.log.warn("Cannot read the charge point certificate file {path}: {error}",
                              path=path, error=error)
        return None

    def switch_due(self) -> bool:
        """
        Whether a newer installed certificate than the one the connection
        presents is valid now (A02.FR.08/A03.FR.08: switch to it).
        """
        current = self._presentable()
        return current is not None and current.row_id != self.presented

    def can_fall_back(self) -> bool:
        """
        Whether the certificate the connection presents has not connected
        yet and another valid one, not refused, or the configured file,
        could be taken back (A02.FR.10/A03.FR.10).
        """
        if self.presented is None:
            return False
        proven = self._store.proven()
        if proven is not None and proven[0] == self.presented:
            return False
        if self._configured_certificate():
            return True
        now = self._now()
        refused = self._store.refused() | {self.presented}
        for stored in self._store.all(CHARGE_POINT_CERTIFICATE):
            leaf = stored.certificate
            if (stored.row_id not in refused
                    and leaf.not_valid_before_utc <= now < leaf.not_valid_after_utc):
                return True
        return False

    def fall_back(self, reason: str) -> None:
        """
        The central system refused the new certificate: it is marked
        refused (the previous one is used from the next connection) and an
        InvalidChargePointCertificate security event raised, once.
        """
        if self.presented is None:
            return
        self._store.add_refused(self.presented)
        self.log.warn(
            "The central system refused the new charge point certificate; back to the previous "
            "one: {reason}", reason=reason,
        )
        self._security_event(
            "InvalidChargePointCertificate",
            tech_info=f"refused by the central system, previous certificate used: {reason}"[:255],
        )

    def drop_old(self) -> int:
        """
        Remove the certificates older than the one a connection succeeded
        with, L{FALLBACK_KEPT} after it did (A02.FR.10/A03.FR.10).

        @return: how many went.
        """
        proven = self._store.proven()
        if proven is None or self._now() - proven[1] < FALLBACK_KEPT:
            return 0
        stored = {each.row_id: each for each in self._store.all(CHARGE_POINT_CERTIFICATE)}
        if proven[0] not in stored:
            return 0

        def order(each):
            return each.certificate.not_valid_before_utc, each.row_id

        newest = order(stored[proven[0]])
        old = [each.row_id for each in stored.values() if order(each) < newest]
        for row_id in old:
            self._store.delete(row_id)
        if old:
            self.log.info("{count} older charge point certificate(s) removed: the current one "
                          "has worked for {days} days", count=len(old), days=FALLBACK_KEPT.days)
        return len(old)
