"""
ExtendedTriggerMessage (Security Whitepaper edition 2, 5.5 and 5.6; use
cases A02, N01.FR.12): TriggerMessage's messages, and those of the security
extension: LogStatusNotification (the GetLog upload's status, Idle when
none runs) and SignChargePointCertificate (a new key and its CSR, made by
the certificates' C{sign_certificate}; Rejected without one).

The messages TriggerMessage knows are sent as it sends them, by the same
code (the connector checks, the errata's Rejected BootNotification once
accepted, the meter read before Accepted).
"""

from typing import Any, Callable

from twisted.internet.defer import maybeDeferred
from twisted.logger import Logger

from openocpp.messages import ExtendedTriggerMessageResponse, TriggerMessageRequest
from openocpp.messages.enums import (
    MessageTrigger,
    MessageTriggerEnumType,
    TriggerMessageStatusEnumType,
)


class ExtendedTrigger:
    """
    Answers ExtendedTriggerMessage.req.

    @param trigger: C{trigger(request)} answers a TriggerMessage.req (a
        response, or a Deferred of one).
    @param call_later: C{call_later(delay, function)}: the message follows
        the answer.
    @param log_status: sends the LogStatusNotification.req (a Deferred).
    @param sign_certificate: starts a SignCertificate.req (new key, CSR),
        or C{None} when the charge point has no certificates part: Rejected.
    """

    log = Logger()

    def __init__(
        self,
        trigger: Callable[[Any], Any],
        call_later: Callable[..., Any],
        log_status: Callable[[], Any],
        sign_certificate: Callable[[], Any] | None = None,
    ) -> None:
        self._trigger = trigger
        self._call_later = call_later
        self._log_status = log_status
        self.sign_certificate = sign_certificate

    def handlers(self) -> dict:
        """
        @return: the request handlers by action.
        """
        return {"ExtendedTriggerMessage": self.extended_trigger_message}

    def extended_trigger_message(self, request: Any):
        message = MessageTriggerEnumType(request.requested_message)
        if message is MessageTriggerEnumType.LOG_STATUS_NOTIFICATION:
            self._call_later(0, self._log_status)
            return self._answer(TriggerMessageStatusEnumType.ACCEPTED, message)
        if message is MessageTriggerEnumType.SIGN_CHARGE_POINT_CERTIFICATE:
            if self.sign_certificate is None:
                self.log.info("ExtendedTriggerMessage(SignChargePointCertificate) rejected: "
                              "no certificates to sign")
                return self._answer(TriggerMessageStatusEnumType.REJECTED, message)
            self._call_later(0, self.sign_certificate)
            return self._answer(TriggerMessageStatusEnumType.ACCEPTED, message)
        trigger = TriggerMessageRequest(
            requested_message=MessageTrigger(message.value), connector_id=request.connector_id
        )
        return maybeDeferred(self._trigger, trigger).addCallback(
            lambda answer: ExtendedTriggerMessageResponse(
                status=TriggerMessageStatusEnumType(answer.status.value)
            )
        )

    def _answer(self, status: TriggerMessageStatusEnumType, message: Any):
        self.log.info(
            "ExtendedTriggerMessage({message}) {status}", message=message.value, status=status.value
        )
        return ExtendedTriggerMessageResponse(status=status)
