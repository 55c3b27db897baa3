"""
The charge point renews its own certificate (Security Whitepaper edition 2,
use case A03): once the ChargePointCertificate in use expires within
L{RENEWAL_WINDOW}, it makes a new key pair and sends a CSR with
SignCertificate.req (A03.FR.02/03, CN the identity and O the CpoName:
A03.FR.13); the CertificateSigned.req that follows is handled as for A02
(L{openocpp.chargepoint.certificates}).

When it checks: at start-up, each time the charge point is accepted online,
after each CertificateSigned.req, and once a day on the charge point's
clock.  A renewal that brings no certificate (Rejected, no answer, or no
CertificateSigned.req) is tried again no sooner than L{RETRY_INTERVAL}
later (the whitepaper's error handling of A03: retrying within minutes or
hours is NOT RECOMMENDED); when the last try was is in the charge point's
SQLite file, so a restart does not try again sooner.  Without CpoName (the
use case's prerequisite) no CSR is sent, and one log line says why.

It also drops the old certificates a month after a newer one worked
(A03.FR.10) and asks the charge point to reconnect when a newer certificate
than the one presented has become valid (A03.FR.08).
"""

from datetime import datetime, timedelta
from typing import Any, Callable

from twisted.logger import Logger

from openocpp.chargepoint.errors import NotAccepted, NotConnected
from openocpp.rpc.errors import CallTimeout

#: A03.FR.02: the renewal starts when the certificate expires within this.
RENEWAL_WINDOW = timedelta(days=30)

#: The least time between two renewals the charge point starts itself.
RETRY_INTERVAL = timedelta(days=1)

#: How often the certificate's expiry is checked.
CHECK_INTERVAL = timedelta(days=1)

#: The shortest wait before the next check (never a busy loop, whatever
#: the time the central system sets).
_MINIMUM_WAIT = 60.0


class CertificateRenewal:
    """
    Starts A03 when the charge point certificate expires soon.

    @param choice: the L{openocpp.chargepoint.certchoice.CertificateChoice}
        (its C{expiry}, C{drop_old}, C{switch_due}).
    @param sign_certificate: sends a new CSR (a Deferred of the
        SignCertificate.conf).
    @param store: the L{openocpp.chargepoint.certstore.CertificateStore}
        (the last renewal).
    @param ocpp_config: the L{openocpp.chargepoint.interfaces.IOcppConfig}
        (CpoName).
    @param now: returns the charge point's time (an aware datetime).
    @param call_later: C{call_later(delay, function)}, cancelled when the
        charge point stops.
    @param online: returns whether requests can be sent.
    @param switch: called when a newer certificate than the one presented
        is valid (the charge point reconnects with it).
    """

    log = Logger()

    def __init__(
        self,
        choice: Any,
        sign_certificate: Callable[[], Any],
        store: Any,
        ocpp_config: Any,
        now: Callable[[], datetime],
        call_later: Callable[..., Any],
        online: Callable[[], bool],
        switch: Callable[[], Any] = lambda: None,
    ) -> None:
        self._choice = choice
        self._sign_certificate = sign_certificate
        self._store = store
        self._config = ocpp_config
        self._now = now
        self._call_later = call_later
        self._online = online
        self._switch = switch
        self._timer: Any = None
        self._sending = False
        self._told_no_cpo_name = False

    def start(self) -> None:
        """
        Check now and then daily.
        """
        self.check()

    def stop(self) -> None:
        """
        No more checks (until L{start}).
        """
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def check(self) -> None:
        """
        Drop what a month of use retired, switch to a certificate that has
        become valid, start a renewal if one is due, and time the next
        check.
        """
        try:
            self._choice.drop_old()
            if self._choice.switch_due():
                self._switch()
            if self._due():
                self._renew()
        except Exception:
            self.log.failure("Checking the charge point certificate failed")
        self._schedule()

    def _due(self) -> bool:
        if self._sending:
            return False
        expiry = self._choice.expiry()
        now = self._now()
        if expiry is None or expiry - now > RENEWAL_WINDOW:
            return False
        last = self._store.renewal()
        if last is not None:
            elapsed = now - datetime.fromisoformat(last["at"])
            # (Negative: the central system set the time back; waiting for
            # that moment again could take a long time.)
            if timedelta(0) <= elapsed < RETRY_INTERVAL:
                return False
        if not self._config.get("CpoName"):
            if not self._told_no_cpo_name:
                self._told_no_cpo_name = True
                self.log.warn(
                    "The charge point certificate expires on {expiry}, but CpoName is not set: "
                    "no certificate signing request (A03 needs CpoName)",
                    expiry=expiry.isoformat(),
                )
            return False
        self._told_no_cpo_name = False
        return self._online()

    def _renew(self) -> None:
        expiry = self._choice.expiry()
        self.log.info(
            "The charge point certificate expires on {expiry} (within {days} days): renewing it",
            expiry=expiry.isoformat(), days=RENEWAL_WINDOW.days,
        )
        # Noted before sending: a crash or restart while waiting does not
        # make the charge point send another at once.
        self._store.set_renewal({"at": self._now().isoformat(), "status": "Sent"})
        self._sending = True
        sending = self._sign_certificate()
        sending.addCallbacks(self._answered, self._failed)

    def _answered(self, response: Any) -> None:
        self._sending = False
        status = str(response.status)
        self._note(status)
        if status == "Accepted":
            self.log.info("SignCertificate Accepted: waiting for the CertificateSigned.req")
        else:
            self.log.warn(
                "SignCertificate {status}: the renewal is tried again in {hours} hours at the "
                "earliest", status=status, hours=int(RETRY_INTERVAL.total_seconds() // 3600),
            )

    def _failed(self, failure: Any) -> None:
        self._sending = False
        if failure.check(NotConnected, NotAccepted):
            # Never sent: tried again once online.
            self._store.set_renewal(None)
            self.log.info("Renewal postponed: {error}", error=failure.getErrorMessage())
            return
        self._note("NoAnswer" if failure.check(CallTimeout) else "Failed")
        self.log.warn(
            "SignCertificate failed ({error}): the renewal is tried again in {hours} hours at the "
            "earliest", error=failure.getErrorMessage(),
            hours=int(RETRY_INTERVAL.total_seconds() // 3600),
        )

    def _note(self, status: str) -> None:
        last = self._store.renewal()
        if last is not None:
            self._store.set_renewal({**last, "status": status})

    def _schedule(self) -> None:
        self.stop()
        delay = CHECK_INTERVAL.total_seconds()
        now = self._now()
        expiry = self._choice.expiry()
        moments = []
        if expiry is not None:
            moments.append(expiry - RENEWAL_WINDOW)
        last = self._store.renewal()
        if last is not None:
            moments.append(datetime.fromisoformat(last["at"]) + RETRY_INTERVAL)
        for moment in moments:
            wait = (moment - now).total_seconds()
            if wait > 0:
                delay = min(delay, wait)
        self._timer = self._call_later(max(delay, _MINIMUM_WAIT), self.check)
