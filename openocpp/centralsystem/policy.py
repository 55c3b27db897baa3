"""
What OCPP 1.6 forbids a central system to send a charge point: checked by
L{openocpp.centralsystem.proxy.ChargePointProxy} before every request goes
out, so the API, the console and plugins are all held to it.

  - To a charge point whose last BootNotification was answered
    C{Rejected}: nothing (section 4.2: "While Rejected, the Charge Point
    SHALL NOT respond to any Central System initiated message. the Central
    System SHOULD NOT initiate any.").
  - To a C{Pending} one: no RemoteStartTransaction and no
    RemoteStopTransaction (section 4.2); anything else, to retrieve or set
    what it needs before accepting it.
  - To an C{Accepted} one: no TriggerMessage for a BootNotification until
    it sends a BootNotification itself (errata 3.40); the same for
    ExtendedTriggerMessage, the Security Whitepaper's TriggerMessage.
  - Whatever the registration: a RemoteStartTransaction's charging profile
    is a C{TxProfile} without a transaction id (section 5.11, errata 3.41).

A charge point that has not booted here yet has no registration status,
and nothing is refused to it for one.
"""

from typing import Any

from openocpp.messages import core, security
from openocpp.messages.enums import ChargingProfilePurposeType, RegistrationStatus


class CallRefused(Exception):
    """
    A request the central system does not send, because the specification
    forbids it: nothing went out.

    @ivar action: the request's action.
    @ivar reason: why, for people, naming the section.
    """

    def __init__(self, action: str, reason: str) -> None:
        super().__init__(action, reason)
        self.action = action
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.action} not sent: {self.reason}"


class NotAllowedNow(CallRefused):
    """
    A request the charge point's registration status forbids (it may be
    sent once that changes).

    @ivar registration_status: the status of the last BootNotification.conf
        sent to the charge point.
    """

    def __init__(self, action: str, reason: str, registration_status: str) -> None:
        super().__init__(action, reason)
        self.registration_status = registration_status


class ForbiddenRequest(CallRefused):
    """
    A request whose content the specification forbids, whatever the charge
    point's state.
    """


_FORBIDDEN_WHILE_PENDING = frozenset({"RemoteStartTransaction", "RemoteStopTransaction"})
_TRIGGERS = (core.TriggerMessageRequest, security.ExtendedTriggerMessageRequest)


def refusal(request: Any, registration_status: str | None) -> CallRefused | None:
    """
    Why C{request} may not be sent to a charge point, if it may not.

    @param request: a typed request of an action a central system sends.
    @param registration_status: the status of the last BootNotification.conf
        sent to the charge point (C{"Accepted"}, C{"Pending"},
        C{"Rejected"}), or C{None} if it never booted here.
    @return: the refusal, or C{None} when the request may be sent.
    """
    action = getattr(request, "action", None)
    if not isinstance(action, str):
        # Not a request at all: the session refuses it, saying so.
        return None
    if registration_status is not None:
        status = str(registration_status)
        if status == RegistrationStatus.REJECTED:
            return NotAllowedNow(
                action,
                "the charge point's registration was rejected, and a rejected charge point "
                "is sent nothing until it boots again (OCPP 1.6 section 4.2)",
                status,
            )
        if status == RegistrationStatus.PENDING and action in _FORBIDDEN_WHILE_PENDING:
            return NotAllowedNow(
                action,
                f"the charge point's registration is pending, and {action} is not allowed "
                "while it is (OCPP 1.6 section 4.2): register it and let it boot again "
                "(TriggerMessage BootNotification) to have it accepted",
                status,
            )
        if (
            status == RegistrationStatus.ACCEPTED
            and isinstance(request, _TRIGGERS)
            and request.requested_message == "BootNotification"
        ):
            return NotAllowedNow(
                action,
                "the charge point was accepted: a BootNotification may not be triggered "
                "until it sends one itself (OCPP 1.6 errata 3.40)",
                status,
            )
    if isinstance(request, core.RemoteStartTransactionRequest):
        profile = request.charging_profile
        if profile is not None:
            if profile.charging_profile_purpose != ChargingProfilePurposeType.TX_PROFILE:
                return ForbiddenRequest(
                    action,
                    "the chargingProfile of a RemoteStartTransaction must have "
                    f"chargingProfilePurpose TxProfile, not {profile.charging_profile_purpose} "
                    "(OCPP 1.6 section 5.11)",
                )
            if profile.transaction_id is not None:
                return ForbiddenRequest(
                    action,
                    "the chargingProfile of a RemoteStartTransaction must not have a "
                    "transactionId: the transaction has not started (OCPP 1.6 errata 3.41)",
                )
    return None
