"""
Security events (Security Whitepaper edition 2, use case A04 and chapter 8):
every event is stored in the security log (A04.FR.04, N01.FR.05), and a
critical one is sent with SecurityEventNotification.req through the
persistent queue of transaction messages (A04.FR.01), so that it is
delivered once the charge point is back online (A04.FR.02: "queued with a
guaranteed delivery").

The stack raises the events it detects itself (startup, reset, time set,
firmware installed, security parameters changed, refused credentials,
certificate and TLS failures, invalid messages); the application raises
those only it can detect (tamper detection, memory exhaustion, replayed
messages) through L{openocpp.chargepoint.interfaces.IChargePoint.security_event}.
"""

from datetime import datetime
from typing import Any, Callable

from twisted.logger import Logger

from openocpp.messages import SecurityEventNotificationRequest

#: The whitepaper's security events (chapter 8) and whether each is
#: critical (pushed to the central system).
CRITICAL: dict[str, bool] = {
    "FirmwareUpdated": True,
    "FailedToAuthenticateAtCentralSystem": False,
    "CentralSystemFailedToAuthenticate": False,
    "SettingSystemTime": True,
    "StartupOfTheDevice": True,
    "ResetOrReboot": True,
    "SecurityLogWasCleared": True,
    "ReconfigurationOfSecurityParameters": False,
    "MemoryExhaustion": True,
    "InvalidMessages": False,
    "AttemptedReplayAttacks": False,
    "TamperDetectionActivated": True,
    "InvalidFirmwareSignature": False,
    "InvalidFirmwareSigningCertificate": False,
    "InvalidCentralSystemCertificate": False,
    "InvalidChargePointCertificate": False,
    "InvalidTLSVersion": False,
    "InvalidTLSCipherSuite": False,
}

#: The longest type and techInfo SecurityEventNotification.req carries.
TYPE_LENGTH = 50
TECH_INFO_LENGTH = 255


class SecurityEvents:
    """
    Records security events and sends the critical ones.

    @param log: the L{openocpp.chargepoint.securitylog.SecurityLog}.
    @param now: returns the charge point's time (an aware datetime).
    @param enqueue: C{enqueue(request)} queues a
        SecurityEventNotification.req persistently and sends it when it can
        (L{openocpp.chargepoint.queue.TransactionQueue.enqueue_request}).
    @param notify: C{notify(name, **kwargs)} tells the plugins
        (C{openocpp_cp_security_event}).
    """

    log = Logger()

    def __init__(
        self,
        log: Any,
        now: Callable[[], datetime],
        enqueue: Callable[[Any], None],
        notify: Callable[..., None],
    ) -> None:
        self._log = log
        self._now = now
        self._enqueue = enqueue
        self._notify = notify

    def raise_event(
        self, kind: str, tech_info: str | None = None, critical: bool | None = None
    ) -> None:
        """
        A security event happened: log it, tell the plugins, and send it to
        the central system when critical.

        @param kind: the event's type: one of L{CRITICAL}'s, or the
            application's own (at most 50 characters).
        @param tech_info: more about it (cut to 255 characters), never a
            secret (A01.FR.12).
        @param critical: whether it is sent to the central system; default:
            the whitepaper's table (an unknown type: not critical).
        @raise ValueError: C{kind} is empty or longer than 50 characters.
        """
        if not isinstance(kind, str) or not kind or len(kind) > TYPE_LENGTH:
            raise ValueError(f"a security event type has 1 to {TYPE_LENGTH} characters: {kind!r}")
        if tech_info is not None:
            tech_info = str(tech_info)[:TECH_INFO_LENGTH]
        if critical is None:
            critical = CRITICAL.get(kind, False)
        when = self._now()
        self.log.info(
            "Security event {kind} ({criticality}){tech_info}",
            kind=kind,
            criticality="critical" if critical else "not critical",
            tech_info=f": {tech_info}" if tech_info else "",
        )
        try:
            self._log.append(when, kind, tech_info, critical)
        except Exception:
            # The log failing (a full disk) must not lose the notification.
            self.log.failure("Cannot store the security event {kind}", kind=kind)
        self._notify(
            "openocpp_cp_security_event",
            kind=kind,
            tech_info=tech_info,
            critical=critical,
            timestamp=when,
        )
        if critical:
            self._enqueue(
                SecurityEventNotificationRequest(type=kind, timestamp=when, tech_info=tech_info)
            )
