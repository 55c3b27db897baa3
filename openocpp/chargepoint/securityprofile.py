"""
The charge point's Security Profile (Security Whitepaper edition 2, 2.2 and
use case A05): what a new SecurityProfile needs before it is accepted
(A05.FR.01 to A05.FR.05), and the fallback to the previous profile when the
charge point cannot connect with the new one (A05.FR.08); the same bounded
attempts (L{Fallback}) take the previous charge point certificate back when
the central system refuses a new one at the TLS layer (A02.FR.10/A03.FR.10,
L{client_certificate_refused}).

Connection failures that are security events are recognised here too: the
central system refusing the credentials (FailedToAuthenticateAtCentralSystem),
its certificate failing verification (InvalidCentralSystemCertificate,
A00.FR.309/413), a TLS version or cipher suite refused by the client's
settings (InvalidTLSVersion A00.FR.315/419, InvalidTLSCipherSuite
A00.FR.322/426).  Each is raised once per streak of failed attempts
(L{FailureStreak}), not at every reconnection attempt.
"""

from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

from twisted.internet.defer import CancelledError
from twisted.logger import Logger

from openocpp.transport.errors import HandshakeFailed

#: Connection attempts with a new SecurityProfile before the charge point
#: falls back to the previous one (A05.FR.08: "unable to connect").
PROFILE_ATTEMPTS = 3


def profile_problem(
    profile: int,
    current: int,
    has_authorization_key: bool,
    has_central_system_root: bool,
    has_client_certificate: bool,
) -> str | None:
    """
    What stops the charge point from taking a new SecurityProfile.

    @param profile: the new value.
    @param current: the value in use.
    @param has_authorization_key: whether AuthorizationKey holds a valid
        password.
    @param has_central_system_root: whether a CentralSystemRootCertificate
        (CA certificates to verify the central system with) is installed.
    @param has_client_certificate: whether a ChargePointCertificate is
        installed.
    @return: why it is Rejected, or C{None}.
    """
    if profile <= current:
        return "A05.FR.01: a security profile may only be raised"
    if profile in (1, 2) and not has_authorization_key:
        return "A05.FR.02: no AuthorizationKey for HTTP Basic authentication"
    if profile in (2, 3) and not has_central_system_root:
        return "A05.FR.03: no CentralSystemRootCertificate installed"
    if profile == 3 and not has_client_certificate:
        return "A05.FR.04: no ChargePointCertificate installed"
    return None


def profile_url(url: str, tls_url: str | None, profile: int) -> str:
    """
    The URL the charge point connects to with a SecurityProfile.

    Profiles 0 and 1 need C{ws://}, 2 and 3 C{wss://} (OCPP-J 1.6 and the
    whitepaper's 2.2); the central system raising the profile from 1 to 2
    (use case A05) would otherwise leave a charge point configured with a
    C{ws://} URL unable to take it.  So: the configured URL when its scheme
    fits the profile; else, for profiles 2 and 3, C{tls_url} (the central
    system's TLS endpoint) when configured; else the configured URL with its
    scheme switched (C{ws://} and C{wss://}), host, port and path kept.

    @param url: the configured URL (C{ChargePointConfig.url}).
    @param tls_url: the configured C{wss://} URL for profiles 2 and 3, or
        C{None}.
    @param profile: the SecurityProfile (0 to 3).
    @return: the URL, without the identity.
    """
    parts = urlsplit(url)
    wanted = "wss" if profile >= 2 else "ws"
    if parts.scheme.lower() == wanted:
        return url
    if wanted == "wss" and tls_url:
        return tls_url
    return urlunsplit((wanted,) + tuple(parts[1:]))


def failure_event(failure: Any) -> tuple[str, str] | None:
    """
    The security event a failed connection attempt is, if any.

    @param failure: the attempt's C{Failure}.
    @return: C{(type, techInfo)}, or C{None}.
    """
    error = failure.value
    if isinstance(error, HandshakeFailed):
        if getattr(error, "event", None) is not None:
            return error.event, error.reason[:255]
        if error.status in (401, 403):
            return "FailedToAuthenticateAtCentralSystem", f"HTTP {error.status}"
        return None
    from service_identity.exceptions import CertificateError, VerificationError

    if isinstance(error, (VerificationError, CertificateError)):
        # A00.FR.308/412: a certificate of the trusted root that does not
        # name the host of the URL is not a valid certificate of this central
        # system (A00.FR.309/413). service_identity's errors carry no "SSL".
        return "InvalidCentralSystemCertificate", (
            f"the certificate does not name the central system: {error!r}"
        )[:255]
    text = _ssl_text(error).lower()
    if not text:
        return None
    if "wrong version number" in text or "packet length too long" in text:
        # What OpenSSL makes of a plain HTTP answer to its ClientHello: no
        # TLS at that address (a ws:// server), not an old TLS version.
        return None
    if "certificate verify failed" in text or "certificate_verify_failed" in text or (
        "verification" in text and "certificate" in text
    ):
        return "InvalidCentralSystemCertificate", text[:255]
    if "version" in text or "protocol" in text:
        return "InvalidTLSVersion", text[:255]
    if "cipher" in text or "handshake failure" in text:
        return "InvalidTLSCipherSuite", text[:255]
    return None


def client_certificate_refused(failure: Any) -> bool:
    """
    Whether a failed attempt is the central system refusing the charge
    point's certificate: a TLS alert about it (unknown CA, bad, expired,
    revoked, unknown certificate, access denied) from the server, not the
    charge point's own verification of the server's certificate.
    """
    text = _ssl_text(failure.value).lower()
    if "alert" not in text:
        return False
    return any(word in text for word in ("certificate", "unknown ca", "access denied"))


def _ssl_text(error: Any) -> str:
    # pyOpenSSL's errors name the TLS alert; Twisted may wrap them in a
    # connection error whose text does.
    from OpenSSL import SSL

    text = str(error)
    if isinstance(error, SSL.Error) or "SSL" in text or "TLS" in text:
        return text
    return ""


class FailureStreak:
    """
    The security events of a streak of failed connection attempts: each
    type is raised once in a streak (a charge point offline for a day would
    otherwise fill its security log, and its queue to the central system,
    with one event per reconnection attempt); a connection ends the streak.

    @param security_event: C{security_event(kind, tech_info)}.
    """

    log = Logger()

    def __init__(self, security_event: Callable[..., None]) -> None:
        self._security_event = security_event
        self._raised: dict[str, int] = {}

    def failed(self, kind: str, tech_info: str) -> bool:
        """
        An attempt failed with a security event.

        @return: whether it was raised (the first of its type in the streak).
        """
        repeats = self._raised.get(kind)
        if repeats is not None:
            self._raised[kind] = repeats + 1
            self.log.debug("Security event {kind} again (seen {count} times in this failure "
                           "streak): not raised again", kind=kind, count=repeats + 2)
            return False
        self._raised[kind] = 0
        self._security_event(kind, tech_info)
        return True

    def connected(self) -> None:
        """
        An attempt succeeded: the next failure starts a new streak.
        """
        self._raised.clear()


class Fallback:
    """
    What a L{ProfileWatch} falls back on once C{attempts} attempts in a row
    failed in a way that C{counts}.

    @param fall_back: C{fall_back(reason)}.
    @param attempts: failed attempts in a row before falling back.
    @param counts: C{counts(failure)}: whether a failure counts (any, by
        default).
    """

    def __init__(
        self,
        fall_back: Callable[[str], None],
        attempts: int,
        counts: Callable[[Any], bool] = lambda failure: True,
    ) -> None:
        self.fall_back = fall_back
        self.attempts = attempts
        self.counts = counts
        self.failures = 0

    def failed(self, failure: Any) -> bool:
        """
        Count a failed attempt.

        @return: whether it is time to fall back.
        """
        if self.counts(failure):
            self.failures += 1
        else:
            self.failures = 0
        return self.failures >= self.attempts


class ProfileWatch:
    """
    Watches the connection attempts of one connection service: the security
    events of its failures, and, after a SecurityProfile change, the
    fallback to the previous profile when C{attempts} attempts in a row
    fail; with C{certificate_fallback}, the fallback to the previous charge
    point certificate when C{attempts} attempts in a row are refused for
    the certificate (L{client_certificate_refused}).

    @param service: the L{openocpp.transport.client.ClientConnectionService}.
    @param security_event: C{security_event(kind, tech_info)}.
    @param fall_back: C{fall_back(previous, reason)} restores the previous
        profile and reconnects.
    @param previous: the profile to fall back to, or C{None}: no fallback
        (the profile is the one already proven or configured).
    @param profile: the profile the service connects with.
    @param attempts: failed attempts in a row before falling back.
    @param streak: the L{FailureStreak} the events go through (shared by
        the watches of the services that replace one another); default: one
        of its own around C{security_event}.
    @param certificate_fallback: C{certificate_fallback(reason)} takes the
        previous charge point certificate back and reconnects, or C{None}:
        the certificate in use has no fallback.
    """

    log = Logger()

    def __init__(
        self,
        service: Any,
        security_event: Callable[..., None],
        fall_back: Callable[[int, str], None],
        previous: int | None,
        profile: int,
        attempts: int = PROFILE_ATTEMPTS,
        streak: FailureStreak | None = None,
        certificate_fallback: Callable[[str], None] | None = None,
    ) -> None:
        self._service = service
        self._streak = FailureStreak(security_event) if streak is None else streak
        self._fall_back = fall_back
        self._previous = previous
        self._profile = profile
        self._fallbacks: list[Fallback] = []
        if previous is not None:
            self._fallbacks.append(Fallback(self._profile_fallback, attempts))
        if certificate_fallback is not None:
            self._fallbacks.append(
                Fallback(certificate_fallback, attempts, counts=client_certificate_refused)
            )
        self._waiting = None
        self.stopped = False

    @property
    def previous(self) -> int | None:
        """
        The profile to fall back to while the new one has not connected
        yet, else C{None}.
        """
        return self._previous

    def start(self) -> None:
        """
        Wait for the next attempt's outcome.
        """
        if self.stopped:
            return
        waiting = self._waiting = self._service.whenConnected(failAfterFailures=1)
        waiting.addCallbacks(self._connected, self._failed)

    def stop(self) -> None:
        """
        The service is replaced or stopped: nothing more to watch.
        """
        self.stopped = True
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            waiting.cancel()

    def _connected(self, connection: Any) -> None:
        self._waiting = None
        self._streak.connected()
        if self._previous is not None:
            self.log.info(
                "Connected with security profile {profile}", profile=self._profile
            )
            self._previous = None
        # What connected needs no fallback any more.
        self._fallbacks = []
        # Watched again once this connection is lost (see disconnected).

    def disconnected(self) -> None:
        """
        The connection was lost: watch the reconnection attempts.
        """
        if not self.stopped and self._waiting is None:
            self.start()

    def _failed(self, failure: Any) -> None:
        self._waiting = None
        if self.stopped or failure.check(CancelledError):
            return
        event = failure_event(failure)
        if event is not None:
            self._streak.failed(*event)
        for fallback in self._fallbacks:
            if fallback.failed(failure):
                reason = (
                    f"{fallback.failures} connection attempts failed "
                    f"({failure.getErrorMessage()[:120]})"
                )
                self._fallbacks = []
                self.stopped = True
                fallback.fall_back(reason)
                return
        self.start()

    def _profile_fallback(self, reason: str) -> None:
        previous, self._previous = self._previous, None
        self._fall_back(previous, f"security profile {self._profile}: {reason}")
