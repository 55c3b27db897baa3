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
from twisted.internet.defer import Deferred, fail, succeed
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
    Check, before the service starts, that Redis answers PING at C{url}
    (and SELECTs its database): blocking, like the other preflight checks.

    @raise ValueError: it does not; one line naming C{option}.
    """
    try:
        address = parse_bus_url(url)
    except ValueError as error:
        raise ValueError(f"{option}: {error}") from None
    command = encode_command("PING")
    if address.db:
        command += encode_command("SELECT", address.db)
    try:
        with socket.create_connection((address.host, address.port), timeout=timeout) as connection:
            connection.sendall(command)
            parser = ReplyParser()
            replies: list = []
            while len(replies) < (2 if address.db else 1):
                data = connection.recv(4096)
                if not data:
                    raise OSError("the connection was closed")
                replies.extend(parser.feed(data))
    except (OSError, ProtocolError) as error:
        raise ValueError(f"{option} {url}: Redis is not reachable ({error})") from None
    for reply in replies:
        if isinstance(reply, RedisError):
            raise ValueError(f"{option} {url}: Redis refused: {reply.message}")


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
        self._lost_logged = False
        #: Whether the pub/sub connection is up with every channel subscribed.
        self.subscribed = False
        policy = backoffPolicy(initialDelay=0.2, maxDelay=5.0)
        self._command_service = ClientService(
            endpoint, _Factory(RedisProtocol), retryPolicy=policy, clock=reactor,
            prepareConnection=self._prepare_commands,
        )
        self._subscriber_service = ClientService(
            endpoint, _Factory(lambda: SubscriberProtocol(self._message)), retryPolicy=policy,
            clock=reactor, prepareConnection=self._prepare_subscriber,
        )
        self._command_service.setServiceParent(self)
        self._subscriber_service.setServiceParent(self)

    def __repr__(self) -> str:
        return f"<RedisBus redis://{self.address.host}:{self.address.port}/{self.address.db}>"

    # -- connections ------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._commands is not None and self._commands.connected

    def _prepare_commands(self, protocol: RedisProtocol) -> Deferred:
        selecting = protocol.execute("SELECT", self.address.db) if self.address.db else succeed(None)

        def ready(_: Any) -> None:
            self._commands = protocol
            if self._lost_logged:
                self.log.info("Back on the bus {bus}", bus=repr(self))
            self._lost_logged = False
            lost = protocol.connectionLost

            def connection_lost(reason: Any = None) -> None:
                lost(reason)
                if self._commands is protocol:
                    self._commands = None
                    self._lost(reason)

            protocol.connectionLost = connection_lost
            for observer in list(self._connected_observers):
                self._run(observer, "connected")

        return selecting.addCallback(ready)

    def _prepare_subscriber(self, protocol: SubscriberProtocol) -> Deferred | None:
        self._subscriber = protocol
        waiting = []
        if self._channels:
            waiting.append(protocol.subscribe(*self._channels))
        if self._patterns:
            waiting.append(protocol.psubscribe(*self._patterns))
        lost = protocol.connectionLost

        def connection_lost(reason: Any = None) -> None:
            lost(reason)
            if self._subscriber is protocol:
                self._subscriber = None
                self.subscribed = False

        protocol.connectionLost = connection_lost

        def subscribed(_: Any) -> None:
            self.subscribed = True
            for observer in list(self._subscribed_observers):
                self._run(observer, "subscribed")

        if not waiting:
            subscribed(None)
            return None
        return waiting[-1].addCallback(subscribed)

    def _lost(self, reason: Any) -> None:
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
        return self._command_service.whenConnected(failAfterFailures=1).addCallback(lambda _: None)

    def on_connected(self, observer: Callable[[], Any]) -> None:
        self._connected_observers.append(observer)

    def on_subscribed(self, observer: Callable[[], Any]) -> None:
        self._subscribed_observers.append(observer)

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
