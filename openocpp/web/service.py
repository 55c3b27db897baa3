"""
The web service: one C{twisted.web} site serving the API under C{/api} and
the console at C{/}, next to the central system in the same process.
"""

from typing import Any

from twisted.application.service import MultiService
from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.endpoints import serverFromString
from twisted.logger import Logger
from twisted.protocols.policies import WrappingFactory
from twisted.web.http import HTTPChannel
from twisted.web.resource import Resource
from twisted.web.server import Site
from twisted.web.static import File

from openocpp.listening import ListeningService
from openocpp.web.api import ApiResource
from openocpp.web.auth import make_authenticator
from openocpp.web.events import LiveEvents, LiveEventsPlugin
from openocpp.web.messages import LiveFrames, MessageRoutes
from openocpp.web.metrics import MetricsResource
from openocpp.web.openapi import load_openapi
from openocpp.web.queries import ReadOnlyQueries
from openocpp.web.sse import EventStreams
from openocpp.web.uploads import (
    UploadFolder,
    UploadRequest,
    UploadsApi,
    UploadsResource,
    uploads_folder,
)

#: The name the live-events observer is registered under on the central
#: system's plugin manager.
PLUGIN_NAME = "openocpp-web-live-events"

#: The console's Content-Security-Policy: its own scripts and styles only.
_CSP = (
    b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def static_folder() -> str:
    """
    The folder of the console's files.
    """
    from importlib import resources

    return str(resources.files("openocpp.web") / "static")


class ConsoleFiles(File):
    """
    The console's static files, with headers keeping them to themselves.
    """

    def render(self, request: Any) -> Any:
        request.setHeader(b"content-security-policy", _CSP)
        request.setHeader(b"x-content-type-options", b"nosniff")
        request.setHeader(b"x-frame-options", b"DENY")
        request.setHeader(b"referrer-policy", b"no-referrer")
        return super().render(request)

    def directoryListing(self) -> Resource:
        return self.childNotFound


#: The default seconds a client has to send each whole request.
DEFAULT_REQUEST_TIMEOUT = 30.0


class DeadlineChannel(HTTPChannel):
    """
    An HTTP connection that must send each whole request (headers and body)
    within its site's C{request_timeout}, counted from when it connects or
    its previous answer ended.  twisted.web's own timeout restarts at every
    byte received, so a client sending a byte every few seconds (slowloris)
    would keep the connection forever.
    """

    log = Logger()

    _deadline: Any = None
    _partial = False

    def connectionMade(self) -> None:
        super().connectionMade()
        self._start_deadline()

    def dataReceived(self, data: bytes) -> None:
        if self._deadline is not None:
            self._partial = True
        super().dataReceived(data)

    def allContentReceived(self) -> None:
        self._cancel_deadline()
        super().allContentReceived()

    def requestDone(self, request: Any) -> None:
        # Before the next pipelined request is read, which may complete at
        # once (and cancel this deadline).
        self._start_deadline()
        super().requestDone(request)

    def connectionLost(self, reason: Any) -> None:
        self._cancel_deadline()
        super().connectionLost(reason)

    def _start_deadline(self) -> None:
        timeout = getattr(self.site, "request_timeout", 0)
        if not timeout or self._deadline is not None:
            return
        self._partial = False
        self._deadline = self.callLater(timeout, self._expired, timeout)

    def _cancel_deadline(self) -> None:
        deadline, self._deadline = self._deadline, None
        if deadline is not None and deadline.active():
            deadline.cancel()

    def _expired(self, timeout: float) -> None:
        self._deadline = None
        if self._partial:
            # An idle keep-alive connection closed is not worth a line; a
            # request begun and not finished is.
            peer = self.transport.getPeer()
            self.log.warn(
                "Closed the API connection of {peer}: no complete request within {timeout} seconds",
                peer=getattr(peer, "host", str(peer)),
                timeout=timeout,
            )
        self.transport.abortConnection()


class ApiSite(Site):
    """
    The API's site: its connections are L{DeadlineChannel}s.

    @ivar request_timeout: seconds a client has to send each whole request
        (0: no limit).
    """

    protocol = DeadlineChannel
    #: No "Starting factory <... object at 0x...>" line: the service logs
    #: where it listens.
    noisy = False

    def __init__(self, resource: Any, request_timeout: float, reactor: Any = None) -> None:
        # The idle timeout too: no connection stays open for nothing.
        super().__init__(resource, timeout=request_timeout or None, reactor=reactor)
        self.request_timeout = request_timeout


class _ConnectionTracker(WrappingFactory):
    """
    Keeps the site's open connections, so that stopping closes them (a
    browser keeps its connections open; an event stream never ends).
    """

    def __init__(self, wrapped: Any) -> None:
        super().__init__(wrapped)
        self._lost: dict[Any, Deferred] = {}

    def logPrefix(self) -> str:
        """
        What Twisted's port lines name the site by ("HTTP API starting on
        8081"), rather than C{ApiSite (_ConnectionTracker)}.
        """
        return "HTTP API"

    def registerProtocol(self, protocol: Any) -> None:
        super().registerProtocol(protocol)
        self._lost[protocol] = Deferred()

    def unregisterProtocol(self, protocol: Any) -> None:
        super().unregisterProtocol(protocol)
        lost = self._lost.pop(protocol, None)
        if lost is not None:
            lost.callback(None)

    def close_all(self) -> Deferred:
        waiting = list(self._lost.values())
        for protocol in list(self.protocols):
            protocol.transport.loseConnection()
        return DeferredList(waiting)


class WebService(MultiService):
    """
    The HTTP API and web console of a central system.

    @param central: the L{openocpp.centralsystem.interfaces.ICentralSystem},
        started before this service (add it to the same parent first).
    @param config: the L{openocpp.web.interfaces.IApiConfig}.
    @param reactor: the reactor (default: the global one).
    @param events: the L{openocpp.web.interfaces.ILiveEvents} (default: a
        new L{LiveEvents}).
    @param keepalive: seconds between the event streams' keep-alive lines.
    """

    log = Logger()

    def __init__(
        self,
        central: Any,
        config: Any,
        reactor: Any = None,
        events: Any = None,
        keepalive: float = 15.0,
    ) -> None:
        super().__init__()
        if reactor is None:
            from twisted.internet import reactor
        self.central = central
        self.config = config
        self.reactor = reactor
        self.events = events if events is not None else LiveEvents()
        self.streams = EventStreams(
            self.events,
            reactor,
            keepalive=keepalive,
            backlog=config.stream_backlog,
            max_streams=config.max_streams,
        )
        self.queries = ReadOnlyQueries(central.store)
        authenticator = make_authenticator(config.token)
        self.api = ApiResource(
            central,
            self.queries,
            self.events,
            self.streams,
            authenticator,
            load_openapi(),
        )
        # Diagnostics uploads: their endpoint beside /api, their routes in it.
        self.uploads = UploadFolder(uploads_folder(central.config.database))
        self.api.routes.extend(
            UploadsApi(central, self.uploads, config, self.api._call_failed).routes()
        )
        # The message log: the trace's frames, and live while it is on.
        trace = getattr(central, "trace", None)
        self.api.routes.extend(MessageRoutes(trace, reactor).routes())
        self._live_frames = None if trace is None else LiveFrames(trace, self.events, self.streams)
        root = ConsoleFiles(static_folder())
        root.putChild(b"api", self.api)
        cluster = getattr(central, "cluster", None)
        fan_in = getattr(cluster, "metrics_fan_in", None)
        root.putChild(b"metrics", MetricsResource(
            getattr(central, "metrics", None), authenticator, None if fan_in is None else fan_in.gather,
        ))
        uploads = UploadsResource(
            central.store, self.uploads, reactor, config.max_upload, events=self.events
        )
        root.putChild(b"uploads", uploads)
        self.site = ApiSite(
            root,
            config.request_timeout,
            reactor=reactor,
        )
        self.site.displayTracebacks = False
        # Uploads refused by their headers are not buffered (UploadRequest).
        self.site.requestFactory = UploadRequest
        self.site.upload_guard = uploads
        self._plugin: LiveEventsPlugin | None = None
        self._factory = _ConnectionTracker(self.site)
        self._factory.noisy = False
        # Bound in privilegedStartService (twistd --uid binds below 1024).
        self._listener = ListeningService(
            serverFromString(reactor, config.endpoint),
            self._factory,
            config.endpoint,
            "HTTP API",
            listened=self._listened,
        )
        self._listener.setServiceParent(self)

    def startService(self) -> None:
        self._plugin = LiveEventsPlugin(self.events)
        self.central.plugins.register(self._plugin, name=PLUGIN_NAME)
        self.streams.start()
        if self._live_frames is not None:
            self._live_frames.start()
        # In a cluster (--bus), every node's events in this node's streams.
        cluster = getattr(self.central, "cluster", None)
        self._fan_in = None if cluster is None else cluster.events.attach(self.events)
        super().startService()

    def _listened(self, port: Any) -> None:
        address = port.getHost()
        host, number = getattr(address, "host", address), getattr(address, "port", "")
        if self.config.token is None:
            self.log.warn(
                "HTTP API and console on http://{host}:{port}/ WITHOUT a token (--api-token): "
                "loopback only, and anyone on this machine may drive the charge points",
                host=host,
                port=number,
            )
        else:
            self.log.info(
                "HTTP API and console on http://{host}:{port}/ (the API token is required)",
                host=host,
                port=number,
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
        waiting = [super().stopService()]
        if self._plugin is not None:
            self.central.plugins.unregister(name=PLUGIN_NAME)
            self._plugin = None
        if self._live_frames is not None:
            self._live_frames.stop()
        if getattr(self, "_fan_in", None) is not None:
            self._fan_in()
            self._fan_in = None
        self.streams.stop()
        waiting.append(self._factory.close_all())
        return DeferredList(waiting, consumeErrors=True)
