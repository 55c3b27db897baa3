"""
C{GET /api/v1/messages}: the frames of the trace (C{--trace}), newest
first, for the console's message log; and the live C{frame} events of the
stream, while the trace is on.

Query: C{chargePoint} (one charge point's frames), C{q} (a text the
frame's JSON holds, case ignored), C{before} (an RFC 3339 time: the frames
traced before it; the C{time} of a page's last item gives the next page),
C{limit} (1 to 1000, default 100). Answer: C{{"items": [...], "tracing":
true}}; without a trace, C{{"items": [], "tracing": false}} (never a 404,
so the console need not know how the server runs).
"""

from typing import Any

from twisted.internet.threads import deferToThreadPool

from openocpp.trace import MAX_LIMIT, normalise_time, read_trace
from openocpp.web.api import ApiError, Call, Route

#: The default number of frames answered.
DEFAULT_LIMIT = 100


class MessageRoutes:
    """
    The handler of the message-log route.

    @param trace: the central system's L{openocpp.trace.TraceWriter}, or
        C{None} when the trace is off.
    @param reactor: the reactor whose thread pool reads the files (reading
        rotated files for a rare search may take a while).
    """

    def __init__(self, trace: Any, reactor: Any) -> None:
        self._trace = trace
        self._reactor = reactor

    def routes(self) -> list[Route]:
        """
        @return: the routes, for C{ApiResource.routes}.
        """
        return [Route("v1/messages", GET=self.list)]

    def list(self, call: Call) -> Any:
        """
        C{GET}: the traced frames, newest first.
        """
        identity = call.arg("chargePoint")
        if identity is None:
            identity = call.arg("chargepoint")
        search = call.arg("q") or None
        before = call.arg("before") or None
        limit = call.integer("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        if before is not None:
            try:
                normalise_time(before)
            except ValueError as error:
                raise ApiError(400, "bad_query", f"query argument before: {error}") from None
        if self._trace is None:
            return {"items": [], "tracing": False}
        # What this turn traced is in the file before it is read.
        self._trace.flush()
        reading = deferToThreadPool(
            self._reactor,
            self._reactor.getThreadPool(),
            read_trace,
            self._trace.path,
            identity=identity or None,
            search=search,
            before=before,
            limit=limit,
        )
        return reading.addCallback(lambda items: {"items": items, "tracing": True})


class LiveFrames:
    """
    Publishes each traced frame as a C{frame} event of the live stream
    (C{{"chargePoint", "time", "direction", "frame"}}, and C{"invalid"}),
    while a stream is open: with none, a frame costs nothing more. The
    events are not kept for clients catching up (they would push the
    others out).

    @param trace: the L{openocpp.trace.TraceWriter}.
    @param events: the L{openocpp.web.interfaces.ILiveEvents}.
    @param streams: the L{openocpp.web.sse.EventStreams} (its length: the
        streams open).
    """

    def __init__(self, trace: Any, events: Any, streams: Any) -> None:
        self._trace = trace
        self._events = events
        self._streams = streams

    def start(self) -> None:
        """
        Listen to the trace.
        """
        self._trace.listeners.append(self._traced)

    def stop(self) -> None:
        """
        Stop listening.
        """
        if self._traced in self._trace.listeners:
            self._trace.listeners.remove(self._traced)

    def _traced(self, entry: dict) -> None:
        if not len(self._streams):
            return
        data = {
            "chargePoint": entry["identity"],
            "time": entry["time"],
            "direction": entry["direction"],
            "frame": entry["frame"],
        }
        if entry.get("invalid"):
            data["invalid"] = True
        self._events.publish("frame", data, keep=False)
