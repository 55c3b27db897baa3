"""
The central system service: listens for charge points, runs an RPC session
and a proxy per connection, and routes their requests to the request
handler.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from twisted.application.service import MultiService
from twisted.internet.defer import Deferred, DeferredList, fail, succeed
from twisted.internet.interfaces import IReactorThreads
from twisted.logger import Logger
from zope.interface import implementer

from openocpp.centralsystem.behaviour import DefaultCentralSystemBehaviour
from openocpp.centralsystem.credentials import (
    AuthenticationGuard,
    CredentialsPolicy,
    PasswordVerifier,
)
from openocpp.centralsystem.handler import HookEventsHandler, HookRequestHandler
from openocpp.centralsystem.interfaces import (
    ICentralSystem,
    ICentralSystemEventsHandler,
    IChargePointRequestHandler,
)
from openocpp.centralsystem.proxy import ChargePointProxy
from openocpp.centralsystem.store import CentralSystemStore, StorageFailed
from openocpp.listening import ListeningService
from openocpp.messages.codec import snake_case
from openocpp.messages.core import BootNotificationResponse
from openocpp.messages.enums import RegistrationStatus
from openocpp.messages.errors import ErrorCode
from openocpp.messages.registry import ACTIONS, Role
from openocpp.plugins import load_plugin_module, make_plugin_manager, notify
from openocpp.rpc.errors import CallError
from openocpp.rpc.session import RpcSession
from openocpp.transport.connection import DEFAULT_OUTPUT_STALL_TIMEOUT
from openocpp.transport.interfaces import IConnectionHandler
from openocpp.transport.security import server_tls_options
from openocpp.transport.server import OcppServerFactory, server_endpoint

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
class _ChargePointConnection:
    """
    The transport's handler of one charge point connection: its RPC session
    and, once open, its proxy, announced to the central system.

    It also keeps the per-connection quotas: a charge point that never
    booted here must send BootNotification within C{boot_timeout}, and its
    MeterValues may carry at most so many sampled values, per message and
    per minute.
    """

    log = Logger()

    def __init__(self, central_system: "CentralSystem", connection: Any) -> None:
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
        self._connection = connection
        self._boot_timer: Any = None
        self._per_message = getattr(config, "max_meter_values_per_message", 0)
        self._per_minute = getattr(config, "max_meter_values_per_minute", 0)
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
        timeout = getattr(self._central_system.config, "boot_timeout", 0)
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
            peer=connection.peer,
            timeout=timeout,
        )
        connection.close(_CLOSE_POLICY_VIOLATION, "no BootNotification")

    # -- IConnectionHandler --------------------------------------------------

    def connection_made(self, connection: Any) -> None:
        self._identity = connection.identity
        self.session.connection_made(connection)
        self.proxy = ChargePointProxy(
            self.session,
            connection,
            registration_status=self._central_system.store.registration_status(connection.identity),
        )
        self._start_boot_timer()
        self._central_system._attach(self.proxy)

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


@dataclass(frozen=True)
class OperatorChange:
    """
    A change an operator made to what the central system stores, told to
    plugins once committed (the C{openocpp_cs_operator_change} hook).

    @ivar kind: C{"chargePointRegistered"}, C{"chargePointUnregistered"},
        C{"idTagSet"} or C{"idTagRemoved"}.
    @ivar key: the charge point's identity, or the id tag as its record
        spells it (id tags are case-insensitive).
    @ivar created: whether the record did not exist before (a charge point
        registered, an id tag added).
    @ivar record: for id tags, the
        L{openocpp.centralsystem.store.IdTagRecord} now stored (None once
        removed); None for charge points.
    """

    kind: str
    key: str
    created: bool = False
    record: Any = None


class _ServiceStore(CentralSystemStore):
    """
    The store a central system opens for itself: closed when the service
    stops, and opened again, as the same object, when it starts again, so
    that every collaborator holding it (the built-in behaviour, the
    credentials policy, the web API) keeps a working store.
    """

    def __init__(self, *arguments: Any, **options: Any) -> None:
        self._arguments = (arguments, options)
        super().__init__(*arguments, **options)
        self.closed = False

    def close(self) -> None:
        super().close()
        self.closed = True

    def reopen(self) -> None:
        """
        Open the file again (an in-memory database starts empty).
        """
        arguments, options = self._arguments
        CentralSystemStore.__init__(self, *arguments, **options)
        self.closed = False


def _handler(given: Any, interface: Any, plugins: Any, default: Any) -> Any:
    # An implementation of the interface, or a callable making one from
    # the plugin manager (a HookRequestHandler subclass, say).
    if given is None:
        return default(plugins)
    if interface.providedBy(given):
        return given
    return given(plugins)


@implementer(ICentralSystem)
class CentralSystem(MultiService):
    """
    An OCPP 1.6-J central system.

    It builds its store (the SQLite file C{config.database}), opened at
    once (so that it may be filled before the service starts), closed when
    the service stops and opened again when it starts again; the built-in
    behaviour (L{DefaultCentralSystemBehaviour}), whose credentials policy
    hashes passwords in the service's thread pool; and the plugin manager.

    @param config: its L{openocpp.centralsystem.interfaces.ICentralSystemConfig}.
    @param reactor: the reactor (default: the global one); its clock times
        calls and records.
    @param plugins: plugin objects (modules or instances) registered after
        the built-in behaviour, the installed plugins and those the config
        names, so that they override them all.
    @param request_handler: the
        L{openocpp.centralsystem.interfaces.IChargePointRequestHandler}, or
        a callable making one from the plugin manager (e.g. a subclass of
        L{HookRequestHandler}); default: a L{HookRequestHandler}.
    @param events_handler: the
        L{openocpp.centralsystem.interfaces.ICentralSystemEventsHandler},
        or a callable making one from the plugin manager; default: a
        L{HookEventsHandler}.
    @param load_entrypoints: whether the installed plugins (the
        C{openocpp} entry-point group) are loaded; tests turn it off.
    """

    log = Logger()

    def __init__(
        self,
        config: Any,
        reactor: Any = None,
        plugins: list | tuple = (),
        request_handler: Any = None,
        events_handler: Any = None,
        load_entrypoints: bool = True,
    ) -> None:
        super().__init__()
        if not isinstance(plugins, (list, tuple)):
            raise TypeError(
                "plugins is a list of plugin objects (the central system builds its own "
                f"plugin manager), not {type(plugins).__name__}"
            )
        if reactor is None:
            from twisted.internet import reactor
        self.reactor = reactor
        self.config = config
        # Checkpoints of the write-ahead log run in the reactor's threads
        # when it has some, so no commit on the reactor thread waits for
        # one.
        threads = reactor if IReactorThreads.providedBy(reactor) else None
        self.store = _ServiceStore(
            config.database,
            reactor,
            threads=threads,
            wal_size_limit=getattr(config, "wal_size_limit", 64 * 1024 * 1024),
        )
        # Passwords are hashed in a thread pool of their own, started and
        # stopped with the service.
        self.password_verifier = PasswordVerifier(
            reactor,
            threads=config.auth_threads,
            max_pending=config.auth_max_pending,
        )
        credentials = CredentialsPolicy(self.store, config, self.password_verifier)
        self.plugins = make_plugin_manager(
            builtins=[DefaultCentralSystemBehaviour(self.store, config, credentials)],
            plugins=[
                *(load_plugin_module(name) for name in config.plugins),
                *plugins,
            ],
            load_entrypoints=load_entrypoints,
        )
        self.request_handler = _handler(
            request_handler, IChargePointRequestHandler, self.plugins, HookRequestHandler
        )
        self.events_handler = _handler(
            events_handler, ICentralSystemEventsHandler, self.plugins, HookEventsHandler
        )
        # Every decision, a plugin's too, is rate limited.
        self._authenticator = AuthenticationGuard(
            self._check_credentials,
            reactor,
            self.store,
            self.password_verifier,
            per_peer=config.auth_failures_per_peer,
            per_identity=config.auth_failures_per_identity,
            window=config.auth_failure_window,
        )
        self._connected: dict[str, ChargePointProxy] = {}
        self._waiting: dict[str, list[Deferred]] = {}
        self._closed: dict[ChargePointProxy, Deferred] = {}
        self._listener = self._make_listener()
        self._listener.setServiceParent(self)

    # -- IService ---------------------------------------------------------

    def _make_listener(self) -> ListeningService:
        # Built with the service, so a bad endpoint or unreadable TLS files
        # are refused at once, and the port is bound in
        # privilegedStartService (twistd --uid binds below 1024).
        config = self.config
        factory = OcppServerFactory(
            handler_factory=lambda connection: _ChargePointConnection(self, connection),
            authenticator=self._authenticator,
            allow_unicode_identities=config.unicode_identities,
            security_profile=config.security_profile,
            max_message_size=config.max_message_size,
            ping_interval=config.ping_interval,
            reactor=self.reactor,
            max_connections=getattr(config, "max_connections", 0),
            max_connections_per_address=getattr(config, "max_connections_per_address", 0),
            output_stall_timeout=getattr(
                config, "output_stall_timeout", DEFAULT_OUTPUT_STALL_TIMEOUT
            ),
        )
        tls_options = None
        if config.security_profile >= 2 and not config.listen.lower().startswith("ssl:"):
            tls_options = server_tls_options(
                config.tls_key,
                config.tls_certificate,
                client_ca=config.tls_ca if config.security_profile == 3 else None,
            )
        endpoint = server_endpoint(
            self.reactor, config.listen, config.security_profile, tls_options
        )
        return ListeningService(
            endpoint, factory, config.listen, "Central system", listened=self._listened
        )

    def startService(self) -> None:
        # The store first: connections may come as soon as the port
        # listens (under twistd it was bound before, but the reactor does
        # not run yet).
        if self.store.closed:
            self.store.reopen()
        self.password_verifier.start()
        super().startService()

    def _listened(self, port: Any) -> None:
        address = port.getHost()
        self.log.info(
            "Central system listening on {host}:{port} (security profile {profile})",
            host=getattr(address, "host", address),
            port=getattr(address, "port", ""),
            profile=self.config.security_profile,
        )

    @property
    def port(self) -> Any:
        """
        The listening port while it listens, else None.
        """
        return self._listener.port

    def when_listening(self) -> Deferred:
        """
        @return: a Deferred firing with the listening port once the service
            listens (at once if it does), or failing if it cannot.
        @raise RuntimeError: the service is not running.
        """
        return self._listener.when_listening()

    def stopService(self) -> Deferred:
        # Stops listening (the child service) first.
        stopped = super().stopService()
        self.password_verifier.stop()
        # Every open connection is closed, and the store closed once the
        # last of them is gone (their last events may still write to it).
        waiting = [stopped, *self._closed.values()]
        for proxy in list(self._connected.values()):
            proxy.disconnect()
        return DeferredList(waiting).addCallback(lambda _: self.store.close())

    # -- ICentralSystem ---------------------------------------------------

    def charge_points(self) -> list[ChargePointProxy]:
        return [self._connected[identity] for identity in sorted(self._connected)]

    def charge_point(self, identity: str) -> ChargePointProxy:
        return self._connected[identity]

    def when_connected(self, identity: str) -> Deferred:
        proxy = self._connected.get(identity)
        if proxy is not None:
            return succeed(proxy)
        waiting = Deferred()
        self._waiting.setdefault(identity, []).append(waiting)
        return waiting

    def reset_data(self) -> None:
        self.store.reset()
        self.log.info("Central system data reset")

    # -- operator commands ------------------------------------------------

    def register_charge_point(
        self,
        identity: str,
        password: str | None = None,
        security_profile: int | None = None,
        clear_password: bool = False,
    ) -> Deferred:
        """
        Register a charge point, or approve and update one seen before.

        @param password: its new Basic-auth password (stored hashed), or
            None to keep the one it has.
        @param security_profile: its security profile, or None to keep it.
        @param clear_password: remove its password.
        @return: a Deferred firing with the L{OperatorChange} once it is
            committed (C{created}: it was not registered before), or
            failing with L{StorageFailed} (nothing is kept).
        """

        def write() -> OperatorChange:
            before = self.store.charge_point(identity)
            self.store.register_charge_point(
                identity, password=password, security_profile=security_profile
            )
            if clear_password:
                self.store.clear_password(identity)
            created = before is None or not before.get("approved")
            return OperatorChange("chargePointRegistered", identity, created=created)

        return self._change(write)

    def unregister_charge_point(self, identity: str) -> Deferred:
        """
        Forget a charge point's registration (its history stays).

        @return: a Deferred firing with the L{OperatorChange} once it is
            committed, or with None when it was not registered (nothing
            changed), or failing with L{StorageFailed}.
        """

        def write() -> OperatorChange | None:
            if not self.store.unregister_charge_point(identity):
                return None
            return OperatorChange("chargePointUnregistered", identity)

        return self._change(write)

    def set_id_tag(
        self,
        id_tag: str,
        status: str = "Accepted",
        expiry_date: datetime | None = None,
        parent_id_tag: str | None = None,
    ) -> Deferred:
        """
        Add or change an id tag (case-insensitive: a known tag keeps the
        spelling it was first written with).

        @return: a Deferred firing with the L{OperatorChange} once it is
            committed (C{created}: the tag was unknown), or failing with
            L{StorageFailed}.
        """

        def write() -> OperatorChange:
            created = self.store.id_tag(id_tag) is None
            self.store.set_id_tag(
                id_tag, status=status, expiry_date=expiry_date, parent_id_tag=parent_id_tag
            )
            record = self.store.id_tag(id_tag)
            return OperatorChange("idTagSet", record.id_tag, created=created, record=record)

        return self._change(write)

    def remove_id_tag(self, id_tag: str) -> Deferred:
        """
        Forget an id tag, whatever the case it is given in.

        @return: a Deferred firing with the L{OperatorChange} once it is
            committed, or with None when the tag was unknown, or failing
            with L{StorageFailed}.
        """

        def write() -> OperatorChange | None:
            record = self.store.id_tag(id_tag)
            if record is None or not self.store.remove_id_tag(id_tag):
                return None
            return OperatorChange("idTagRemoved", record.id_tag)

        return self._change(write)

    def _change(self, write: Any) -> Deferred:
        # The answer waits for the commit: a full disk fails it rather than
        # claim what was not kept; plugins hear of committed changes only.
        try:
            change = write()
        except StorageFailed:
            return fail()
        return self.store.when_committed(change).addCallback(self._changed)

    def _changed(self, change: OperatorChange | None) -> OperatorChange | None:
        if change is not None:
            notify(self.plugins, "openocpp_cs_operator_change", change=change)
        return change

    # -- connections ------------------------------------------------------

    def _request_handled(self, proxy: ChargePointProxy, request: Any, response: Any) -> None:
        notify(
            self.plugins,
            "openocpp_cs_request_handled",
            charge_point=proxy,
            request=request,
            response=response,
        )

    def _check_credentials(self, identity, password, certificate, peer):
        return self.events_handler.check_credentials(identity, password, certificate, peer)

    def _attach(self, proxy: ChargePointProxy) -> None:
        old = self._connected.get(proxy.identity)
        self._connected[proxy.identity] = proxy
        self._closed[proxy] = Deferred()
        if old is not None:
            # OCPP-J: one connection per identity; the newest wins.
            self.log.info(
                "Charge point {identity} reconnected: closing its previous connection",
                identity=proxy.identity,
            )
            self._forget(old)
            old.disconnect()
        self._notify(self.events_handler.charge_point_connected, proxy)
        for waiting in self._waiting.pop(proxy.identity, []):
            waiting.callback(proxy)

    def _detach(self, proxy: ChargePointProxy) -> None:
        closed = self._closed.pop(proxy, None)
        if self._connected.get(proxy.identity) is proxy:
            del self._connected[proxy.identity]
            self._forget(proxy)
        if closed is not None:
            closed.callback(None)

    def _forget(self, proxy: ChargePointProxy) -> None:
        proxy.connected = False
        self._notify(self.events_handler.charge_point_disconnected, proxy)

    def _notify(self, method, proxy: ChargePointProxy) -> None:
        def failed(failure):
            self.log.failure(
                "Events handler failed on {identity}", failure, identity=proxy.identity
            )

        try:
            result = method(proxy)
        except Exception:
            self.log.failure("Events handler failed on {identity}", identity=proxy.identity)
            return
        if isinstance(result, Deferred):
            result.addErrback(failed)
