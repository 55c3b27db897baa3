"""
The charge point side: an autobahn WebSocket client speaking OCPP 1.6-J
with the Security Profile it is configured for, and a service keeping one
connection to the central system up::

    service = ClientConnectionService(
        reactor, "wss://cs.example.com/ocpp", "CP001", handler_factory,
        security_profile=SecurityProfile.TLS_BASIC, password=key,
        ca_certificates="cs-ca.pem")
    service.setServiceParent(application)
    connection = await service.whenConnected()

A client never connects with less than its profile asks (A00.FR.003,
A00.FR.005): profiles 0 and 1 need a C{ws://} URL, 2 and 3 a C{wss://} one;
profiles 1 and 2 need a password; profile 3 a client certificate.  The
central system's certificate is verified for the URL's host.
"""

from __future__ import annotations

import random
from typing import Any, Callable
from urllib.parse import urlsplit

from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol
from autobahn.websocket.types import ConnectionResponse
from twisted.application.internet import ClientService, backoffPolicy
from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import HostnameEndpoint, wrapClientTLS
from twisted.internet.interfaces import (
    IOpenSSLClientConnectionCreator,
    IProtocolFactory,
    IReactorTime,
    ISSLTransport,
    IStreamClientEndpoint,
)
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.ssl import Certificate, optionsForClientTLS
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from openocpp.transport.connection import (
    CLOSE_GOING_AWAY,
    CLOSE_PROTOCOL_ERROR,
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_OUTPUT_STALL_TIMEOUT,
    MAX_HANDSHAKE_SIZE,
    OCPP_SUBPROTOCOL,
    OcppConnection,
    OcppFactoryMixin,
    OcppProtocolMixin,
)
from openocpp.transport.errors import HandshakeFailed
from openocpp.transport.identity import check_identity, connection_url
from openocpp.transport.interfaces import IConnectionHandler, IOcppConnection
from openocpp.transport.quietlines import QuietTLSFailures
from openocpp.transport.security import (
    MINIMUM_TLS_VERSION,
    SecurityProfile,
    acceptable_ciphers,
    basic_authorization,
    certificate_requested,
    client_tls_options,
    negotiation_problem,
    tls_connection,
)


def check_client_configuration(
    security_profile: int,
    url: str,
    password: bytes | str | None,
    has_client_certificate: bool | None = None,
) -> SecurityProfile:
    """
    Check that a charge point's settings make the Security Profile it is
    configured for, and never less.

    @param security_profile: the profile (0 to 3).
    @param url: the OCPP-J endpoint URL (C{ws://} or C{wss://}).
    @param password: the AuthorizationKey, or C{None}.
    @param has_client_certificate: whether a client certificate and key
        are configured; C{None} when not known here (not checked).
    @return: the L{SecurityProfile}.
    @raise ValueError: when the settings do not fit the profile.
    """
    profile = SecurityProfile(security_profile)
    scheme = urlsplit(url).scheme.lower()
    if scheme != profile.scheme:
        raise ValueError(
            f"security profile {int(profile)} requires a {profile.scheme}:// URL, "
            f"not {url!r}"
        )
    if profile.requires_basic_auth and not password:
        raise ValueError(
            f"security profile {int(profile)} requires a password (AuthorizationKey)"
        )
    if profile == SecurityProfile.NONE and password:
        raise ValueError(
            "security profile 0 sends no credentials: use profile 1 or 2 with a "
            "password"
        )
    if profile.requires_client_certificate and has_client_certificate is False:
        raise ValueError("security profile 3 requires a client certificate and key")
    if not profile.uses_tls and has_client_certificate:
        raise ValueError(
            f"security profile {int(profile)} does not use TLS: a client "
            "certificate needs profile 3"
        )
    return profile


class OcppClientProtocol(OcppProtocolMixin, QuietTLSFailures, WebSocketClientProtocol):
    """
    A charge point's WebSocket connection to the central system.  Made by
    L{OcppClientFactory}.
    """

    _log = Logger()

    def processHandshake(self) -> None:
        """
        Refuse oversized response headers before autobahn parses them.
        """
        end_of_header = self.data.find(b"\r\n\r\n")
        if end_of_header < 0 and len(self.data) <= MAX_HANDSHAKE_SIZE:
            return  # wait for the rest
        if end_of_header < 0 or end_of_header + 4 > MAX_HANDSHAKE_SIZE:
            self.failHandshake(f"response headers longer than {MAX_HANDSHAKE_SIZE} bytes")
            return
        super().processHandshake()

    def failHandshake(self, reason: str) -> None:
        """
        Remember why the opening handshake failed (with the server's HTTP
        status, if any) for C{when_open}, then let autobahn drop the
        connection.
        """
        status = None
        status_line = getattr(self, "http_status_line", None)
        if status_line:
            parts = status_line.split()
            if len(parts) > 1 and parts[1].isdigit() and parts[1] != "101":
                status = int(parts[1])
        self._handshake_failure = HandshakeFailed(status, reason)
        self._log.warn(
            "Connection of {identity} to {peer} refused: {failure}",
            identity=self.factory.identity,
            peer=self.peer,
            failure=self._handshake_failure,
        )
        super().failHandshake(reason)

    def onConnect(self, response: ConnectionResponse) -> None:
        """
        Check the server agreed to C{ocpp1.6} (and that the connection is
        TLS when the profile says so); else close the connection.
        """
        self.identity = self.factory.identity
        problem = event = None
        if response.protocol != OCPP_SUBPROTOCOL:
            problem = (
                f"the server did not agree to the {OCPP_SUBPROTOCOL} subprotocol "
                f"(it chose {response.protocol!r})"
            )
        else:
            problem, event = self._profile_problem()
        if problem is not None:
            self._handshake_failure = HandshakeFailed(None, problem, event)
            self._log.error(
                "Closing the connection of {identity} to {peer}: {problem}",
                identity=self.identity,
                peer=self.peer,
                problem=problem,
            )
            self.sendCloseFrame(
                code=CLOSE_PROTOCOL_ERROR,
                reasonUtf8=problem.encode("utf-8")[:123],
                isReply=False,
            )

    def _profile_problem(self) -> tuple[str | None, str | None]:
        # A00.FR.003: the connection the central system accepted must be of
        # the charge point's profile: TLS for 2 and 3 (with the version and
        # cipher suite checked, A00.FR.313/417), and for 3 a handshake in
        # which the server asked for the charge point's certificate.
        profile = self.factory.security_profile
        if not profile.uses_tls:
            return None, None
        if not ISSLTransport.providedBy(self.transport):
            return f"security profile {int(profile)} requires TLS", None
        handle = tls_connection(self.transport)
        if handle is None:
            return None, None
        negotiated = negotiation_problem(handle)
        if negotiated is not None:
            event, why = negotiated
            return why, event
        if profile.requires_client_certificate and certificate_requested(handle) is False:
            return (
                "security profile 3: the central system did not ask for the charge point "
                "certificate, so the connection is not of profile 3 (A00.FR.003)"
            ), None
        return None, None

    def onOpen(self) -> None:
        """
        Start the session, unless L{onConnect} found a problem.
        """
        if self._handshake_failure is not None:
            return
        certificate = None
        if ISSLTransport.providedBy(self.transport):
            peer_certificate = self.transport.getPeerCertificate()
            if peer_certificate is not None:
                certificate = Certificate(peer_certificate)
        self._start_session(self.factory.identity, certificate)


class OcppClientFactory(OcppFactoryMixin, WebSocketClientFactory):
    """
    Makes the L{OcppClientProtocol} of a charge point.  Connect it with
    L{client_endpoint} (or use L{ClientConnectionService}).

    @ivar identity: the charge point identity.
    @ivar connection_url: the URL connected to: the endpoint URL, C{"/"}
        and the percent-encoded identity.
    """

    protocol = OcppClientProtocol

    def __init__(
        self,
        url: str,
        identity: str,
        handler_factory: Callable[[IOcppConnection], IConnectionHandler],
        security_profile: int = SecurityProfile.NONE,
        password: bytes | str | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        ping_interval: float = 0.0,
        ping_timeout: float | None = None,
        reactor: Any = None,
        clock: IReactorTime | None = None,
        open_handshake_timeout: float = 30.0,
        close_handshake_timeout: float = 5.0,
        output_stall_timeout: float = DEFAULT_OUTPUT_STALL_TIMEOUT,
    ):
        """
        @param url: the central system's OCPP-J endpoint URL, without the
            identity (C{"wss://cs.example.com/ocpp"}).
        @param identity: the charge point identity.
        @param handler_factory: called with the L{IOcppConnection} once
            open, returns its L{IConnectionHandler}.
        @param security_profile: the L{SecurityProfile} (0 to 3).
        @param password: the AuthorizationKey, sent with HTTP Basic
            authentication (profiles 1 and 2 require it; profile 3 sends it
            if given); see L{openocpp.transport.security.basic_authorization}.
        @param max_message_size: the longest message (and frame) accepted,
            in bytes (0: no limit); a longer one closes the connection with
            1009, before it is buffered.
        @param ping_interval: seconds between WebSocket pings to the server
            (0: no pings).
        @param ping_timeout: seconds to wait for the pong (default:
            C{ping_interval}); a silent server is dropped.
        @param reactor: the reactor (default: the global one).
        @param clock: the clock of the handshake timeouts and pings (default:
            C{reactor}).
        @param open_handshake_timeout: seconds the connection may take from
            TCP connect to the end of the opening handshake (TLS included).
        @param close_handshake_timeout: seconds to wait for the server's
            answer to our close frame.
        @param output_stall_timeout: seconds the server may leave what it
            is sent unread, past the transport's buffer (reading from it
            stops meanwhile: back-pressure), before the connection is
            dropped (0: never dropped).
        @raise ValueError: for settings that do not make the profile (see
            L{check_client_configuration}), or an invalid identity.
        """
        profile = check_client_configuration(security_profile, url, password)
        self.identity = check_identity(identity)
        self.connection_url = connection_url(url, identity)
        headers = {}
        if password:
            headers["Authorization"] = basic_authorization(identity, password)
        WebSocketClientFactory.__init__(
            self,
            url=self.connection_url,
            protocols=[OCPP_SUBPROTOCOL],
            headers=headers,
            useragent=None,
            reactor=reactor,
        )
        self._configure(
            handler_factory,
            profile,
            max_message_size,
            ping_interval,
            ping_timeout,
            self.reactor if clock is None else clock,
            open_handshake_timeout,
            close_handshake_timeout,
            output_stall_timeout,
            perMessageCompressionOffers=[],
        )

    def __repr__(self) -> str:
        return f"<OcppClientFactory {self.connection_url}>"


def client_endpoint(
    reactor: Any,
    url: str,
    tls_options: IOpenSSLClientConnectionCreator | None = None,
    timeout: float = 30.0,
) -> IStreamClientEndpoint:
    """
    The endpoint to connect to a central system's URL: TCP to its host and
    port (80/443 by default) for C{ws://}, TLS over it for C{wss://}.

    @param reactor: the reactor.
    @param url: the URL (C{ws://} or C{wss://}).
    @param tls_options: for C{wss://}, the TLS options (see
        L{openocpp.transport.security.client_tls_options}); by default the
        platform's trust store, TLS 1.2 or above with the default cipher
        suites, the URL's host verified.
    @param timeout: seconds to wait for the TCP connection.
    @return: the endpoint.
    @raise ValueError: for a URL that is not C{ws://} or C{wss://} with a
        host, or TLS options for C{ws://}.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in ("ws", "wss") or not host:
        raise ValueError(f"{url!r} is not a ws:// or wss:// URL with a host")
    secure = scheme == "wss"
    port = parts.port or (443 if secure else 80)
    endpoint: IStreamClientEndpoint = HostnameEndpoint(reactor, host, port, timeout=timeout)
    if not secure:
        if tls_options is not None:
            raise ValueError(f"TLS options given for the plain URL {url!r}")
        return endpoint
    if tls_options is None:
        tls_options = optionsForClientTLS(
            host,
            extraCertificateOptions={
                "raiseMinimumTo": MINIMUM_TLS_VERSION,
                "acceptableCiphers": acceptable_ciphers(),
            },
        )
    return wrapClientTLS(tls_options, endpoint)


def open_connection(
    endpoint: IStreamClientEndpoint, factory: OcppClientFactory
) -> Deferred[OcppConnection]:
    """
    Connect once, and wait for the OCPP session to start.

    @param endpoint: where to connect (see L{client_endpoint}).
    @param factory: the L{OcppClientFactory}.
    @return: a Deferred firing with the L{IOcppConnection} once the
        handler's C{connection_made} was called, or failing with
        L{HandshakeFailed} (refused by the server, e.g. C{status} 401), the
        connection or TLS error, or L{ConnectionClosed}.  Cancelling it
        drops the connection.
    """
    return _connect_session(endpoint, factory).addCallback(lambda pair: pair[1])


def _connect_session(
    endpoint: IStreamClientEndpoint, factory: OcppClientFactory
) -> Deferred[tuple[OcppClientProtocol, OcppConnection]]:
    """
    Connect, wait for the session: fire with the protocol and connection.
    """
    protocols: list[OcppClientProtocol] = []

    def cancel(result: Deferred[Any]) -> None:
        if protocols:
            protocols[0].close_websocket(CLOSE_GOING_AWAY, "cancelled")
            if protocols[0].state != protocols[0].STATE_CLOSED:
                protocols[0].dropConnection(abort=True)
        else:
            connecting.cancel()

    result: Deferred[tuple[OcppClientProtocol, OcppConnection]] = Deferred(cancel)

    def connected(protocol: OcppClientProtocol) -> Deferred[Any]:
        protocols.append(protocol)
        return protocol.when_open().addCallback(lambda connection: (protocol, connection))

    def done(outcome: Any) -> None:
        if result.called:
            # cancelled meanwhile: a session that opened anyway is closed
            if not isinstance(outcome, Failure):
                outcome[1].close(CLOSE_GOING_AWAY, "cancelled")
            return
        if isinstance(outcome, Failure):
            result.errback(outcome)
        else:
            result.callback(outcome)

    connecting = endpoint.connect(factory)
    connecting.addCallback(connected).addBoth(done)
    return result


class _SessionTransport:
    """
    What C{ClientService} sees as the transport of a connection: closing it
    closes the WebSocket with 1001 (going away).
    """

    def __init__(self, protocol: OcppClientProtocol):
        self.protocol = protocol

    def loseConnection(self) -> None:
        self.protocol.close_websocket(CLOSE_GOING_AWAY, "going away")

    def abortConnection(self) -> None:
        self.protocol.dropConnection(abort=True)

    def getPeer(self) -> Any:
        return self.protocol.transport.getPeer()

    def getHost(self) -> Any:
        return self.protocol.transport.getHost()


class _SessionWatcher(Protocol):
    """
    What C{ClientService} sees as the protocol of a connection: an OCPP
    session, from its start to the loss of its connection.

    @ivar connection: the session's L{OcppConnection}.
    """

    connection: OcppConnection | None = None

    def connectionMade(self) -> None:
        self.connection = self.transport.protocol.connection


class ReconnectBackoff:
    """
    The waits of L{ClientConnectionService} between connection attempts:
    capped exponential backoff with jitter (Twisted's C{backoffPolicy}),
    counting every attempt that failed and every connection that did not
    prove healthy.  The count goes back to zero only after a connection
    that stayed open C{healthy_after} seconds.

    C{ClientService} alone restarts its count after every successful
    handshake: against a server that accepts the WebSocket handshake and
    closes the connection at once, a fleet of charge points would reconnect
    every C{initial_delay} seconds or so, forever.

    @ivar failures: the failed attempts and short-lived connections in a
        row.
    @ivar healthy_after: seconds a connection must stay open to count as
        healthy.
    """

    def __init__(
        self,
        clock: IReactorTime,
        initial_delay: float = 1.0,
        max_delay: float = 60.0,
        factor: float = 1.5,
        jitter: Callable[[], float] = random.random,
        healthy_after: float = 10.0,
    ) -> None:
        """
        @param clock: the clock the connections are timed on.
        @param initial_delay: see C{backoffPolicy}: the first wait is
            C{initial_delay * factor} plus jitter.
        @param max_delay: the longest wait, before jitter.
        @param factor: how much the wait grows after each failure.
        @param jitter: returns seconds added to each wait.
        @param healthy_after: seconds a connection must stay open for the
            backoff to start again from the first wait.
        """
        self._policy = backoffPolicy(initial_delay, max_delay, factor, jitter)
        self._clock = clock
        self._opened_at: float | None = None
        self.healthy_after = healthy_after
        self.failures = 0

    def connected(self) -> None:
        """
        A connection opened (its handshake succeeded).
        """
        self._opened_at = self._clock.seconds()

    def disconnected(self) -> None:
        """
        The connection opened last closed: if it lasted C{healthy_after}
        seconds, the backoff starts again from the first wait.
        """
        opened, self._opened_at = self._opened_at, None
        if opened is not None and self._clock.seconds() - opened >= self.healthy_after:
            self.failures = 0

    def __call__(self, attempt: int) -> float:
        """
        The C{retryPolicy} of C{ClientService}.

        @param attempt: C{ClientService}'s count, which restarts at each
            handshake: ignored for our own.
        @return: seconds to wait before the next attempt.
        """
        self.failures += 1
        return self._policy(self.failures)


@implementer(IStreamClientEndpoint)
class _SessionEndpoint:
    """
    An endpoint whose connections, for C{ClientService}, are OCPP sessions:
    a connection attempt succeeds once the WebSocket handshake succeeded
    and the handler started, fails if the handshake fails, and the
    connection is lost when the WebSocket closes.  (C{ClientService}'s
    C{prepareConnection} cannot do this: a connection lost while being
    prepared breaks its state machine.)
    """

    def __init__(
        self,
        endpoint: IStreamClientEndpoint,
        factory: OcppClientFactory,
        backoff: ReconnectBackoff,
    ):
        self._endpoint = endpoint
        self._factory = factory
        self._backoff = backoff
        #: Why the last attempt failed or the last connection ended (the
        #: reason the retry line gives).
        self.last_reason = "never connected"

    def connect(self, protocolFactory: IProtocolFactory) -> Deferred[Protocol]:
        backoff = self._backoff

        def lost(closed: Any, watcher: Protocol) -> None:
            # Before ClientService hears of it and asks for the next wait.
            backoff.disconnected()
            self.last_reason = f"connection lost: {closed}"
            watcher.connectionLost(Failure(closed))

        def failed(failure: Failure) -> Failure:
            self.last_reason = failure.getErrorMessage() or failure.type.__name__
            return failure

        def started(pair: tuple[OcppClientProtocol, OcppConnection]) -> Protocol:
            protocol, connection = pair
            watcher = protocolFactory.buildProtocol(connection.peer)
            backoff.connected()
            watcher.makeConnection(_SessionTransport(protocol))
            protocol.when_lost().addCallback(lost, watcher)
            return watcher

        return _connect_session(self._endpoint, self._factory).addCallbacks(started, failed)

    def __repr__(self) -> str:
        # ClientService's retry line names it: the URL, for people.
        return self._factory.connection_url


def _fire(deferred: Deferred[Any], outcome: Any) -> None:
    """
    Fire C{deferred} with C{outcome} (a result or a C{Failure}), unless it
    fired already (cancelled).
    """
    if deferred.called:
        return
    if isinstance(outcome, Failure):
        deferred.errback(outcome)
    else:
        deferred.callback(outcome)


class ClientConnectionService(Service):
    """
    Keeps one OCPP connection to the central system up: connects when
    started, reconnects with capped exponential backoff and jitter when the
    connection fails or is lost (also when the server refuses the
    handshake, or stops answering pings), and closes it (code 1001) when
    stopped.  The backoff starts again from its first wait only after a
    connection that stayed open C{healthy_after} seconds
    (L{ReconnectBackoff}).

    @ivar factory: the L{OcppClientFactory}.
    @ivar endpoint: the endpoint connected to.
    """

    _log = Logger()

    def __init__(
        self,
        reactor: Any,
        url: str,
        identity: str,
        handler_factory: Callable[[IOcppConnection], IConnectionHandler],
        security_profile: int = SecurityProfile.NONE,
        password: bytes | str | None = None,
        ca_certificates: str | None = None,
        client_certificate: str | None = None,
        client_key: str | None = None,
        tls_ciphers: str | None = None,
        ping_interval: float = 0.0,
        ping_timeout: float | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        initial_delay: float = 1.0,
        max_delay: float = 60.0,
        factor: float = 1.5,
        jitter: Callable[[], float] = random.random,
        clock: IReactorTime | None = None,
        connect_timeout: float = 30.0,
        healthy_after: float = 10.0,
    ):
        """
        @param reactor: the reactor to connect with.
        @param url: the central system's OCPP-J endpoint URL, without the
            identity.
        @param identity: the charge point identity.
        @param handler_factory: called with each new L{IOcppConnection},
            returns its L{IConnectionHandler}.
        @param security_profile: the L{SecurityProfile} (0 to 3).
        @param password: the AuthorizationKey (profiles 1 and 2).
        @param ca_certificates: PEM file of the CA(s) to verify the central
            system with (profiles 2 and 3); the platform's trust store when
            C{None}.
        @param client_certificate: PEM file of the charge point certificate
            (and intermediates), for profile 3.
        @param client_key: PEM file of its private key (default: in
            C{client_certificate}).
        @param tls_ciphers: the TLS 1.2 cipher suites (an OpenSSL cipher
            string, see L{openocpp.transport.security.acceptable_ciphers});
            the default ones when C{None}.
        @param ping_interval: seconds between WebSocket pings (0: none).
        @param ping_timeout: seconds to wait for the pong (default:
            C{ping_interval}).
        @param max_message_size: the longest message accepted, in bytes.
        @param initial_delay: seconds before the first reconnection attempt.
        @param max_delay: the longest wait between attempts, before jitter.
        @param factor: how much the wait grows after each failed attempt.
        @param jitter: returns seconds added to each wait (default: 0 to 1).
        @param clock: the clock of reconnection and pings (default:
            C{reactor}).
        @param connect_timeout: seconds to wait for the TCP connection.
        @param healthy_after: seconds a connection must stay open before the
            waits start again from the first: a server that accepts the
            handshake and closes at once is backed off from like one that
            refuses it (see L{ReconnectBackoff}).
        @raise ValueError: for settings that do not make the profile.
        """
        profile = check_client_configuration(
            security_profile, url, password, client_certificate is not None
        )
        if clock is None:
            clock = reactor
        self._reactor = reactor
        self.factory = OcppClientFactory(
            url,
            identity,
            handler_factory,
            security_profile=profile,
            password=password,
            max_message_size=max_message_size,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            reactor=reactor,
            clock=clock,
        )
        tls_options = None
        if profile.uses_tls:
            tls_options = client_tls_options(
                urlsplit(url).hostname,
                ca_certificates=ca_certificates,
                client_certificate=client_certificate,
                client_key=client_key,
                ciphers=tls_ciphers,
            )
        elif ca_certificates is not None:
            raise ValueError(
                f"security profile {int(profile)} does not use TLS: CA certificates "
                "need profile 2 or 3"
            )
        self.endpoint = client_endpoint(
            reactor, self.factory.connection_url, tls_options, timeout=connect_timeout
        )
        #: The L{ReconnectBackoff} timing the reconnections.
        self.backoff = ReconnectBackoff(
            clock, initial_delay, max_delay, factor, jitter, healthy_after
        )
        self._sessions = _SessionEndpoint(self.endpoint, self.factory, self.backoff)
        self._service = ClientService(
            self._sessions,
            Factory.forProtocol(_SessionWatcher),
            retryPolicy=self._retry_delay,
            clock=clock,
        )

    def set_ping_interval(self, interval: float, timeout: float | None = None) -> None:
        """
        Ping at a new interval from the next connection on (the
        C{WebSocketPingInterval} key changed).

        @param interval: seconds between WebSocket pings (0: none).
        @param timeout: seconds to wait for the pong (default: C{interval}).
        """
        if interval < 0:
            raise ValueError("ping_interval must not be negative")
        factory = self.factory
        factory.ping_interval = interval
        factory.ping_timeout = interval if timeout is None else timeout
        factory.setProtocolOptions(
            autoPingInterval=interval,
            autoPingTimeout=factory.ping_timeout if interval else 0,
        )

    def _retry_delay(self, attempt: int) -> float:
        delay = self.backoff(attempt)
        self._log.info(
            "Connecting {identity} again in {delay:.1f} seconds: {reason} ({failures} failed "
            "or short-lived connections in a row)",
            identity=self.factory.identity,
            delay=delay,
            reason=self._sessions.last_reason,
            failures=self.backoff.failures,
        )
        return delay

    def whenConnected(
        self, failAfterFailures: int | None = None
    ) -> Deferred[IOcppConnection]:
        """
        The open connection, or the next one.

        @param failAfterFailures: fail after this many consecutive failed
            attempts (C{None}: only when the service stops).
        @return: a Deferred firing with the L{IOcppConnection}, or failing
            with the last attempt's error (e.g. L{HandshakeFailed}) or
            C{CancelledError} when the service stops.  It fires from the
            reactor, never from inside C{ClientService}'s state machine, so
            its callbacks may stop the service.
        """
        waiting = self._service.whenConnected(failAfterFailures)
        result: Deferred[IOcppConnection] = Deferred(lambda _: waiting.cancel())

        def deliver(outcome: Any) -> None:
            if not isinstance(outcome, Failure):
                outcome = outcome.connection
            self._reactor.callLater(0, _fire, result, outcome)

        waiting.addBoth(deliver)
        return result

    def startService(self) -> None:
        """
        Start connecting.
        """
        super().startService()
        self._log.info(
            "Connecting {identity} to {url}",
            identity=self.factory.identity,
            url=self.factory.connection_url,
        )
        self._service.startService()

    def stopService(self) -> Deferred[None]:
        """
        Stop reconnecting and close the connection (code 1001).

        @return: a Deferred firing once the connection is closed.
        """
        super().stopService()
        return self._service.stopService()
