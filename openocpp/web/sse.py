"""
Server-Sent Events: the live events of L{openocpp.web.events}, streamed to
each client of C{/api/v1/stream} as they happen.

Each event goes out as C{id: N}, C{event: KIND} and C{data: JSON} lines; a
client reconnecting with C{Last-Event-ID: N} first gets the kept events
after N. A comment line goes out every C{keepalive} seconds so proxies and
clients see the stream alive. A client that stops reading (its socket's
buffer full) gets its events queued up to C{backlog} bytes, then is dropped.
At most C{max_streams} streams are open at once: one more is answered 503.
"""

import json
from typing import Any, Callable

from twisted.internet.interfaces import IPushProducer
from twisted.internet.task import LoopingCall
from twisted.logger import Logger
from zope.interface import implementer

_log = Logger()

#: The default bytes of events queued for a stream that stopped reading.
DEFAULT_STREAM_BACKLOG = 1024 * 1024
#: The default most streams open at once.
DEFAULT_MAX_STREAMS = 100

def format_event(number: int, kind: str, data: dict) -> bytes:
    """
    One event in the C{text/event-stream} format.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"id: {number}\nevent: {kind}\ndata: {text}\n\n".encode("utf-8")


@implementer(IPushProducer)
class _Stream:
    """
    One client's open stream: a producer on its connection, so that a
    client that stops reading pauses it.
    """

    def __init__(
        self,
        request: Any,
        selected: Callable[[dict], bool],
        backlog: int,
        forget: Callable[["_Stream"], None],
    ) -> None:
        self.request = request
        self._selected = selected
        self._backlog = backlog
        self._forget = forget
        self._paused = False
        self._queued: list[bytes] = []
        self._queued_bytes = 0
        self._unsubscribe: Callable[[], None] | None = None
        self.closed = False

    def start(self, events: Any, after: int | None) -> None:
        request = self.request
        request.setHeader(b"content-type", b"text/event-stream; charset=utf-8")
        request.setHeader(b"cache-control", b"no-store")
        request.setHeader(b"x-accel-buffering", b"no")
        request.registerProducer(self, True)
        request.notifyFinish().addBoth(lambda _: self._lost())
        # The first bytes send the headers: the client knows it is streaming.
        request.write(b"retry: 3000\n: openocpp live events\n\n")
        self._unsubscribe = events.subscribe(self.event, after)

    def event(self, number: int, kind: str, data: dict) -> None:
        if self.closed or not self._selected(data):
            return
        self._send(format_event(number, kind, data))

    def keepalive(self) -> None:
        if not self.closed and not self._paused:
            self.request.write(b": keepalive\n\n")

    def _send(self, chunk: bytes) -> None:
        if self._paused:
            self._queued.append(chunk)
            self._queued_bytes += len(chunk)
            if self._queued_bytes > self._backlog:
                peer = self.request.getClientAddress()
                _log.warn(
                    "Dropping the live-event client {peer}: it stopped reading ({size} bytes "
                    "queued, more than {backlog})",
                    peer=getattr(peer, "host", str(peer)),
                    size=self._queued_bytes,
                    backlog=self._backlog,
                )
                self._queued = []
                self._queued_bytes = 0
                self.close()
            return
        self.request.write(chunk)

    # -- IPushProducer ----------------------------------------------------

    def pauseProducing(self) -> None:
        self._paused = True

    def resumeProducing(self) -> None:
        self._paused = False
        queued, self._queued = self._queued, []
        self._queued_bytes = 0
        for chunk in queued:
            if self.closed or self._paused:
                self._queued.append(chunk)
                self._queued_bytes += len(chunk)
            else:
                self.request.write(chunk)

    def stopProducing(self) -> None:
        self._lost()

    # -- ending -----------------------------------------------------------

    def _lost(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if not self.closed:
            self.closed = True
            self._forget(self)

    def close(self) -> None:
        """
        End the stream (the service stops, or the client is too slow).
        """
        if self.closed:
            return
        self._lost()
        self.request.unregisterProducer()
        self.request.finish()


class EventStreams:
    """
    Every open stream of one site.

    @param events: the L{openocpp.web.interfaces.ILiveEvents}.
    @param clock: the C{IReactorTime} timing keep-alive comments.
    @param keepalive: seconds between keep-alive comments.
    @param backlog: bytes of events queued for a client that stopped
        reading before it is dropped.
    @param max_streams: the most streams open at once (0: no limit); one
        more is answered 503.
    """

    def __init__(
        self,
        events: Any,
        clock: Any,
        keepalive: float = 15.0,
        backlog: int = DEFAULT_STREAM_BACKLOG,
        max_streams: int = DEFAULT_MAX_STREAMS,
    ) -> None:
        self._events = events
        self._clock = clock
        self._keepalive = keepalive
        self._backlog = backlog
        self._max_streams = max_streams
        self._streams: set[_Stream] = set()
        self._timer: LoopingCall | None = None

    def __len__(self) -> int:
        return len(self._streams)

    def start(self) -> None:
        """
        Start sending keep-alive comments.
        """
        self._timer = LoopingCall(self._beat)
        self._timer.clock = self._clock
        self._timer.start(self._keepalive, now=False)

    def stop(self) -> None:
        """
        Stop the keep-alives and end every stream.
        """
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self._timer = None
        for stream in list(self._streams):
            stream.close()

    def _beat(self) -> None:
        for stream in list(self._streams):
            stream.keepalive()

    def open(self, request: Any, identity: str | None = None, after: int | None = None) -> None:
        """
        Stream the live events to C{request}'s client from now on (after the
        kept ones numbered past C{after}), those of charge point C{identity}
        only when it is given; with C{max_streams} open already, answer 503.
        """
        if self._max_streams and len(self._streams) >= self._max_streams:
            peer = request.getClientAddress()
            _log.warn(
                "Refused a live-event stream to {peer}: {count} are open, the most allowed",
                peer=getattr(peer, "host", str(peer)),
                count=len(self._streams),
            )
            request.setResponseCode(503)
            request.setHeader(b"content-type", b"application/json; charset=utf-8")
            request.setHeader(b"retry-after", b"30")
            request.write(
                json.dumps(
                    {
                        "error": "too_many_streams",
                        "code": None,
                        "description": f"at most {self._max_streams} event streams may be "
                        "open at once: try again later",
                    }
                ).encode("utf-8")
            )
            request.finish()
            return
        if identity is None:
            selected = lambda data: True  # noqa: E731
        else:
            selected = lambda data: data.get("chargePoint") == identity  # noqa: E731
        stream = _Stream(request, selected, self._backlog, self._streams.discard)
        self._streams.add(stream)
        stream.start(self._events, after)
