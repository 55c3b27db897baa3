"""
The charge point's answers to the central system's requests (OCPP 1.6
chapter 5): Core and Remote Trigger profiles.

While the central system has Rejected the charge point, no request is
answered (section 4.2): the service turns its RPC session's C{answer_calls}
off, so that not even unknown actions, actions a charge point does not
receive or malformed requests get a CALLERROR; an answer still being worked
out when the charge point is Rejected is dropped. While it is Pending, the
central system "MAY send request messages to retrieve information from the
Charge Point or change its configuration. The Charge Point SHOULD respond":
every request is answered, RemoteStartTransaction and RemoteStopTransaction
("not allowed") with Rejected.

The feature profiles' collaborators answer their own requests (local list
management: L{openocpp.chargepoint.locallist}; Smart Charging:
L{openocpp.chargepoint.smartcharging}; ...). Other actions not handled here
or by them are answered with a CALLERROR NotSupported.
"""

from typing import Any, Callable

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.logger import Logger

from openocpp.chargepoint.ocppconfig import configuration_keys
from openocpp.messages import (
    ChangeAvailabilityResponse,
    ChangeConfigurationResponse,
    ClearCacheResponse,
    DataTransferResponse,
    DiagnosticsStatusNotificationRequest,
    FirmwareStatusNotificationRequest,
    GetConfigurationResponse,
    RemoteStartTransactionResponse,
    RemoteStopTransactionResponse,
    ResetResponse,
    TriggerMessageResponse,
    UnlockConnectorResponse,
)
from openocpp.messages.datatypes import KeyValue
from openocpp.messages.enums import (
    AvailabilityStatus,
    AvailabilityType,
    ClearCacheStatus,
    ConfigurationStatus,
    DataTransferStatus,
    DiagnosticsStatus,
    FirmwareStatus,
    MessageTrigger,
    Reason,
    RegistrationStatus,
    RemoteStartStopStatus,
    ResetStatus,
    ResetType,
    TriggerMessageStatus,
    UnlockStatus,
)
from openocpp.messages.errors import ErrorCode
from openocpp.messages.registry import ACTIONS, Role
from openocpp.rpc.errors import CallError


#: The operations L{CentralSystemRequests} carries accepted requests out with.
_OPERATIONS = (
    "change_availability",
    "configuration_problem",
    "configuration_changed",
    "remote_start",
    "stop_by_charge_point",
    "perform_reset",
    "boot",
    "heartbeat",
)


class CentralSystemRequests:
    """
    Answers the central system's requests.

    Built with what the answers need, never the charge point itself:

    @param connectors: the L{openocpp.chargepoint.connectors.Connectors}.
    @param ocpp_config: the L{openocpp.chargepoint.interfaces.IOcppConfig}.
    @param clock: the C{twisted.internet.interfaces.IReactorTime}.
    @param hook: C{hook(name, **kwargs)} asks the plugins; returns a
        Deferred of the answer.
    @param call_later: C{call_later(delay, function, *args)}: a timer the
        service cancels when it stops (what an answer triggers runs after
        the answer is sent).
    @param send: C{send(request, triggered=False)} sends a request to the
        central system.
    @param registration: returns the L{RegistrationStatus} of the last
        BootNotification.conf, or C{None}.
    @param queue: the L{openocpp.chargepoint.queue.TransactionQueue} (held
        while an unlock is answered).
    @param authorizer: the L{openocpp.chargepoint.authorization.Authorizer}
        (ClearCache).
    @param status: the L{openocpp.chargepoint.status.StatusReporter}
        (triggered StatusNotifications).
    @param metering: the L{openocpp.chargepoint.metering.Metering}
        (triggered MeterValues).
    @param features: the feature profiles' own collaborators (local list,
        reservations, firmware, smart charging, ...): each has a
        C{handlers()} giving its request handlers by action, which replace
        the ones here, and may have a C{triggers()} giving, by
        L{MessageTrigger}, what sends the message a TriggerMessage asks for
        (it replaces the default here).
    @param charging_profile_problem: C{charging_profile_problem(connector,
        profile)}: what stops a RemoteStartTransaction.req's charging
        profile from being used (C{None}: nothing); without it (no smart
        charging) the profile is ignored, as 5.11 asks.
    @param operations: what carries out accepted requests, by name:
        C{change_availability(connector, kind)} (returns the
        L{AvailabilityStatus}), C{configuration_problem(key, value)},
        C{configuration_changed(key, value)}, C{remote_start(connector,
        id_tag, charging_profile)}, C{stop_by_charge_point(connector,
        reason)}, C{perform_reset(kind)}, C{boot()} and
        C{heartbeat(triggered)}.
    """

    log = Logger()

    def __init__(
        self,
        connectors: Any,
        ocpp_config: Any,
        clock: Any,
        hook: Callable[..., Deferred],
        call_later: Callable[..., Any],
        send: Callable[..., Deferred],
        registration: Callable[[], Any],
        queue: Any,
        authorizer: Any,
        status: Any,
        metering: Any,
        operations: dict[str, Callable[..., Any]],
        features: Any = (),
        charging_profile_problem: Callable[[int, Any], str | None] | None = None,
    ) -> None:
        self._connectors = connectors
        self._config = ocpp_config
        self._clock = clock
        self._hook = hook
        self._call_later = call_later
        self._send = send
        self._registration = registration
        self._queue = queue
        self._authorizer = authorizer
        self._status = status
        self._metering = metering
        missing = set(_OPERATIONS) - set(operations)
        if missing:
            raise TypeError(f"operations missing: {', '.join(sorted(missing))}")
        self._operations = dict(operations)
        self._features = list(features)
        self._charging_profile_problem = charging_profile_problem

    def handlers(self) -> dict:
        """
        @return: the request handlers by action, for the RPC session: every
            action a charge point receives, those not supported here
            answered NotSupported.
        """
        handlers = {
            action: self._guard(self._not_supported)
            for action, spec in ACTIONS.items()
            if spec.received_by(Role.CHARGE_POINT)
        }
        handlers.update(
            (action, self._guard(method))
            for action, method in (
                ("ChangeAvailability", self.change_availability),
                ("ChangeConfiguration", self.change_configuration),
                ("ClearCache", self.clear_cache),
                ("DataTransfer", self.data_transfer),
                ("GetConfiguration", self.get_configuration),
                ("RemoteStartTransaction", self.remote_start_transaction),
                ("RemoteStopTransaction", self.remote_stop_transaction),
                ("Reset", self.reset),
                ("TriggerMessage", self.trigger_message),
                ("UnlockConnector", self.unlock_connector),
            )
        )
        for feature in self._features:
            handlers.update(
                (action, self._guard(method)) for action, method in feature.handlers().items()
            )
        return handlers

    def _not_supported(self, request):
        raise CallError(ErrorCode.NOT_SUPPORTED, f"{request.action} is not supported")

    def _guard(self, method):
        def handle(request):
            result = method(request)
            if isinstance(result, Deferred):
                # The charge point may have been Rejected meanwhile (a new
                # boot answered while a hook worked out the answer).
                result.addCallback(self._unless_rejected, request.action)
            return result

        return handle

    def _unless_rejected(self, response, action):
        if self._registration() is RegistrationStatus.REJECTED:
            # "While Rejected, the Charge Point SHALL NOT respond to any
            # Central System initiated message."
            self.log.info(
                "Not answering {action}: the central system rejected us", action=action
            )
            return Deferred()
        return response

    # -- availability -------------------------------------------------------------

    @inlineCallbacks
    def change_availability(self, request):
        connector = request.connector_id
        operative = request.type == AvailabilityType.OPERATIVE
        if not 0 <= connector <= self._connectors.count:
            return ChangeAvailabilityResponse(status=AvailabilityStatus.REJECTED)
        allowed = yield self._hook(
            "openocpp_cp_change_availability", connector=connector, operative=operative
        )
        if allowed is False:
            return ChangeAvailabilityResponse(status=AvailabilityStatus.REJECTED)
        status = self._operations["change_availability"](connector, AvailabilityType(request.type))
        return ChangeAvailabilityResponse(status=status)

    # -- configuration --------------------------------------------------------------

    @inlineCallbacks
    def change_configuration(self, request):
        key, value = request.key, request.value
        definition = self._config.definition(key)
        if definition is not None:
            key = definition.name  # the key's own name, asked in any case
        status, problem = self._config.validate(key, value)
        if status in (ConfigurationStatus.ACCEPTED, ConfigurationStatus.REBOOT_REQUIRED):
            problem = self._operations["configuration_problem"](key, value)
            if problem is None:
                allowed = yield self._hook(
                    "openocpp_cp_validate_configuration", key=key, value=value
                )
                if allowed is False:
                    problem = "refused by a plugin"
            if problem is not None:
                status = ConfigurationStatus.REJECTED
        if status in (ConfigurationStatus.ACCEPTED, ConfigurationStatus.REBOOT_REQUIRED):
            status = self._config.change(key, value)
            shown = "(hidden)" if self._config.definition(key).write_only else value
            self.log.info(
                "Configuration key {key} set to {value} ({status})",
                key=key,
                value=shown,
                status=status.value,
            )
            self._call_later(0, self._operations["configuration_changed"], key, value)
        else:
            self.log.info(
                "ChangeConfiguration of {key} answered {status}: {problem}",
                key=key,
                status=status.value,
                problem=problem,
            )
        return ChangeConfigurationResponse(status=status)

    def get_configuration(self, request):
        keys = request.key or None
        limit = self._config.integer("GetConfigurationMaxKeys")
        if keys is not None and len(keys) > limit:
            raise CallError(
                ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
                f"at most {limit} keys per GetConfiguration (GetConfigurationMaxKeys)",
            )
        known, unknown = configuration_keys(self._config, keys)
        return GetConfigurationResponse(
            configuration_key=[
                KeyValue(key=name, readonly=readonly, value=value)
                for name, readonly, value in known
            ]
            or None,
            unknown_key=unknown or None,
        )

    # -- cache ----------------------------------------------------------------------

    def clear_cache(self, request):
        self._authorizer.clear_cache()
        self.log.info("Authorization Cache cleared")
        return ClearCacheResponse(status=ClearCacheStatus.ACCEPTED)

    # -- data transfer ------------------------------------------------------------------

    @inlineCallbacks
    def data_transfer(self, request):
        answer = yield self._hook(
            "openocpp_cp_data_transfer",
            vendor_id=request.vendor_id,
            message_id=request.message_id,
            data=request.data,
        )
        if isinstance(answer, DataTransferResponse):
            return answer
        if answer is None:
            return DataTransferResponse(status=DataTransferStatus.UNKNOWN_VENDOR_ID)
        if isinstance(answer, tuple):
            status, data = answer
            return DataTransferResponse(status=DataTransferStatus(status), data=data)
        return DataTransferResponse(status=DataTransferStatus(answer))

    # -- transactions ---------------------------------------------------------------------

    @inlineCallbacks
    def remote_start_transaction(self, request):
        rejected = RemoteStartTransactionResponse(status=RemoteStartStopStatus.REJECTED)
        if self._registration() is not RegistrationStatus.ACCEPTED:
            return rejected
        connector = request.connector_id
        if connector is None:
            connector = self._connectors.free(request.id_tag)
            if connector is None:
                return rejected
        if not self._connectors.is_outlet(connector) or not self._connectors.startable(
            connector, request.id_tag
        ):
            return rejected
        profile = request.charging_profile
        if profile is not None and self._charging_profile_problem is not None:
            problem = self._charging_profile_problem(connector, profile)
            if problem is not None:
                self.log.info(
                    "Remote start for {id_tag} rejected: {problem}",
                    id_tag=request.id_tag,
                    problem=problem,
                )
                return rejected
        allowed = yield self._hook(
            "openocpp_cp_remote_start",
            connector=connector,
            id_tag=request.id_tag,
            charging_profile=request.charging_profile,
        )
        if allowed is False:
            return rejected
        self.log.info(
            "Remote start for {id_tag} on connector {connector} accepted",
            id_tag=request.id_tag,
            connector=connector,
        )
        self._call_later(
            0, self._operations["remote_start"], connector, request.id_tag, request.charging_profile
        )
        return RemoteStartTransactionResponse(status=RemoteStartStopStatus.ACCEPTED)

    @inlineCallbacks
    def remote_stop_transaction(self, request):
        rejected = RemoteStopTransactionResponse(status=RemoteStartStopStatus.REJECTED)
        if self._registration() is not RegistrationStatus.ACCEPTED:
            return rejected
        connector = self._connectors.connector_of(request.transaction_id)
        if connector is None:
            return rejected
        allowed = yield self._hook(
            "openocpp_cp_remote_stop", connector=connector, transaction_id=request.transaction_id
        )
        if allowed is False:
            return rejected
        self._call_later(0, self._operations["stop_by_charge_point"], connector, Reason.REMOTE)
        return RemoteStopTransactionResponse(status=RemoteStartStopStatus.ACCEPTED)

    # -- reset and unlock ---------------------------------------------------------------

    @inlineCallbacks
    def reset(self, request):
        kind = ResetType(request.type)
        allowed = yield self._hook("openocpp_cp_reset_allowed", type=kind)
        if allowed is False:
            return ResetResponse(status=ResetStatus.REJECTED)
        self.log.info("{type} reset accepted", type=kind.value)
        self._call_later(0, self._operations["perform_reset"], kind)
        return ResetResponse(status=ResetStatus.ACCEPTED)

    @inlineCallbacks
    def unlock_connector(self, request):
        connector = request.connector_id
        if not self._connectors.is_outlet(connector):
            # errata 3.85: an unknown connector is NotSupported
            return UnlockConnectorResponse(status=UnlockStatus.NOT_SUPPORTED)
        # One order, whatever the queue is doing: the transaction is
        # finished first (section 5.18: stopped, its StopTransaction.req
        # queued, the energy stopped), the connector unlocked, the
        # UnlockConnector.conf sent; then the StopTransaction.req goes out,
        # then the statuses that follow the stop (Finishing, ...). The queue
        # is held until the answer is sent, so that an idle queue does not
        # send the StopTransaction.req ahead of it; at most MessageTimeout,
        # should the unlock hook never answer.
        release = _Release(self._queue, self._clock, self._config.integer("MessageTimeout"))
        try:
            if self._connectors.transaction(connector) is not None:
                yield self._operations["stop_by_charge_point"](connector, Reason.UNLOCK_COMMAND)
            status = yield self._hook("openocpp_cp_unlock_connector", connector=connector)
        except Exception:
            release()
            raise
        # Released once the answer is out: the session sends it as this
        # handler returns, before the reactor runs what is due.
        self._call_later(0, release)
        return UnlockConnectorResponse(
            status=UnlockStatus(status) if status is not None else UnlockStatus.NOT_SUPPORTED
        )

    # -- trigger ------------------------------------------------------------------------

    def trigger_message(self, request):
        connector = request.connector_id
        accepted = TriggerMessageResponse(status=TriggerMessageStatus.ACCEPTED)
        rejected = TriggerMessageResponse(status=TriggerMessageStatus.REJECTED)
        message = MessageTrigger(request.requested_message)
        if self._registration() is None and message is not MessageTrigger.BOOT_NOTIFICATION:
            # Nothing but the boot may be sent before its answer (4.2).
            return rejected
        if message in (MessageTrigger.STATUS_NOTIFICATION, MessageTrigger.METER_VALUES):
            if connector is not None and not 0 <= connector <= self._connectors.count:
                return rejected
        # Other messages concern no connector: the connectorId is ignored
        # and the message still sent (section 5.17).
        later = self._call_later
        for feature in self._features:
            send = getattr(feature, "triggers", dict)().get(message)
            if send is not None:
                later(0, send)
                self.log.info("Triggered {message}", message=message.value)
                return accepted
        if message is MessageTrigger.BOOT_NOTIFICATION:
            if self._registration() is RegistrationStatus.ACCEPTED:
                # errata 3.35: rejected once accepted
                return rejected
            later(0, self._operations["boot"])
        elif message is MessageTrigger.HEARTBEAT:
            later(0, self._operations["heartbeat"], True)
        elif message is MessageTrigger.STATUS_NOTIFICATION:
            later(0, self._status.trigger, connector)
        elif message is MessageTrigger.METER_VALUES:
            return self._trigger_meter_values(connector, accepted, rejected)
        elif message is MessageTrigger.DIAGNOSTICS_STATUS_NOTIFICATION:
            later(0, self._notify_status, "openocpp_cp_diagnostics_status",
                  DiagnosticsStatusNotificationRequest, DiagnosticsStatus, DiagnosticsStatus.IDLE)
        elif message is MessageTrigger.FIRMWARE_STATUS_NOTIFICATION:
            later(0, self._notify_status, "openocpp_cp_firmware_status",
                  FirmwareStatusNotificationRequest, FirmwareStatus, FirmwareStatus.IDLE)
        else:
            return TriggerMessageResponse(status=TriggerMessageStatus.NOT_IMPLEMENTED)
        self.log.info("Triggered {message}", message=message.value)
        return accepted

    @inlineCallbacks
    def _trigger_meter_values(self, connector, accepted, rejected):
        # Read before answering: Accepted promises a MeterValues.req
        # (section 5.17), so a meter that gives no value is Rejected.
        readings = yield self._metering.trigger_readings(connector)
        if not readings:
            self.log.info(
                "TriggerMessage(MeterValues) rejected: the meter gave no value for "
                "connector {connector}",
                connector="any" if connector is None else connector,
            )
            return rejected
        self._call_later(0, self._metering.send_triggered, readings)
        self.log.info("Triggered {message}", message=MessageTrigger.METER_VALUES.value)
        return accepted

    @inlineCallbacks
    def _notify_status(self, hook, request_class, status_class, default):
        status = yield self._hook(hook)
        request = request_class(status=status_class(status) if status is not None else default)
        try:
            yield self._send(request, triggered=True)
        except Exception as error:
            self.log.info(
                "Triggered {action} not sent: {error}", action=request.action, error=error
            )


class _Release:
    """
    Holds a transaction queue until called, or until
    C{limit} seconds passed; only the first of the two releases it.
    """

    def __init__(self, queue: Any, clock: Any, limit: float) -> None:
        self._queue = queue
        self._queue.hold()
        self._timer = clock.callLater(limit, self)

    def __call__(self) -> None:
        if self._queue is None:
            return
        queue, self._queue = self._queue, None
        if self._timer.active():
            self._timer.cancel()
        queue.release()
