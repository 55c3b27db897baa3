"""
An open OCPP-J connection: the L{IOcppConnection} the layer above sends on,
and the behaviour the server and client WebSocket protocols share, which
drives the connection's L{IConnectionHandler}.
"""

from __future__ import annotations

import os
from collections import deque
from typing import Any, Callable

from autobahn.websocket.protocol import WebSocketProtocol
from twisted.internet import error, tcp
from twisted.internet.defer import Deferred, fail, gatherResults, succeed
from twisted.internet.interfaces import IAddress, IPushProducer, IReactorTime
from twisted.internet.ssl import Certificate
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from openocpp.transport import framing
from openocpp.transport._timer import install_timer
from openocpp.transport.errors import ConnectionClosed, MessageTooLarge
from openocpp.transport.interfaces import IConnectionHandler, IOcppConnection
from openocpp.transport.security import SecurityProfile

OCPP_SUBPROTOCOL = "ocpp1.6"
"""
The WebSocket subprotocol of OCPP 1.6-J (OCPP-J 1.6 section 3.1.2).
"""

DEFAULT_MAX_MESSAGE_SIZE = 65536
"""
The default maximum size of a WebSocket message (and frame), in bytes.
"""

DEFAULT_OUTPUT_STALL_TIMEOUT = 30.0
"""
The default seconds a connection's unsent output may stay over the
transport's bound (its peer not reading) before the connection is dropped.
"""

MAX_HANDSHAKE_SIZE = 16384
"""
The most bytes buffered for an HTTP opening handshake (request or
response headers) before the connection is refused.
"""

# WebSocket close codes (RFC 6455 section 7.4.1) the transport uses.
CLOSE_NORMAL = 1000
"""Normal closure."""
CLOSE_GOING_AWAY = 1001
"""Going away: a service stopping, a server shutting down."""
CLOSE_PROTOCOL_ERROR = 1002
"""Protocol error: the C{ocpp1.6} subprotocol was not agreed."""
CLOSE_UNSUPPORTED_DATA = 1003
"""Unsupported data: a binary message."""
CLOSE_ABNORMAL = 1006
"""Reported (never sent) when a connection ends without a closing handshake."""
CLOSE_MESSAGE_TOO_BIG = 1009
"""A message longer than the maximum message size."""
CLOSE_INTERNAL_ERROR = 1011
"""The connection handler could not be made or failed to start."""

_SENDABLE_CLOSE_CODES = frozenset(WebSocketProtocol.CLOSE_STATUS_CODES_ALLOWED)

NO_SEND_QUEUE: tuple = ()
"""
The C{send_queue} of a protocol without one (an open server connection's,
see L{openocpp.transport.server.OcppServerProtocol._compact}): autobahn
makes a deque for every connection (760 bytes), which only its chopped or
synchronous writes use; L{OcppProtocolMixin.sendData} makes it when one
comes.
"""


def check_close_code(code: int) -> int:
    """
    Check that an endpoint may send C{code} in a close frame (RFC 6455
    section 7.4).

    @param code: the close code.
    @return: C{code}.
    @raise ValueError: if it may not be sent.
    """
    if not isinstance(code, int) or not (
        code in _SENDABLE_CLOSE_CODES or 3000 <= code <= 4999
    ):
        raise ValueError(f"WebSocket close code {code!r} may not be sent")
    return code


def format_peer(address: Any) -> str:
    """
    An address as log lines show it: C{127.0.0.1:5555}, C{[::1]:5555}, a
    UNIX socket's path; never a repr.
    """
    host = getattr(address, "host", None)
    port = getattr(address, "port", None)
    if isinstance(host, str) and port is not None:
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    name = getattr(address, "name", None)
    if name:
        return name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
    return str(address)


def _duration(seconds: float) -> str:
    # How long a connection lasted, for people: 4.2 s, 3 min 5 s, 2 h 10 min.
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _close_reason(reason: str) -> bytes | None:
    """
    Encode a close reason to fit a close frame: at most 123 bytes of UTF-8,
    cut on a character boundary.
    """
    if not reason:
        return None
    return reason.encode("utf-8")[:123].decode("utf-8", "ignore").encode("utf-8")


@implementer(IOcppConnection)
class OcppConnection:
    """
    One open OCPP-J WebSocket connection, over an L{OcppProtocolMixin}
    protocol.  Made by the protocol once the WebSocket is open and the
    charge point accepted.

    @ivar identity: the charge point identity.
    @ivar peer: the remote C{IAddress}.
    @ivar security_profile: the L{SecurityProfile} of the connection.
    @ivar client_certificate: the peer's TLS C{Certificate}, or C{None}.
    @ivar max_message_size: the longest message L{send_text} sends, in
        bytes of UTF-8 (0: no limit).
    """

    _log = Logger()

    # One per connection: no instance dictionary.
    __slots__ = (
        "_protocol", "identity", "peer", "security_profile", "client_certificate", "max_message_size",
    )

    def __init__(
        self,
        protocol: OcppProtocolMixin,
        identity: str,
        peer: IAddress,
        security_profile: SecurityProfile,
        client_certificate: Certificate | None,
        max_message_size: int,
    ):
        """
        @param protocol: the WebSocket protocol carrying the connection.
        @param identity: see L{identity}.
        @param peer: see L{peer}.
        @param security_profile: see L{security_profile}.
        @param client_certificate: see L{client_certificate}.
        @param max_message_size: see L{max_message_size}.
        """
        self._protocol = protocol
        self.identity = identity
        self.peer = peer
        self.security_profile = security_profile
        self.client_certificate = client_certificate
        self.max_message_size = max_message_size

    def __repr__(self) -> str:
        return f"<OcppConnection {self.identity!r} {self.peer} profile {int(self.security_profile)}>"

    @property
    def open(self) -> bool:
        """
        Whether messages can be sent: the WebSocket is open, not closing.
        """
        return getattr(self._protocol, "state", None) == WebSocketProtocol.STATE_OPEN

    def send_text(self, text: str) -> None:
        """
        Send one WebSocket text message; see L{IOcppConnection.send_text}.

        @param text: the message.
        @raise MessageTooLarge: if it is longer than L{max_message_size}.
        """
        if not self.open:
            self._log.debug(
                "Dropped a message to {identity} ({peer}): the connection is closed",
                identity=self.identity,
                peer=format_peer(self.peer),
            )
            return
        payload = text.encode("utf-8")
        if 0 < self.max_message_size < len(payload):
            raise MessageTooLarge(len(payload), self.max_message_size)
        self._protocol.send_text_payload(payload)

    def when_lost(self) -> Deferred[ConnectionClosed]:
        """
        Wait until the connection is lost (not part of L{IOcppConnection}).

        @return: a Deferred firing with the L{ConnectionClosed} the handler's
            C{connection_lost} gets (at once if already lost).
        """
        return self._protocol.when_lost()

    def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """
        Start the closing handshake; see L{IOcppConnection.close}.

        @param code: the close code.
        @param reason: the close reason.
        @raise ValueError: for a close code that may not be sent.
        """
        self._protocol.close_websocket(check_close_code(code), reason)


@implementer(IPushProducer)
class _ReadingValve:
    """
    Back-pressure for one connection: registered as the streaming producer
    of its transport, which pauses it when its unsent output passes the
    transport's buffer size (64 KiB for TCP) and resumes it once that is
    written.  The connection then stops reading, so a peer that sends
    without reading what it is answered cannot make us buffer answers
    without bound; if it stays so past the stall timeout, it is dropped.

    Costs nothing per message: the transport calls it only when its buffer
    crosses the bound.
    """

    # One per connection: no instance dictionary.
    __slots__ = ("_protocol", "_clock", "_timeout", "_stalled", "paused")

    def __init__(self, protocol: "OcppProtocolMixin", clock: IReactorTime, timeout: float):
        """
        @param protocol: the connection's protocol.
        @param clock: schedules the stall timeout.
        @param timeout: seconds the output may stay over the bound before the
            connection is dropped (0: never dropped, only not read).
        """
        self._protocol = protocol
        self._clock = clock
        self._timeout = timeout
        self._stalled: Any = None
        self.paused = False

    def pauseProducing(self) -> None:
        """
        The output is over the bound: stop reading, start the stall timer.
        """
        if self.paused:
            return
        self.paused = True
        # No log line: a slow reader pauses and resumes often; only the
        # drop is worth one.
        self._protocol.transport.pauseProducing()
        if self._timeout:
            self._stalled = self._clock.callLater(self._timeout, self._stall)

    def resumeProducing(self) -> None:
        """
        The output was written: read again.
        """
        if not self.paused:
            return
        self.paused = False
        self._cancel()
        self._protocol.transport.resumeProducing()

    def stopProducing(self) -> None:
        """
        The connection is gone.
        """
        self._cancel()

    def _cancel(self) -> None:
        if self._stalled is not None:
            if self._stalled.active():
                self._stalled.cancel()
            self._stalled = None

    def _stall(self) -> None:
        self._stalled = None
        protocol = self._protocol
        protocol._log.warn(
            "Dropping the connection of {identity} ({peer}): it has not read what it "
            "was sent for {timeout} seconds (over {bound} bytes unsent)",
            identity=protocol.identity,
            peer=protocol.peer,
            timeout=self._timeout,
            bound=getattr(protocol.transport, "bufferSize", "the buffer's"),
        )
        protocol.wasNotCleanReason = "the peer does not read what it is sent"
        # No closing handshake: a close frame would wait behind what the
        # peer does not read.
        protocol.dropConnection(abort=True)


class OcppProtocolMixin:
    """
    What L{openocpp.transport.server.OcppServerProtocol} and
    L{openocpp.transport.client.OcppClientProtocol} share: once the WebSocket
    is open and accepted (the subclass calls L{_start_session}), make the
    L{OcppConnection} and its handler, hand it text messages, refuse binary
    ones, and tell it when the connection is lost.

    Mixed in before autobahn's protocol class; its factory is an
    L{OcppFactoryMixin}.

    @ivar identity: the charge point identity, once known.
    @ivar connection: the L{OcppConnection}, once the session started.
    """

    _log = Logger()

    identity: str | None = None
    connection: OcppConnection | None = None
    _handler: IConnectionHandler | None = None
    _handshake_failure: Exception | None = None
    _close_info: tuple[int | None, str | None, bool] | None = None
    _finished: ConnectionClosed | None = None
    _opened_at = 0.0
    _lost_reason: Failure | None = None
    # Who waits for the session to open, for the connection to be lost: a
    # list once someone does (most server connections have no one).
    _open_waiters: list[Deferred[OcppConnection]] | tuple[()] = ()
    _lost_waiters: list[Deferred[ConnectionClosed]] | tuple[()] = ()

    # -- what the transport user may wait for -------------------------------

    def when_open(self) -> Deferred[OcppConnection]:
        """
        Wait until the OCPP session started.

        @return: a Deferred firing with the L{OcppConnection} once the
            handler's C{connection_made} was called, or failing with
            L{HandshakeFailed} (refused), the reason the connection was lost
            before (e.g. a TLS error), or L{ConnectionClosed}.
        """
        if self._handler is not None and self.connection is not None:
            return succeed(self.connection)
        if self._finished is not None:
            return fail(self._open_failure())
        waiter: Deferred[OcppConnection] = Deferred()
        if not self._open_waiters:
            self._open_waiters = []
        self._open_waiters.append(waiter)
        return waiter

    def when_lost(self) -> Deferred[ConnectionClosed]:
        """
        Wait until the connection is lost.

        @return: a Deferred firing with the L{ConnectionClosed} describing
            it (never failing).
        """
        if self._finished is not None:
            return succeed(self._finished)
        waiter: Deferred[ConnectionClosed] = Deferred()
        if not self._lost_waiters:
            self._lost_waiters = []
        self._lost_waiters.append(waiter)
        return waiter

    def close_websocket(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """
        Close the connection: start the WebSocket closing handshake if it is
        open, drop it if the opening handshake is still going on, else do
        nothing.

        @param code: the close code (not checked: see L{check_close_code}).
        @param reason: the close reason.
        """
        if self.state == WebSocketProtocol.STATE_OPEN:
            self.sendCloseFrame(code=code, reasonUtf8=_close_reason(reason), isReply=False)
        elif self.state in (
            WebSocketProtocol.STATE_CONNECTING,
            WebSocketProtocol.STATE_PROXY_CONNECTING,
        ):
            self.wasNotCleanReason = reason or "closed during the opening handshake"
            self.dropConnection(abort=True)

    # -- autobahn and Twisted callbacks -------------------------------------

    _valve: _ReadingValve | None = None

    def connectionMade(self) -> None:
        """
        Register with the factory, then let autobahn start.
        """
        self.factory._protocols.add(self)
        super().connectionMade()
        # autobahn's peer is "tcp4:127.0.0.1:5555": the logs say 127.0.0.1:5555.
        self.peer = format_peer(self.transport.getPeer())

    def _watch_output(self) -> None:
        """
        Once the WebSocket is open, watch the transport's output (see
        L{_ReadingValve}).  Not before: the handshake's output is small and
        bounded, and TLS waits for a registered producer before it closes.
        """
        factory = self.factory
        valve = _ReadingValve(self, factory.clock, factory.output_stall_timeout)
        try:
            self.transport.registerProducer(valve, True)
        except RuntimeError:
            # Another producer is registered already (a wrapper of someone
            # else's): no back-pressure of ours then.
            return
        self._valve = valve

    def _start_session(
        self,
        identity: str,
        certificate: Certificate | None,
        profile: SecurityProfile | None = None,
    ) -> None:
        """
        The WebSocket is open and accepted: make the connection and its
        handler, and call C{connection_made}.

        @param identity: the charge point identity.
        @param certificate: the peer's TLS certificate, or C{None}.
        @param profile: the connection's L{SecurityProfile}, when not the
            factory's.
        """
        factory = self.factory
        self._watch_output()
        if profile is None:
            profile = factory.security_profile
        connection = OcppConnection(
            self,
            identity,
            self.transport.getPeer(),
            profile,
            certificate,
            factory.max_message_size,
        )
        self.connection = connection
        try:
            handler = factory.handler_factory(connection)
        except Exception:
            self._log.failure(
                "Could not make a connection handler for {identity} ({peer})",
                identity=identity,
                peer=self.peer,
            )
            self.close_websocket(CLOSE_INTERNAL_ERROR, "internal error")
            return
        self._handler = handler
        self._opened_at = factory.clock.seconds()
        self._log.info(
            "OCPP connection open: {identity} ({peer}), security profile {profile}",
            identity=identity,
            peer=self.peer,
            profile=int(profile),
        )
        try:
            handler.connection_made(connection)
        except Exception:
            self._log.failure(
                "The connection handler of {identity} ({peer}) failed to start",
                identity=identity,
                peer=self.peer,
            )
            self.close_websocket(CLOSE_INTERNAL_ERROR, "internal error")
        waiters, self._open_waiters = self._open_waiters, ()
        for waiter in waiters:
            waiter.callback(connection)

    # -- autobahn's per-message work that nobody here uses ----------------------
    # (autobahn 26's methods, less their debug lines and an event nobody
    # listens to: a busy central system spends about 5 % of its CPU there)

    def dataReceived(self, data: bytes) -> None:
        """
        Hand received bytes to autobahn's WebSocket parser, as autobahn's
        own C{dataReceived} does, without its debug line: its arguments
        (C{hltype}, C{hlval}) are built on every read even when debug
        logging is off (about 1.5 % of a busy central system's CPU).

        Whole masked text frames at the start of C{data}, on an open
        connection between frames, are read here first
        (L{framing.read_text_frame}) and handed to L{_text_message}, as
        autobahn would, message after message; autobahn gets the rest (from
        the first frame that is anything else), or everything whenever
        anything would make its frame machine do more than that: a frame
        or message under way, bytes buffered, compression, frame or octet
        logging, timings, a listener of its C{"message"} event.
        """
        if (
            self.state == WebSocketProtocol.STATE_OPEN
            and self.current_frame is None
            and not self.data
            and not self.inside_message
            and self._perMessageCompress is None
            and self.applyMask
            and not self.logFrames
            and not self.logOctets
            and not self.trackedTimings
            and not self._listeners
        ):
            data = self._read_text_frames(data)
            if not data:
                return
        self._dataReceived(data)

    def _read_text_frames(self, data: bytes) -> bytes:
        """
        Deliver the whole masked text frames at the start of C{data} (see
        L{dataReceived}).

        @return: what is left for autobahn: from the first byte that is not
            such a frame, or everything after the connection stopped being
            open.
        """
        start = 0
        limit = self.maxMessagePayloadSize
        frame_limit = self.maxFramePayloadSize
        if 0 < frame_limit and (limit <= 0 or frame_limit < limit):
            limit = frame_limit
        stats = self.trafficStats
        read = framing.read_text_frame
        while True:
            frame = read(data, start, limit)
            if frame is None:
                break
            text, length, end = frame
            stats.incomingOctetsWireLevel += end - start
            stats.incomingOctetsWebSocketLevel += length
            stats.incomingOctetsAppLevel += length
            stats.incomingWebSocketFrames += 1
            stats.incomingWebSocketMessages += 1
            start = end
            self._text_message(text)
            if self.state != WebSocketProtocol.STATE_OPEN or self.data:
                break
        return data[start:] if start else data

    def send_text_payload(self, payload: bytes) -> None:
        """
        Send one text message (UTF-8 C{payload}): as one whole frame built
        here (L{framing.text_frame}) and written with L{sendData}, as
        autobahn's C{sendMessage} would, when nothing asks autobahn for more
        (compression, fragmenting, frame logging, timings, over its size
        limit); else with autobahn's C{sendMessage}.
        """
        length = len(payload)
        if (
            self._perMessageCompress is not None
            or self.logFrames
            or self.trackedTimings
            or 0 < self.autoFragmentSize < length
            or 0 < self.maxMessagePayloadSize < length
            or self.state != WebSocketProtocol.STATE_OPEN
        ):
            self.sendMessage(payload, isBinary=False)
            return
        if self.factory.isServer:
            masked = self.maskServerFrames
        else:
            masked = self.maskClientFrames
        key = None
        if masked:
            if not self.applyMask:
                self.sendMessage(payload, isBinary=False)
                return
            key = os.urandom(4)
        stats = self.trafficStats
        stats.outgoingWebSocketMessages += 1
        stats.outgoingOctetsAppLevel += length
        stats.outgoingOctetsWebSocketLevel += length
        stats.outgoingWebSocketFrames += 1
        self.sendData(framing.text_frame(payload, key))

    def sendData(self, data: bytes, sync: bool = False, chopsize: int | None = None) -> None:
        """
        Write bytes to the transport, as autobahn's C{sendData} does, without
        its debug line (built on every write even when debug logging is
        off) in the common case: an open connection, nothing queued, no
        chopping, no octet logging. Every other case is autobahn's own.

        When the factory's C{write_now} allows it, the bytes go to a plain
        TCP socket at once rather than at the reactor's next poll (see
        L{OcppFactoryMixin}).
        """
        if (
            chopsize
            or sync
            or self.send_queue
            or self.logOctets
            or self.state != WebSocketProtocol.STATE_OPEN
        ):
            if self.send_queue is NO_SEND_QUEUE:
                self.send_queue = deque()
            super().sendData(data, sync, chopsize)
            return
        self.trafficStats.outgoingOctetsWireLevel += len(data)
        transport = self.transport
        write_now = self.factory.write_now
        if (
            write_now is not None
            and isinstance(transport, tcp.Connection)
            and not transport.TLS
            # Nothing of the transport's own waits to be sent before these
            # bytes, it is not closing (a loseConnection sends what is
            # buffered, then closes) ...
            and not transport.dataBuffer
            and not transport._tempDataLen
            and transport.connected
            and not transport.disconnecting
            and not transport._writeDisconnecting
            # ... and the application allows it now.
            and write_now()
        ):
            # To the socket at once: Twisted's write would register the
            # socket with the reactor for writing, send at its next poll,
            # then unregister it (two epoll_ctl calls and a poll event a
            # frame, about a sixth of a busy central system's CPU). What the
            # socket does not take now is left to Twisted, as are errors
            # (its next write meets them and loses the connection).
            sent = transport.writeSomeData(data)
            if sent.__class__ is int:
                if sent == len(data):
                    return
                data = data[sent:]
        transport.write(data)

    def onMessageEnd(self) -> None:
        """
        Deliver a complete message, as autobahn's C{onMessageEnd} does;
        when nothing listens to autobahn's C{"message"} event (nothing in
        openocpp does), without firing it: an empty firing still makes and
        chains a Deferred for every message (about 3 % of a busy central
        system's CPU). With a listener, autobahn's own method runs.
        """
        if self._listeners:
            super().onMessageEnd()
            return
        if not self.failedByMe:
            payload = b"".join(self.message_data)
            if self.trackedTimings:
                self.trackedTimings.track("onMessage")
            self._onMessage(payload, self.message_is_binary)
        self.message_data = None

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        """
        Hand a text message to the handler; close the connection with 1003
        on a binary one (OCPP-J sends text only).
        """
        if isBinary:
            self._log.warn(
                "Closing the connection of {identity} ({peer}): it sent a binary "
                "message ({size} bytes), OCPP-J uses text messages only",
                identity=self.identity,
                peer=self.peer,
                size=len(payload),
            )
            self.close_websocket(
                CLOSE_UNSUPPORTED_DATA, "OCPP-J accepts text messages only"
            )
            return
        # autobahn checked the payload is valid UTF-8 (else it closed with 1007)
        self._text_message(payload.decode("utf-8"))

    def _text_message(self, text: str) -> None:
        """
        Hand a text message to the handler (see L{onMessage}).
        """
        handler = self._handler
        if handler is None or self.state != WebSocketProtocol.STATE_OPEN:
            self._log.debug(
                "Ignored a message from {identity} ({peer}): no session",
                identity=self.identity,
                peer=self.peer,
            )
            return
        try:
            handler.text_received(text)
        except Exception:
            self._log.failure(
                "The connection handler of {identity} ({peer}) failed on a message",
                identity=self.identity,
                peer=self.peer,
            )

    def _max_message_size_exceeded(self, msg_size: int, max_msg_size: int, reason: str) -> None:
        """
        Log an oversized incoming message before autobahn closes the
        connection with 1009 (it stops buffering it at once).
        """
        self._log.warn(
            "Closing the connection of {identity} ({peer}) with 1009: {reason}",
            identity=self.identity,
            peer=self.peer,
            reason=reason,
        )
        super()._max_message_size_exceeded(msg_size, max_msg_size, reason)

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        """
        Remember how the WebSocket closed, for L{connectionLost}: with the
        code and reason of our close frame if we closed first, else those of
        the peer's (or 1006 when there was no closing handshake).
        """
        if self.closedByMe and self.localCloseCode is not None:
            code = self.localCloseCode
            if self.localCloseReason:
                reason = self.localCloseReason.decode("utf-8", "replace")
        self._close_info = (code, reason, wasClean)

    def connectionLost(self, reason: Failure) -> None:
        """
        Let autobahn clean up, then tell the handler (if the session
        started) and whoever waits, and unregister from the factory.
        """
        self._lost_reason = reason
        if self._valve is not None:
            self._valve.stopProducing()
        try:
            super().connectionLost(reason)
        finally:
            self._finish(reason)

    # -- internals ----------------------------------------------------------

    def _open_failure(self) -> Failure:
        """
        Why the session never started: the handshake failure, else what
        ended the connection if more telling than a plain TCP close (e.g. a
        TLS error), else the L{ConnectionClosed}.
        """
        if self._handshake_failure is not None:
            return Failure(self._handshake_failure)
        reason = self._lost_reason
        if reason is not None and reason.check(error.ConnectionClosed) is None:
            return reason
        return Failure(self._finished)

    def _finish(self, reason: Failure) -> None:
        """
        The connection is lost: tell the handler, the waiters, the factory.
        """
        if self._finished is not None:
            return
        if self._close_info is not None:
            code, text, clean = self._close_info
        else:
            code, text, clean = CLOSE_ABNORMAL, reason.getErrorMessage(), False
        closed = ConnectionClosed(code, text, clean)
        self._finished = closed
        self.factory._protocols.discard(self)
        handler = self._handler
        if handler is not None:
            duration = self.factory.clock.seconds() - self._opened_at
            self._log.info(
                "OCPP connection closed: {identity} ({peer}) after {duration}: {closed}",
                identity=self.identity,
                peer=self.peer,
                closed=str(closed),
                code=code,
                reason=text,
                duration=_duration(duration),
                seconds=round(duration, 3),
            )
            try:
                handler.connection_lost(Failure(closed))
            except Exception:
                self._log.failure(
                    "The connection handler of {identity} ({peer}) failed on "
                    "connection lost",
                    identity=self.identity,
                    peer=self.peer,
                )
        else:
            self._log.debug(
                "Connection from/to {peer} closed before an OCPP session: {closed}",
                peer=self.peer,
                closed=str(closed),
            )
        if self._open_waiters:
            waiters, self._open_waiters = self._open_waiters, ()
            failure = self._open_failure()
            for waiter in waiters:
                waiter.errback(failure)
        waiters, self._lost_waiters = self._lost_waiters, ()
        for lost in waiters:
            lost.callback(closed)


class OcppFactoryMixin:
    """
    What L{openocpp.transport.server.OcppServerFactory} and
    L{openocpp.transport.client.OcppClientFactory} share.

    @ivar handler_factory: called with each new L{OcppConnection}, returns
        its L{IConnectionHandler}.
    @ivar security_profile: the L{SecurityProfile}.
    @ivar max_message_size: the longest message or frame accepted (and
        sent), in bytes.
    @ivar ping_interval: seconds between WebSocket pings (0: none).
    @ivar ping_timeout: seconds to wait for the pong before dropping the
        connection.
    @ivar clock: the C{IReactorTime} of the WebSocket timers.
    @ivar output_stall_timeout: seconds a connection's unsent output may
        stay over its transport's bound (reading from it paused meanwhile)
        before it is dropped (0: never dropped).
    @ivar write_now: C{None} (the default), or a callable answering whether
        what is sent now may leave at once: then a frame sent on a plain
        TCP connection with nothing else waiting to go is written to the
        socket at once, rather than by the reactor at its next poll, as
        Twisted does (cheaper: no registering the socket for writing and
        unregistering it). An application that must not let a frame leave
        before something done at the start of the next reactor turn (the
        central system's commit of the turn's writes) answers C{False}
        meanwhile; TLS connections and everything but plain TCP always
        take Twisted's way.
    """

    #: No "Starting factory <... object at 0x...>" lines: the services log
    #: what they listen on, and each connection, themselves.
    noisy = False

    write_now: Callable[[], bool] | None = None

    def _configure(
        self,
        handler_factory: Callable[[IOcppConnection], IConnectionHandler],
        security_profile: SecurityProfile,
        max_message_size: int,
        ping_interval: float,
        ping_timeout: float | None,
        clock: IReactorTime,
        open_handshake_timeout: float,
        close_handshake_timeout: float,
        output_stall_timeout: float = DEFAULT_OUTPUT_STALL_TIMEOUT,
        **options: Any,
    ) -> None:
        """
        Set the OCPP attributes and autobahn's protocol options.
        """
        if output_stall_timeout < 0:
            raise ValueError("output_stall_timeout must not be negative")
        self.output_stall_timeout = output_stall_timeout
        if max_message_size < 0:
            raise ValueError("max_message_size must not be negative")
        if ping_interval < 0:
            raise ValueError("ping_interval must not be negative")
        if ping_timeout is None:
            ping_timeout = ping_interval
        self.handler_factory = handler_factory
        self.security_profile = security_profile
        self.max_message_size = max_message_size
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.clock = clock
        self._protocols: set[OcppProtocolMixin] = set()
        self.setProtocolOptions(
            maxFramePayloadSize=max_message_size,
            maxMessagePayloadSize=max_message_size,
            autoPingInterval=ping_interval,
            autoPingTimeout=ping_timeout if ping_interval else 0,
            # close with the right code and a closing handshake, and answer
            # the peer's close frame with its code
            failByDrop=False,
            echoCloseCodeReason=True,
            openHandshakeTimeout=open_handshake_timeout,
            closeHandshakeTimeout=close_handshake_timeout,
            # no permessage-deflate (nor any other compression)
            perMessageCompressionAccept=lambda offers: None,
            **options,
        )
        install_timer(self, clock)

    def close_connections(
        self, code: int = CLOSE_GOING_AWAY, reason: str = "going away"
    ) -> Deferred[None]:
        """
        Close every connection of this factory: the open ones with a closing
        handshake, those still in their opening handshake at once.

        @param code: the close code.
        @param reason: the close reason.
        @return: a Deferred firing with C{None} once they are all lost.
        """
        check_close_code(code)
        protocols = list(self._protocols)
        waiting = [protocol.when_lost() for protocol in protocols]
        for protocol in protocols:
            protocol.close_websocket(code, reason)
        return gatherResults(waiting).addCallback(lambda _: None)
