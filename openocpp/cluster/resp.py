"""
Redis's wire protocol (RESP2) on Twisted: commands encoded as arrays of
bulk strings, replies parsed incrementally, one Deferred per command.

Commands are written as they are asked for, without waiting for the
replies before them (pipelining): Redis answers in order, so the replies
are matched to the waiting Deferreds in order. L{RedisProtocol} is the
command connection; L{SubscriberProtocol} the pub/sub one (a connection
in subscribe mode may send nothing but (un)subscriptions).
"""

from collections import deque
from typing import Any, Callable

from twisted.internet.defer import Deferred, fail
from twisted.internet.protocol import Protocol
from twisted.logger import Logger

#: The most bytes one reply may hold (Redis's own proto-max-bulk-len is
#: 512 MB; ours are small): past it the connection is dropped as broken.
MAX_REPLY = 64 * 1024 * 1024


class RedisError(Exception):
    """
    An error reply (C{-ERR ...}) to a command.

    @ivar message: the reply's text (C{"NOSCRIPT No matching script..."}).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def kind(self) -> str:
        """
        The error's first word (C{"ERR"}, C{"NOSCRIPT"}, C{"WRONGTYPE"}).
        """
        return self.message.split(" ", 1)[0]


class BusConnectionLost(Exception):
    """
    The connection to Redis closed (or was never open) before a command's
    reply came.
    """


class ProtocolError(Exception):
    """
    Redis sent bytes that are not RESP2.
    """


def _bulk(value: Any) -> bytes:
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, str):
        data = value.encode("utf-8")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        data = str(value).encode("ascii")
    else:
        raise TypeError(f"a Redis argument is bytes, str, int or float, not {type(value).__name__}")
    return b"$%d\r\n%s\r\n" % (len(data), data)


def encode_command(*arguments: Any) -> bytes:
    """
    One command as RESP2 (an array of bulk strings).

    @param arguments: the command's name and arguments (bytes, str, int or
        float).
    @raise TypeError: an argument of another type.
    """
    return b"*%d\r\n" % len(arguments) + b"".join(_bulk(argument) for argument in arguments)


class _Incomplete(Exception):
    pass


def _parse(data: bytes, start: int) -> tuple[Any, int]:
    # One reply from data[start:]: (value, where the next starts).
    end = data.find(b"\r\n", start)
    if end < 0:
        raise _Incomplete()
    kind = data[start : start + 1]
    line = data[start + 1 : end]
    after = end + 2
    if kind == b"+":
        return line.decode("utf-8", "replace"), after
    if kind == b"-":
        return RedisError(line.decode("utf-8", "replace")), after
    if kind == b":":
        return int(line), after
    if kind == b"$":
        length = int(line)
        if length < 0:
            return None, after
        if length > MAX_REPLY:
            raise ProtocolError(f"a bulk reply of {length} bytes")
        if len(data) < after + length + 2:
            raise _Incomplete()
        return data[after : after + length], after + length + 2
    if kind == b"*":
        count = int(line)
        if count < 0:
            return None, after
        items = []
        for _ in range(count):
            item, after = _parse(data, after)
            items.append(item)
        return items, after
    raise ProtocolError(f"unknown reply type {kind!r}")


class ReplyParser:
    """
    Replies from the bytes of a connection, as they come.

    Values: simple strings as C{str}, bulk strings as C{bytes} (C{None}
    when nil), integers as C{int}, arrays as C{list}, error replies as
    L{RedisError} instances (not raised: an array may hold one).
    """

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list:
        """
        @return: the replies now complete, in order.
        @raise ProtocolError: the bytes are not RESP2.
        """
        self._buffer += data
        replies = []
        start = 0
        while start < len(self._buffer):
            try:
                reply, start = _parse(self._buffer, start)
            except _Incomplete:
                break
            except ValueError as error:
                raise ProtocolError(str(error)) from None
            replies.append(reply)
        self._buffer = self._buffer[start:]
        if len(self._buffer) > MAX_REPLY:
            raise ProtocolError(f"more than {MAX_REPLY} bytes of one reply")
        return replies


class RedisProtocol(Protocol):
    """
    A command connection: L{execute} writes a command at once and returns
    the Deferred of its reply; replies come in the order commands went.

    @param made: called with the protocol once the connection is made
        (the connection's set-up: C{AUTH}, C{SELECT}).
    """

    log = Logger()

    def __init__(self, made: Callable[["RedisProtocol"], Any] | None = None) -> None:
        self._made = made
        self._parser = ReplyParser()
        self._waiting: deque[Deferred] = deque()
        self._lost_callbacks: list[Callable[[Any], Any]] = []
        self.connected = False

    def connectionMade(self) -> None:
        self.connected = True
        if self._made is not None:
            self._made(self)

    def execute(self, *arguments: Any) -> Deferred:
        """
        Send one command.

        @return: a Deferred firing with its reply (see L{ReplyParser}), or
            failing with L{RedisError} (an error reply) or
            L{BusConnectionLost}.
        """
        if not self.connected:
            return fail(BusConnectionLost("not connected to Redis"))
        try:
            data = encode_command(*arguments)
        except TypeError:
            return fail()
        waiting = Deferred()
        self._waiting.append(waiting)
        self.transport.write(data)
        return waiting

    def dataReceived(self, data: bytes) -> None:
        try:
            replies = self._parser.feed(data)
        except ProtocolError as error:
            self.log.error("Redis sent what is not RESP2 ({error}): closing", error=str(error))
            self.transport.loseConnection()
            return
        for reply in replies:
            self.replyReceived(reply)

    def replyReceived(self, reply: Any) -> None:
        """
        One reply: it answers the oldest command waiting.
        """
        if not self._waiting:
            self.log.warn("Redis sent a reply nobody asked for: {reply!r}", reply=reply)
            return
        waiting = self._waiting.popleft()
        if isinstance(reply, RedisError):
            waiting.errback(reply)
        else:
            waiting.callback(reply)

    def when_lost(self, callback: Callable[[Any], Any]) -> None:
        """
        Call C{callback(reason)} once the connection is lost, after the
        commands still waiting have failed with L{BusConnectionLost}.
        """
        self._lost_callbacks.append(callback)

    def connectionLost(self, reason: Any = None) -> None:
        self.connected = False
        waiting, self._waiting = self._waiting, deque()
        for deferred in waiting:
            deferred.errback(BusConnectionLost("the connection to Redis was lost"))
        callbacks, self._lost_callbacks = self._lost_callbacks, []
        for callback in callbacks:
            callback(reason)


class SubscriberProtocol(RedisProtocol):
    """
    A pub/sub connection: L{subscribe} and L{psubscribe} channels, and each
    message published on them goes to C{on_message(channel, data)} (both
    bytes).

    @ivar on_message: the callable each message goes to.
    """

    def __init__(
        self, on_message: Callable[[bytes, bytes], None], made: Callable[[RedisProtocol], Any] | None = None,
    ) -> None:
        super().__init__(made)
        self.on_message = on_message

    def subscribe(self, *channels: str) -> Deferred:
        """
        Subscribe to channels.

        @return: a Deferred firing once Redis confirmed the first (the
            others' confirmations follow in order).
        """
        return self._subscription("SUBSCRIBE", channels)

    def psubscribe(self, *patterns: str) -> Deferred:
        """
        Subscribe to channel patterns (C{openocpp:reply:node1:*}).
        """
        return self._subscription("PSUBSCRIBE", patterns)

    def _subscription(self, command: str, names: tuple) -> Deferred:
        # Redis confirms each name with a reply of its own: one Deferred
        # per confirmation, the first returned.
        if not names:
            raise ValueError("subscribe to at least one channel")
        if not self.connected:
            return fail(BusConnectionLost("not connected to Redis"))
        confirmations = [Deferred() for _ in names]
        self._waiting.extend(confirmations)
        self.transport.write(encode_command(command, *names))
        return confirmations[0]

    def replyReceived(self, reply: Any) -> None:
        if isinstance(reply, list) and reply and isinstance(reply[0], bytes):
            kind = reply[0]
            if kind == b"message" and len(reply) == 3:
                self._deliver(reply[1], reply[2])
                return
            if kind == b"pmessage" and len(reply) == 4:
                self._deliver(reply[2], reply[3])
                return
        super().replyReceived(reply)

    def _deliver(self, channel: bytes, data: bytes) -> None:
        # A subscriber's failure must not break the connection's parsing.
        try:
            self.on_message(channel, data)
        except Exception:
            self.log.failure("A Redis message on {channel} failed", channel=channel)
