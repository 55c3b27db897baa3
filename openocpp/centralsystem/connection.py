"""
The central system's handler of one charge point connection: its RPC
session, its proxy, and the per-connection quotas (the boot timeout, the
MeterValues volume).
"""

from functools import partial
from collections.abc import Iterator, Mapping
from typing import Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from zope.interface import implementer

from openocpp.centralsystem.authorizationkey import AuthorizationKeyAnswers
from openocpp.centralsystem.chargepointcertificates import (
    CERTIFICATE_ACTIONS,
    CertificateAnswers,
    note_presented,
)
from openocpp.centralsystem.chargingprofiles import PROFILE_ACTIONS, ChargingProfileAnswers
from openocpp.centralsystem.proxy import ChargePointProxy
from openocpp.messages.codec import snake_case
from openocpp.messages.core import BootNotificationResponse
from openocpp.messages.enums import RegistrationStatus
from openocpp.messages.errors import ErrorCode
from openocpp.messages.registry import ACTIONS, Role
from openocpp.rpc.errors import CallError
from openocpp.rpc.session import RpcSession
from openocpp.transport.connection import format_peer
from openocpp.transport.interfaces import IConnectionHandler

#: The registration status a charge point is held to while its
#: BootNotification is being answered.
_BOOTING = str(RegistrationStatus.PENDING)

#: The actions a central system answers, with the name of the
#: IChargePointRequestHandler method answering each.
_HANDLED = {
    spec.name: snake_case(spec.name)
    for spec in ACTIONS.values()
    if spec.received_by(Role.CENTRAL_SYSTEM)
}
_BOOT = _HANDLED["BootNotification"]
_METER_VALUES = _HANDLED["MeterValues"]

#: The close code of a connection that broke a quota (RFC 6455 7.4.1).
_CLOSE_POLICY_VIOLATION = 1008
#: The length of the MeterValues volume window, in seconds.
_METER_WINDOW = 60.0


@implementer(IConnectionHandler)
class ChargePointConnection:
    """
    The transport's handler of one charge point connection: its RPC session
    and, once open, its proxy, announced to the central system.

    It also keeps the per-connection quotas: a charge point that never
    booted here must send BootNotification within C{boot_timeout}, and its
    MeterValues may carry at most so many sampled values, per message and
    per minute.

    @param central_system: the
        L{openocpp.centralsystem.service.CentralSystem} it belongs to.
    @param connection: the transport's
        L{openocpp.transport.interfaces.IOcppConnection}.
    """

    log = Logger()

    # One per connection: no instance dictionary.
    __slots__ = (
        "_central_system", "proxy", "_request_handler", "_touch", "_identity", "session",
        "_connection", "_boot_timer", "_per_message", "_per_minute", "_window_start",
        "_window_count", "_window_refused",
    )

    def __init__(self, central_system: Any, connection: Any) -> None:
        self._central_system = central_system
        self.proxy: ChargePointProxy | None = None
        self._request_handler = central_system.request_handler
        self._touch = central_system.store.touch
        self._identity = None
        config = central_system.config
        self.session = RpcSession(
            Role.CENTRAL_SYSTEM,
            self,
            central_system.reactor,
            call_timeout=config.call_timeout,
            log_frames=config.log_frames,
        )
        trace = getattr(central_system, "trace", None)
        if trace is not None:
            self.session.add_observer(trace)
        metrics = getattr(central_system, "metrics", None)
        if metrics is not None:
            self.session.add_observer(metrics.observer())
        self._connection = connection
        self._boot_timer: Any = None
        self._per_message = config.max_meter_values_per_message
        self._per_minute = config.max_meter_values_per_minute
        self._window_start = -_METER_WINDOW
        self._window_count = 0
        self._window_refused = 0

    def get(self, action: str):
        """
        The session's handler of C{action} (this object stands for the
        session's handler mapping: no table of closures per connection).
        """
        method = _HANDLED.get(action)
        if method is None:
            return None
        if method is _BOOT:
            return self._handle_boot
        if method is _METER_VALUES and (self._per_message or self._per_minute):
            return self._meter_values
        return partial(self._handle, method)

    def _handle_boot(self, request: Any) -> Any:
        # Until this boot is answered the charge point is not accepted for
        # it, whatever it was before: the proxy holds it to what a Pending
        # one may be sent (no RemoteStart or RemoteStop, OCPP 1.6 section
        # 4.2). The answer sets its status (_handled); a failed one gives
        # it back the status it had.
        proxy = self.proxy
        before = proxy.registration_status
        proxy.registration_status = _BOOTING

        def restore(failure: Any = None) -> Any:
            if proxy.registration_status == _BOOTING:
                proxy.registration_status = before
            return failure

        try:
            response = self._handle(_BOOT, request)
        except BaseException:
            restore()
            raise
        if isinstance(response, Deferred):
            response.addErrback(restore)
        return response

    def _handle(self, method: str, request: Any) -> Any:
        if self._boot_timer is not None and method is _BOOT:
            # A valid BootNotification, whatever it is answered: Pending and
            # Rejected charge points keep their connection (OCPP 1.6 4.2).
            self._cancel_boot_timer()
        try:
            response = getattr(self._request_handler, method)(self.proxy, request)
        except OverflowError:
            # The schemas set no maximum to an integer, SQLite holds 64
            # bits: a clear answer rather than an InternalError (this
            # central system hands out no such transaction id, and no meter
            # counts such Wh).
            self._central_system.log.warn(
                "{action} from {identity} has a number beyond 64 bits: refused",
                action=request.action,
                identity=self._identity,
            )
            raise CallError(
                ErrorCode.PROPERTY_CONSTRAINT_VIOLATION,
                f"{request.action}: a number is out of range (integers must fit in 64 bits)",
            ) from None
        if isinstance(response, Deferred):
            return response.addCallback(self._handled, request)
        return self._handled(response, request)

    def _handled(self, response: Any, request: Any) -> Any:
        if type(response) is BootNotificationResponse:
            # What the charge point was told, whoever answered: what the
            # proxy may send it depends on it (OCPP 1.6 section 4.2), on
            # this connection and the next ones until it boots again.
            status = str(response.status)
            self.proxy.registration_status = status
            self._central_system.store.note_registration(self._identity, status)
        self._central_system._request_handled(self.proxy, request, response)
        return response

    # -- quotas -------------------------------------------------------------

    def _meter_values(self, request: Any) -> Any:
        """
        Check a MeterValues.req against the volume quotas, then handle it.

        @raise CallError: C{OccurenceConstraintViolation} for a message with
            more sampled values than one may carry, C{GenericError} past the
            per-minute volume; neither is stored.
        """
        count = sum(len(value.sampled_value) for value in request.meter_value)
        identity = self._connection.identity
        if self._per_message and count > self._per_message:
            self.log.warn(
                "Refused MeterValues from {identity}: {count} sampled values, more than "
                "the {limit} one message may carry",
                identity=identity,
                count=count,
                limit=self._per_message,
            )
            raise CallError(
                ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
                f"MeterValues.req carries {count} sampled values; this central system "
                f"takes at most {self._per_message} in one message",
            )
        if self._per_minute:
            now = self._central_system.reactor.seconds()
            if now - self._window_start >= _METER_WINDOW:
                self._window_start = now
                self._window_count = 0
                self._window_refused = 0
            if self._window_count + count > self._per_minute:
                self._window_refused += 1
                if self._window_refused == 1:
                    # One line a window, not one per refused message.
                    self.log.warn(
                        "Refused MeterValues from {identity}: more than {limit} sampled "
                        "values this minute (further refusals this minute are not logged)",
                        identity=identity,
                        limit=self._per_minute,
                    )
                raise CallError(
                    ErrorCode.GENERIC_ERROR,
                    f"More than {self._per_minute} sampled values a minute from this "
                    "charge point: not stored; send them later, or fewer",
                )
            self._window_count += count
        return self._handle(_METER_VALUES, request)

    def _start_boot_timer(self) -> None:
        timeout = self._central_system.config.boot_timeout
        if not timeout:
            return
        # A charge point that booted here before may reconnect without
        # booting again (OCPP 1.6 4.2: BootNotification follows a start-up,
        # not a reconnection), and stay quiet: with WebSocket pings it need
        # not even send heartbeats (4.6).
        if self._central_system.store.registration_status(self._connection.identity) is not None:
            return
        self._boot_timer = self._central_system.reactor.callLater(timeout, self._boot_timed_out, timeout)

    def _cancel_boot_timer(self) -> None:
        timer, self._boot_timer = self._boot_timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def _boot_timed_out(self, timeout: float) -> None:
        self._boot_timer = None
        connection = self._connection
        self.log.warn(
            "Closing the connection of {identity} ({peer}): no BootNotification within "
            "{timeout} seconds of connecting",
            identity=connection.identity,
            peer=format_peer(connection.peer),
            timeout=timeout,
        )
        connection.close(_CLOSE_POLICY_VIOLATION, "no BootNotification")

    # -- IConnectionHandler --------------------------------------------------

    def connection_made(self, connection: Any) -> None:
        self._identity = connection.identity
        self.session.connection_made(connection)
        # (A store without the table, a test's or a plugin's, notes nothing.)
        certificates = getattr(self._central_system.store, "charge_point_certificates", None)
        if certificates is not None and connection.client_certificate is not None:
            note_presented(certificates, connection.identity, connection.client_certificate)
        self.proxy = ChargePointProxy(
            self.session,
            connection,
            registration_status=self._central_system.store.registration_status(connection.identity),
            answer_observers=self._answer_observers(connection.identity, certificates),
        )
        self._start_boot_timer()
        self._central_system._attach(self.proxy)

    def _answer_observers(self, identity: str, certificates: Any) -> "_AnswerObserver":
        """
        What the central system keeps of the answers to its own calls, by
        action (see L{ChargePointProxy}): one L{_AnswerObserver} for them
        all, which is its own mapping of the actions it observes.
        """
        actions = _OBSERVED if certificates is None else _OBSERVED_WITH_CERTIFICATES
        return _AnswerObserver(self._central_system.store, certificates, identity, actions)

    def text_received(self, text: str) -> None:
        # Any message is a sign of life ("last seen"); noted in memory, so
        # this costs no SQL statement per message.
        self._touch(self._identity)
        self.session.text_received(text)

    def connection_lost(self, reason: Any) -> None:
        self._cancel_boot_timer()
        self.session.connection_lost(reason)
        if self.proxy is not None:
            self._central_system._detach(self.proxy)


#: The actions whose answers L{_AnswerObserver} keeps something of, without
#: and with a store of charge point certificates.
_OBSERVED = (*sorted(PROFILE_ACTIONS), "ChangeConfiguration")
_OBSERVED_WITH_CERTIFICATES = _OBSERVED + tuple(sorted(CERTIFICATE_ACTIONS))


class _AnswerObserver(Mapping):
    """
    What the central system keeps of the answers one charge point gives to
    its calls: the answer passes through the
    L{ChargingProfileAnswers}, L{AuthorizationKeyAnswers} or
    L{CertificateAnswers} of its action, made for it (they keep nothing
    between answers), rather than three of them made for each connection.

    It is also the proxy's mapping of observers by action (itself for each
    action it observes), so that a connection holds no dictionary of them.
    """

    # One per connection: no instance dictionary.
    __slots__ = ("_store", "_certificates", "_identity", "_actions")

    def __init__(self, store: Any, certificates: Any, identity: str, actions: tuple[str, ...]) -> None:
        self._store = store
        self._certificates = certificates
        self._identity = identity
        self._actions = actions

    def __getitem__(self, action: str) -> "_AnswerObserver":
        if action not in self._actions:
            raise KeyError(action)
        return self

    def get(self, action: str, default: Any = None) -> Any:
        # What the proxy asks at each call: without the KeyError.
        return self if action in self._actions else default

    def __iter__(self) -> Iterator[str]:
        return iter(self._actions)

    def __len__(self) -> int:
        return len(self._actions)

    def __call__(self, response: Any, request: Any) -> Any:
        action = request.action
        if action in PROFILE_ACTIONS:
            observer = ChargingProfileAnswers(self._store, self._identity)
        elif action == "ChangeConfiguration":
            observer = AuthorizationKeyAnswers(self._store, self._identity)
        elif action in CERTIFICATE_ACTIONS and self._certificates is not None:
            observer = CertificateAnswers(self._certificates, self._identity)
        else:
            return response
        return observer(response, request)
