"""
The central system service: listens for charge points, runs an RPC session
and a proxy per connection (L{openocpp.centralsystem.connection}), routes
their requests to the request handler, and offers the operator commands.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from twisted.application.service import MultiService
from twisted.internet.defer import Deferred, DeferredList, fail, maybeDeferred, succeed
from twisted.internet.interfaces import IReactorThreads
from twisted.logger import Logger
from zope.interface import implementer

from openocpp.centralsystem.behaviour import DefaultCentralSystemBehaviour
from openocpp.centralsystem.certificates import CertificateAuthority, CertificateIssuer
from openocpp.centralsystem.connection import ChargePointConnection
from openocpp.centralsystem.credentials import (
    AuthenticationGuard,
    CertificateCheck,
    CredentialsPolicy,
    ListenerAddress,
    PasswordVerifier,
)
from openocpp.centralsystem.handler import HookEventsHandler, HookRequestHandler
from openocpp.centralsystem.locallist import LocalListSender
from openocpp.centralsystem.interfaces import (
    ICentralSystem,
    ICentralSystemEventsHandler,
    IChargePointRequestHandler,
)
from openocpp.centralsystem.proxy import ChargePointProxy
from openocpp.centralsystem.reservations import ReservationBook
from openocpp.centralsystem.postgresqlstore import PostgreSQLStore
from openocpp.centralsystem.store import CentralSystemStore, StorageFailed
from openocpp.listening import ListeningService
from openocpp.plugins import call_hook, load_plugin_module, make_plugin_manager, notify
from openocpp.transport.security import parse_ssl_description, server_tls_options
from openocpp.transport.server import OcppServerFactory, server_endpoint


@dataclass(frozen=True)
class OperatorChange:
    """
    A change an operator made to what the central system stores, told to
    plugins once committed (the C{openocpp_cs_operator_change} hook).

    @ivar kind: C{"chargePointRegistered"}, C{"chargePointUnregistered"},
        C{"idTagSet"}, C{"idTagRemoved"}, C{"localListSent"} (a charge
        point accepted a local list), C{"reservationMade"} or
        C{"reservationCancelled"} (a charge point accepted them).
    @ivar key: the charge point's identity, or the id tag as its record
        spells it (id tags are case-insensitive).
    @ivar created: whether the record did not exist before (a charge point
        registered, an id tag added).
    @ivar record: for id tags, the
        L{openocpp.centralsystem.store.IdTagRecord} now stored (None once
        removed); for local lists the
        L{openocpp.centralsystem.locallist.LocalListOutcome}, for
        reservations the
        L{openocpp.centralsystem.reservations.ReservationOutcome}; None for
        charge points.
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
        super(_ServiceStore, self).__init__(*arguments, **options)
        self.closed = False


class _ServicePostgreSQLStore(_ServiceStore, PostgreSQLStore):
    """
    The service's store in PostgreSQL (C{--store}), closed and opened again
    with the service as L{_ServiceStore} is.
    """


def _handler(given: Any, interface: Any, plugins: Any, default: Any) -> Any:
    # An implementation of the interface, or a callable making one from
    # the plugin manager (a HookRequestHandler subclass, say).
    if given is None:
        return default(plugins)
    if interface.providedBy(given):
        return given
    return given(plugins)


def _make_metrics(central: "CentralSystem", config: Any, reactor: Any) -> Any:
    # The central system's metrics (unless --no-metrics), or None: then no
    # session counts its calls.
    if not getattr(config, "metrics", True):
        return None
    from openocpp.metrics import Metrics

    metrics = Metrics(reactor)
    metrics.gauge(metrics.connected, lambda: len(central._connected))
    metrics.gauge(
        metrics.queue.labels("pending_calls"),
        lambda: sum(proxy.pending_calls for proxy in list(central._connected.values())),
    )
    group = getattr(central.store, "_group", None)
    if group is not None:
        group.commit_observer = metrics.commit_timer()
    return metrics


def _make_cluster(central: "CentralSystem", config: Any, reactor: Any) -> Any:
    # The node's cluster parts (--bus), or None: then nothing of
    # openocpp.cluster is imported, and lookups stay local.
    if getattr(config, "bus", None) is None:
        return None
    from openocpp.cluster.node import ClusterNode, default_node_id

    return ClusterNode(
        config.bus,
        config.node_id or default_node_id(),
        reactor,
        local=central._connected.get,
        local_proxies=lambda: dict(central._connected),
        store=central.store,
        plugins=central.plugins,
        call_timeout=config.call_timeout,
    )


def _make_trace(config: Any, reactor: Any) -> Any:
    # The frame trace (--trace), or None: then no session observes frames.
    path = getattr(config, "trace", None)
    if not path:
        return None
    from openocpp.trace import TraceWriter

    return TraceWriter(path, reactor, max_bytes=config.trace_max_bytes, files=config.trace_files)


@implementer(ICentralSystem)
class CentralSystem(MultiService):
    """
    An OCPP 1.6-J central system.

    It builds its store (the SQLite file C{config.database}, or the
    PostgreSQL database C{config.store} when set), opened at
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
        # --store: PostgreSQL, shared with other processes; else SQLite.
        store_url = getattr(config, "store", None)
        self.store = (_ServicePostgreSQLStore if store_url else _ServiceStore)(
            store_url or config.database,
            reactor,
            threads=threads,
            wal_size_limit=config.wal_size_limit,
        )
        # Passwords are hashed in a thread pool of their own, started and
        # stopped with the service.
        self.password_verifier = PasswordVerifier(
            reactor,
            threads=config.auth_threads,
            max_pending=config.auth_max_pending,
        )
        credentials = CredentialsPolicy(self.store, config, self.password_verifier)
        issuer = None
        if getattr(config, "ca_key", None):
            issuer = CertificateIssuer(
                self.store,
                CertificateAuthority.from_files(config.ca_key, config.ca_certificate),
                config.cpo_name,
                reactor.callLater,
            )
        self.plugins = make_plugin_manager(
            builtins=[DefaultCentralSystemBehaviour(self.store, config, credentials, issuer=issuer)],
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
        self._certificate_check = CertificateCheck(
            lambda **arguments: call_hook(
                self.plugins, "openocpp_cs_certificate_identity", **arguments
            ),
            config,
            self.store,
            revoked=lambda **arguments: call_hook(
                self.plugins, "openocpp_cs_certificate_revoked", **arguments
            ),
        )
        self.metrics = _make_metrics(self, config, reactor)
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
        self._local_lists = LocalListSender(self.store)
        self._reservations = ReservationBook(self.store)
        self._connected: dict[str, ChargePointProxy] = {}
        self._waiting: dict[str, list[Deferred]] = {}
        #: Every open connection's proxy, with the Deferred a stop waits on
        #: for its close (None until a stop: one Deferred fewer a connection).
        self._closed: dict[ChargePointProxy, Deferred | None] = {}
        #: The identities connected since the start (the reconnect count).
        self._seen: set[str] = set()
        self.trace = _make_trace(config, reactor)
        self._listener = self._make_listener()
        self._listener.setServiceParent(self)
        #: The L{openocpp.cluster.node.ClusterNode} (C{bus}), or None.
        self.cluster = _make_cluster(self, config, reactor)
        if self.cluster is not None:
            self.cluster.setServiceParent(self)
            if self.metrics is not None:
                self.cluster.add_metrics(self.metrics)
        #: The plain listener beside a TLS one (C{listen_plain}), or None.
        self._plain_listener = None
        if self.config.listen_plain is not None:
            self._plain_listener = self._make_plain_listener()
            self._plain_listener.setServiceParent(self)

    # -- IService ---------------------------------------------------------

    def _make_listener(self) -> ListeningService:
        # Built with the service, so a bad endpoint or unreadable TLS files
        # are refused at once, and the port is bound in
        # privilegedStartService (twistd --uid binds below 1024).
        config = self.config
        factory = self._factory(config.security_profile)
        tls_options = None
        if config.security_profile >= 2:
            # With a CA, a profile 2 listener asks for an optional client
            # certificate, so that it serves profile 3 charge points too.
            tls_options = server_tls_options(
                config.tls_key,
                config.tls_certificate,
                client_ca=config.tls_ca,
                require_client_certificate=config.security_profile == 3,
                extra_chain=config.tls_extra_chain,
                ciphers=config.tls_ciphers,
            )
        parsed = parse_ssl_description(config.listen)
        listen = config.listen if parsed is None else parsed.plain
        endpoint = server_endpoint(self.reactor, listen, config.security_profile, tls_options)
        return ListeningService(
            endpoint, factory, config.listen, "Central system", listened=self._listened
        )

    def _factory(self, security_profile: int) -> OcppServerFactory:
        # The OCPP server factory of a listener whose charge points meet at
        # least security_profile.
        config = self.config
        authenticator = self._authenticator if self.metrics is None else self._counted_authentication
        if security_profile != config.security_profile:
            # The plain listener: the credentials policy (and any plugin)
            # learns the listener's profile from the peer's address.
            decide = authenticator

            def authenticator(identity, password, certificate, peer):
                return decide(identity, password, certificate, ListenerAddress(peer, security_profile))

        return OcppServerFactory(
            handler_factory=lambda connection: ChargePointConnection(self, connection),
            authenticator=authenticator,
            allow_unicode_identities=config.unicode_identities,
            security_profile=security_profile,
            max_message_size=config.max_message_size,
            ping_interval=config.ping_interval,
            reactor=self.reactor,
            max_connections=config.max_connections,
            max_connections_per_address=config.max_connections_per_address,
            output_stall_timeout=config.output_stall_timeout,
            subprotocol_mismatch=config.subprotocol_mismatch,
            # The central system checks a certificate's subject itself
            # (its option, its hook: CertificateCheck).
            check_certificate_identity=False,
            # Answers go to the socket at once, except while the turn has
            # writes to commit: those answers wait for the next turn, whose
            # commit comes first (GroupCommit.begin).
            write_now=self._nothing_to_commit,
        )

    def _make_plain_listener(self) -> ListeningService:
        # The plain listener beside the TLS one: charge points of profile 0
        # or 1 there, while others move to TLS (the whitepaper's upgrade
        # path, A05, served by one process). A charge point registered for
        # profile 2 or 3 is refused there as on any plain listener.
        config = self.config
        profile = config.listen_plain_profile
        endpoint = server_endpoint(self.reactor, config.listen_plain, profile, None)
        return ListeningService(
            endpoint, self._factory(profile), config.listen_plain, "Central system",
            listened=lambda port: self._listened(port, profile),
        )

    def _nothing_to_commit(self) -> bool:
        # Whether an answer sent now may go to its socket at once (the
        # listeners' write_now).
        return not self.store.writes_pending()

    def startService(self) -> None:
        # The store first: connections may come as soon as the port
        # listens (under twistd it was bound before, but the reactor does
        # not run yet).
        if self.store.closed:
            self.store.reopen()
        self.password_verifier.start()
        super().startService()

    def _listened(self, port: Any, profile: int | None = None) -> None:
        address = port.getHost()
        self.log.info(
            "Central system listening on {host}:{port} (security profile {profile})",
            host=getattr(address, "host", address),
            port=getattr(address, "port", ""),
            profile=self.config.security_profile if profile is None else profile,
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

    def when_listening_plain(self) -> Deferred:
        """
        @return: a Deferred firing with the plain listener's port (the
            C{listen_plain} one) once it listens.
        @raise RuntimeError: the service is not running, or has no plain
            listener.
        """
        if self._plain_listener is None:
            raise RuntimeError("no plain listener (listen_plain) is configured")
        return self._plain_listener.when_listening()

    def stopService(self) -> Deferred:
        # Stops listening (the child service) first.
        stopped = super().stopService()
        self.password_verifier.stop()
        # Every open connection is closed, and the store closed once the
        # last of them is gone (their last events may still write to it).
        for proxy in self._closed:
            if self._closed[proxy] is None:
                self._closed[proxy] = Deferred()
        waiting = [stopped, *self._closed.values()]
        for proxy in list(self._connected.values()):
            proxy.disconnect()
        return DeferredList(waiting).addCallback(lambda _: self._closed_down())

    def _closed_down(self) -> None:
        self.store.close()
        if self.trace is not None:
            self.trace.flush()

    # -- ICentralSystem ---------------------------------------------------

    def charge_points(self) -> list[ChargePointProxy]:
        # In a cluster, those of the other nodes too (remote proxies).
        proxies = dict(self._connected)
        if self.cluster is not None:
            for proxy in self.cluster.charge_points():
                proxies.setdefault(proxy.identity, proxy)
        return [proxies[identity] for identity in sorted(proxies)]

    def charge_point(self, identity: str) -> ChargePointProxy:
        proxy = self._connected.get(identity)
        if proxy is not None:
            return proxy
        if self.cluster is None:
            raise KeyError(identity)
        return self.cluster.charge_point(identity)

    def locate(self, identity: str) -> Deferred:
        if identity in self._connected or self.cluster is None:
            return succeed(None)
        return self.cluster.locate(identity)

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

    def send_local_list(self, identity: str, update_type: str) -> Deferred:
        """
        Send a charge point a local list from the id tags the central
        system knows (see L{openocpp.centralsystem.locallist}).

        @param update_type: C{"Full"} or C{"Differential"}.
        @return: a Deferred firing with the
            L{openocpp.centralsystem.locallist.LocalListOutcome} once its
            answers are committed, or failing with
            L{openocpp.centralsystem.locallist.LocalListRefused}, the call's
            error or L{StorageFailed}.
        @raise KeyError: the charge point is not connected.
        @raise ValueError: C{update_type} is neither.
        """
        proxy = self.charge_point(identity)
        return self._local_lists.send(proxy, update_type).addCallback(
            self._operated, "localListSent", lambda outcome: outcome.status == "Accepted"
        )

    def reserve_now(
        self,
        identity: str,
        connector_id: int,
        id_tag: str,
        expiry_date: datetime,
        parent_id_tag: str | None = None,
        reservation_id: int | None = None,
    ) -> Deferred:
        """
        Reserve a connector of a charge point (see
        L{openocpp.centralsystem.reservations}); C{reservation_id} None:
        one is allocated.

        @return: a Deferred firing with the
            L{openocpp.centralsystem.reservations.ReservationOutcome} once
            committed, or failing with the call's error or L{StorageFailed}.
        @raise KeyError: the charge point is not connected.
        """
        proxy = self.charge_point(identity)
        return self._reservations.reserve(
            proxy, connector_id, id_tag, expiry_date, parent_id_tag, reservation_id
        ).addCallback(self._operated, "reservationMade", lambda outcome: outcome.accepted)

    def cancel_reservation(self, identity: str, reservation_id: int) -> Deferred:
        """
        Cancel a reservation at a charge point.

        @return: a Deferred firing with the
            L{openocpp.centralsystem.reservations.ReservationOutcome} once
            committed, or failing with the call's error or L{StorageFailed}.
        @raise KeyError: the charge point is not connected.
        """
        proxy = self.charge_point(identity)
        return self._reservations.cancel(proxy, reservation_id).addCallback(
            self._operated, "reservationCancelled", lambda outcome: outcome.accepted
        )

    def _operated(self, outcome: Any, kind: str, changed: Any) -> Any:
        # Plugins hear of what the charge point accepted (and the central
        # system committed), as of the operator's other changes.
        if changed(outcome):
            self._changed(OperatorChange(kind, outcome.identity, record=outcome))
        return outcome

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

    def _counted_authentication(self, identity, password, certificate, peer):
        # The guard's decision, its refusals counted (metrics on).
        def refused(failure):
            self.metrics.authentication_failures.labels(str(getattr(failure.value, "code", 500))).inc()
            return failure

        def decided(accepted):
            if not accepted:
                self.metrics.authentication_failures.labels("401" if password is not None else "404").inc()
            return accepted

        deciding = maybeDeferred(self._authenticator, identity, password, certificate, peer)
        return deciding.addCallbacks(decided, refused)

    def _check_credentials(self, identity, password, certificate, peer):
        # The certificate's subject first: no plugin deciding credentials
        # can let a certificate of another charge point in.
        checking = self._certificate_check(identity, certificate, peer)
        return checking.addCallback(
            lambda _: self.events_handler.check_credentials(identity, password, certificate, peer)
        )

    def _attach(self, proxy: ChargePointProxy) -> None:
        if self.metrics is not None:
            self.metrics.connections.inc()
            if proxy.identity in self._seen:
                self.metrics.reconnects.inc()
            self._seen.add(proxy.identity)
        old = self._connected.get(proxy.identity)
        self._connected[proxy.identity] = proxy
        self._closed[proxy] = None
        if old is not None:
            # OCPP-J: one connection per identity; the newest wins.
            self.log.info(
                "Charge point {identity} reconnected: closing its previous connection",
                identity=proxy.identity,
            )
            self._forget(old)
            old.disconnect()
        if self.cluster is not None:
            self.cluster.attached(proxy)
        self._notify(self.events_handler.charge_point_connected, proxy)
        for waiting in self._waiting.pop(proxy.identity, []):
            waiting.callback(proxy)

    def _detach(self, proxy: ChargePointProxy) -> None:
        closed = self._closed.pop(proxy, None)
        if self._connected.get(proxy.identity) is proxy:
            del self._connected[proxy.identity]
            if self.cluster is not None:
                self.cluster.detached(proxy)
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
