"""
The bus: a Redis client on Twisted, for the cluster's collaborators.

Two connections, each kept by a C{ClientService} that reconnects with
backoff: one for commands (pipelined, L{openocpp.cluster.resp}), one in
pub/sub mode. Why not txredisapi (kept, its 1.6 reconnects through
C{ClientService} too): it calls the global reactor and C{twisted.python.log}
from inside (so it cannot run on a test's clock), and brings a pool,
sharding and charset handling we do not use; the eight commands the
cluster needs are this small module and L{openocpp.cluster.resp}.
"""

import hashlib
import socket
from typing import Any, Callable

from twisted.application.internet import ClientService, backoffPolicy
from twisted.application.service import MultiService
from twisted.internet.defer import Deferred, fail, maybeDeferred, succeed
from twisted.internet.endpoints import HostnameEndpoint
from twisted.internet.protocol import Factory
from twisted.logger import Logger
from zope.interface import implementer

from openocpp.cluster.address import BusAddress, parse_bus_url
from openocpp.cluster.interfaces import IBus
from openocpp.cluster.resp import (
    BusConnectionLost,
    ProtocolError,
    RedisError,
    RedisProtocol,
    ReplyParser,
    SubscriberProtocol,
    encode_command,
)


def check_bus_reachable(option: str, url: str, timeout: float = 3.0) -> None:
    """
    Check, before the service starts, that Redis takes the URL's password
    (C{AUTH}), answers PING and SELECTs its database: blocking, like the
    other preflight checks.

    @raise ValueError: it does not; one line naming C{option}, without the
        password.
    """
    try:
        address = parse_bus_url(url)
    except ValueError as error:
        raise ValueError(f"{option}: {error}") from None
    shown = address.redacted()
    commands = [("PING",)]
    if address.auth() is not None:
        commands.insert(0, address.auth())
    if address.db:
        commands.append(("SELECT", address.db))
    try:
        with socket.create_connection((address.host, address.port), timeout=timeout) as connection:
            connection.sendall(b"".join(encode_command(*command) for command in commands))
            parser = ReplyParser()
            replies: list = []
            while len(replies) < len(commands):
                data = connection.recv(4096)
                if not data:
                    raise OSError("the connection was closed")
                replies.extend(parser.feed(data))
    except (OSError, ProtocolError) as error:
        raise ValueError(f"{option} {shown}: Redis is not reachable ({error})") from None
    for command, reply in zip(commands, replies):
        if not isinstance(reply, RedisError):
            continue
        if command[0] == "AUTH":
            raise ValueError(f"{option} {shown}: Redis refused the credentials ({reply.message})")
        if reply.kind == "NOAUTH":
            raise ValueError(
                f"{option} {shown}: Redis wants a password ({reply.message}): give it in the URL, "
                "redis://:PASSWORD@HOST:PORT (or redis://USER:PASSWORD@... for an ACL user)"
            )
        raise ValueError(f"{option} {shown}: Redis refused: {reply.message}")


#: Seconds a connection whose set-up failed (Redis refused the
#: credentials, or a command of the set-up) stays open before it is closed
#: and tried again.
REFUSED_DELAY = 5.0


class _CredentialsRefused(Exception):
    """
    Redis answered C{AUTH} with an error: the message is Redis's.
    """


class Script:
    """
    A Lua script run with EVALSHA (sent again with EVAL once when Redis
    does not know it: it restarted, or SCRIPT FLUSH).

    @ivar source: the script.
    @ivar sha: its SHA-1, as EVALSHA names it.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode("utf-8")).hexdigest()


class _Factory(Factory):
    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make

    def buildProtocol(self, addr: Any) -> Any:
        protocol = self._make()
        protocol.factory = self
        return protocol


@implementer(IBus)
class RedisBus(MultiService):
    """
    The Redis client of one node. See L{IBus}.

    @param address: the L{BusAddress}.
    @param reactor: the reactor (its clock times the backoff).
    @param endpoint: the client endpoint (default: TCP to the address).
    """

    log = Logger()

    def __init__(self, address: BusAddress, reactor: Any, endpoint: Any = None) -> None:
        super().__init__()
        self.address = address
        self._reactor = reactor
        if endpoint is None:
            endpoint = HostnameEndpoint(reactor, address.host, address.port, timeout=5)
        self._commands: RedisProtocol | None = None
        self._subscriber: SubscriberProtocol | None = None
        self._channels: dict[str, Callable[[bytes, bytes], None]] = {}
        self._patterns: dict[str, Callable[[bytes, bytes], None]] = {}
        self._connected_observers: list[Callable[[], Any]] = []
        self._subscribed_observers: list[Callable[[], Any]] = []
        self._lost_observers: list[Callable[[], Any]] = []
        self._lost_logged = False
        self._setup_failure_logged = False
        #: Whether the pub/sub connection is up with every channel subscribed.
        self.subscribed = False
        policy = backoffPolicy(initialDelay=0.2, maxDelay=5.0)
        self._waiting_connected: list[Deferred] = []
        # Each connection's set-up (AUTH, SELECT, SUBSCRIBE) runs from its
        # connectionMade, not as the ClientService's prepareConnection: a
        # prepareConnection that fails counts as a failed attempt yet leaves
        # the connection open, and that connection's loss, during or after
        # the set-up, then finds no transition in the service's state machine
        # (automat's NoTransition, in Waiting or Stopped). Made this way,
        # every connection is the service's current one until it is lost.
        self._command_service = ClientService(
            endpoint, _Factory(lambda: RedisProtocol(made=self._set_up_commands)),
            retryPolicy=policy, clock=reactor,
        )
        self._subscriber_service = ClientService(
            endpoint, _Factory(lambda: SubscriberProtocol(self._message, made=self._set_up_subscriber)),
            retryPolicy=policy, clock=reactor,
        )
        self._command_service.setServiceParent(self)
        self._subscriber_service.setServiceParent(self)

    def __repr__(self) -> str:
        # Shown in log lines: never the password.
        return f"<RedisBus {self.address.redacted()}>"

    # -- connections ------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._commands is not None and self._commands.connected

    def _log_in(self, protocol: RedisProtocol) -> Deferred:
        """
        C{AUTH} first on a new connection, when the URL has a password
        (Redis answers every other command C{NOAUTH} until then).

        @return: a Deferred firing once logged in, failing with
            L{_CredentialsRefused} when Redis refused the credentials (the
            password changed while the node ran).
        """
        auth = self.address.auth()
        if auth is None:
            return succeed(None)

        def refused(failure: Any) -> None:
            failure.trap(RedisError)
            raise _CredentialsRefused(failure.value.message)

        return protocol.execute(*auth).addCallbacks(lambda _: None, refused)

    def _set_up(self, protocol: RedisProtocol, steps: Callable[[], Any], ready: Callable[[], Any]) -> None:
        """
        A new connection's set-up: C{steps()}, then C{ready()}.

        A step that fails logs one line per outage and closes the
        connection after L{REFUSED_DELAY} seconds (not tried again in a
        tight loop: the service counts the connection as made, which resets
        its backoff); that loss reconnects like any other. A connection lost
        during its set-up needs nothing more.
        """

        def failed(failure: Any) -> None:
            if not protocol.connected:
                return
            if not self._setup_failure_logged:
                self._setup_failure_logged = True
                if failure.check(_CredentialsRefused):
                    self.log.error(
                        "The bus {bus} refused this node's credentials ({error}): trying again every "
                        "{delay:g} s",
                        bus=repr(self), error=str(failure.value), delay=REFUSED_DELAY,
                    )
                else:
                    self.log.error(
                        "Setting up a connection to the bus {bus} failed ({error}): trying again every "
                        "{delay:g} s",
                        bus=repr(self), error=failure.getErrorMessage(), delay=REFUSED_DELAY,
                    )
            closing = self._reactor.callLater(REFUSED_DELAY, protocol.transport.loseConnection)
            protocol.when_lost(lambda reason: closing.cancel() if closing.active() else None)

        maybeDeferred(steps).addCallbacks(lambda _: ready(), failed)

    def _set_up_commands(self, protocol: RedisProtocol) -> None:
        def steps() -> Deferred:
            logging_in = self._log_in(protocol)
            if self.address.db:
                logging_in.addCallback(lambda _: protocol.execute("SELECT", self.address.db))
            return logging_in

        def ready() -> None:
            self._setup_failure_logged = False
            self._commands = protocol
            if self._lost_logged:
                self.log.info("Back on the bus {bus}", bus=repr(self))
            self._lost_logged = False
            protocol.when_lost(lambda reason: self._commands_lost(protocol, reason))
            waiting, self._waiting_connected = self._waiting_connected, []
            for deferred in waiting:
                deferred.callback(None)
            for observer in list(self._connected_observers):
                self._run(observer, "connected")

        self._set_up(protocol, steps, ready)

    def _commands_lost(self, protocol: RedisProtocol, reason: Any) -> None:
        if self._commands is protocol:
            self._commands = None
            self._lost(reason)

    def _set_up_subscriber(self, protocol: SubscriberProtocol) -> None:
        def steps() -> Deferred:
            return self._log_in(protocol).addCallback(lambda _: self._subscribe_all(protocol))

        def ready() -> None:
            self.subscribed = True
            for observer in list(self._subscribed_observers):
                self._run(observer, "subscribed")

        self._set_up(protocol, steps, ready)

    def _subscribe_all(self, protocol: SubscriberProtocol) -> Deferred | None:
        self._subscriber = protocol
        protocol.when_lost(lambda reason: self._subscriber_lost(protocol))
        waiting = []
        if self._channels:
            waiting.append(protocol.subscribe(*self._channels))
        if self._patterns:
            waiting.append(protocol.psubscribe(*self._patterns))
        return waiting[-1] if waiting else None

    def _subscriber_lost(self, protocol: SubscriberProtocol) -> None:
        if self._subscriber is protocol:
            self._subscriber = None
            self.subscribed = False
            self._tell_lost()

    def _tell_lost(self) -> None:
        for observer in list(self._lost_observers):
            self._run(observer, "lost")

    def _lost(self, reason: Any) -> None:
        self._tell_lost()
        # Logged once per outage, not once per retry.
        if self.running and not self._lost_logged:
            self._lost_logged = True
            self.log.warn(
                "Lost the bus {bus} ({reason}): serving local charge points, reconnecting",
                bus=repr(self),
                reason=getattr(reason, "getErrorMessage", lambda: str(reason))(),
            )

    def _run(self, observer: Callable[[], Any], what: str) -> None:
        try:
            result = observer()
        except Exception:
            self.log.failure("A bus {what} observer failed", what=what)
            return
        if isinstance(result, Deferred):
            result.addErrback(lambda failure: self.log.failure(
                "A bus {what} observer failed", failure, what=what))

    def when_connected(self) -> Deferred:
        if self.connected:
            return succeed(None)
        waiting = Deferred()
        self._waiting_connected.append(waiting)

        def failed(failure: Any) -> None:
            # The first attempt failed (or the bus stopped) before a set-up
            # finished.
            if waiting in self._waiting_connected:
                self._waiting_connected.remove(waiting)
                waiting.errback(failure)

        self._command_service.whenConnected(failAfterFailures=1).addErrback(failed)
        return waiting

    def on_connected(self, observer: Callable[[], Any]) -> None:
        self._connected_observers.append(observer)

    def on_subscribed(self, observer: Callable[[], Any]) -> None:
        self._subscribed_observers.append(observer)

    def on_lost(self, observer: Callable[[], Any]) -> None:
        self._lost_observers.append(observer)

    # -- commands ---------------------------------------------------------

    def execute(self, *arguments: Any) -> Deferred:
        if self._commands is None:
            return fail(BusConnectionLost("not connected to Redis"))
        return self._commands.execute(*arguments)

    def evalsha(self, script: Script, keys: list | tuple = (), arguments: list | tuple = ()) -> Deferred:
        tail = (len(keys), *keys, *arguments)

        def unknown(failure: Any) -> Any:
            failure.trap(RedisError)
            if failure.value.kind != "NOSCRIPT":
                return failure
            return self.execute("EVAL", script.source, *tail)

        return self.execute("EVALSHA", script.sha, *tail).addErrback(unknown)

    def publish(self, channel: str, data: bytes | str) -> Deferred:
        return self.execute("PUBLISH", channel, data)

    # -- pub/sub ----------------------------------------------------------

    def subscribe(self, channel: str, handler: Callable[[bytes, bytes], None]) -> None:
        self._channels[channel] = handler
        if self._subscriber is not None and self._subscriber.connected:
            self._subscriber.subscribe(channel).addErrback(lambda _: None)

    def psubscribe(self, pattern: str, handler: Callable[[bytes, bytes], None]) -> None:
        self._patterns[pattern] = handler
        if self._subscriber is not None and self._subscriber.connected:
            self._subscriber.psubscribe(pattern).addErrback(lambda _: None)

    def _message(self, channel: bytes, data: bytes) -> None:
        name = channel.decode("utf-8", "replace")
        handler = self._channels.get(name)
        if handler is None:
            for pattern, candidate in self._patterns.items():
                if pattern.endswith("*") and name.startswith(pattern[:-1]):
                    handler = candidate
                    break
        if handler is None:
            return
        try:
            handler(channel, data)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            # Not one of ours (another program on the same Redis, a version
            # skew): one line, and the next message is read.
            self.log.warn(
                "Ignored a malformed message on {channel}: {error}",
                channel=name, error=f"{type(error).__name__}: {error}",
            )
