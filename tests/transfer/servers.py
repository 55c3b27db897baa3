"""
Servers on 127.0.0.1 for the transfer tests: a twisted.web site (files, a
404, a redirect, a server that never answers, an upload sink) over HTTP or
HTTPS, and Twisted's own FTP server over a temporary folder, with users.
"""

from __future__ import annotations

from typing import Any

from zope.interface import alsoProvides, implementer

from twisted.cred.checkers import AllowAnonymousAccess, InMemoryUsernamePasswordDatabaseDontUse
from twisted.cred.portal import Portal
from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks, succeed
from twisted.internet.interfaces import (
    IHostnameResolver,
    IHostResolution,
    IReactorPluggableNameResolver,
    IReactorTCP,
    IReactorTime,
)
from twisted.internet.task import deferLater
from twisted.python.components import proxyForInterface
from twisted.internet.ssl import PrivateCertificate
from twisted.protocols.ftp import FTPAnonymousShell, FTPFactory, FTPRealm, IFTPShell
from twisted.python.filepath import FilePath
from twisted.web.resource import NoResource, Resource
from twisted.web.server import NOT_DONE_YET, Site
from twisted.web.util import Redirect

from tests.transport.certificates import tls_files


class _Watched(Resource):
    """
    A resource that keeps the requests it got, and tells a test when one
    arrives (instead of the test sleeping a while).
    """

    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Any] = []
        self._waiting: list[Deferred] = []

    def request_seen(self) -> Deferred:
        """
        A Deferred firing once this resource has got a request.
        """
        if self.requests:
            return succeed(None)
        seen: Deferred = Deferred()
        self._waiting.append(seen)
        return seen

    def _seen(self, request: Any) -> None:
        self.requests.append(request)
        waiting, self._waiting = self._waiting, []
        for seen in waiting:
            seen.callback(None)


class Hang(_Watched):
    """
    Never answers (until the test ends): for timeouts.
    """

    def render(self, request: Any) -> Any:
        self._seen(request)
        return NOT_DONE_YET


class Stall(_Watched):
    """
    Answers 200 with a Content-Length of 1000, sends 10 bytes, then nothing.
    """

    def render_GET(self, request: Any) -> Any:
        request.setHeader(b"content-length", b"1000")
        request.write(b"0123456789")
        self._seen(request)
        return NOT_DONE_YET


@implementer(IHostnameResolver)
class SilentResolver:
    """
    A name resolver that never answers: a transfer to any host name waits
    in name resolution until it is cancelled.
    """

    def resolveHostName(
        self, resolutionReceiver: Any, hostName: str, portNumber: int = 0,
        addressTypes: Any = None, transportSemantics: str = "TCP",
    ) -> Any:
        resolutionReceiver.resolutionBegan(HostResolution(hostName))
        return resolutionReceiver


def silent_resolver_reactor() -> Any:
    """
    The global reactor, with a L{SilentResolver} for its name resolver.
    """
    proxy = proxyForInterface(IReactorTCP)(reactor)
    # The rest (time, threads) from the reactor itself.
    for name in ("callLater", "seconds", "getThreadPool", "callFromThread", "callInThread"):
        setattr(proxy, name, getattr(reactor, name))
    proxy.nameResolver = SilentResolver()
    alsoProvides(proxy, IReactorPluggableNameResolver, IReactorTime)
    return proxy


@implementer(IHostResolution)
class HostResolution:
    """
    A name resolution in progress (that L{SilentResolver} never ends).
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:
        pass


class Bytes(Resource):
    """
    Serves fixed bytes (optionally without a Content-Length, chunked).
    """

    isLeaf = True

    def __init__(self, data: bytes, chunked: bool = False) -> None:
        super().__init__()
        self.data = data
        self.chunked = chunked

    def render_GET(self, request: Any) -> Any:
        if not self.chunked:
            return self.data
        for start in range(0, len(self.data), 1000):
            request.write(self.data[start : start + 1000])
        request.finish()
        return NOT_DONE_YET


class Sink(Resource):
    """
    Takes PUTs: keeps each body by the path it was sent to.
    """

    isLeaf = True

    def __init__(self, code: int = 201) -> None:
        super().__init__()
        self.received: dict[bytes, bytes] = {}
        self.queries: list[bytes] = []
        self.code = code

    def render_PUT(self, request: Any) -> bytes:
        self.received[request.path] = request.content.read()
        if b"?" in request.uri:
            self.queries.append(request.uri.split(b"?", 1)[1])
        request.setResponseCode(self.code)
        return b""


class WebServer:
    """
    A site on 127.0.0.1: C{/fw.bin} (the C{data}), C{/chunked.bin} (the same
    without Content-Length), C{/redirect} (to C{/fw.bin}), C{/loop} (a
    redirect to itself), C{/hang}, C{/stall}, C{/upload/...} (a L{Sink}),
    C{/forbidden/...} (a L{Sink} answering 403); anything else is 404.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        root = Resource()
        root.putChild(b"fw.bin", Bytes(data))
        root.putChild(b"chunked.bin", Bytes(data, chunked=True))
        root.putChild(b"redirect", Redirect(b"/fw.bin"))
        root.putChild(b"loop", Redirect(b"/loop"))
        self.hang = Hang()
        root.putChild(b"hang", self.hang)
        self.stall = Stall()
        root.putChild(b"stall", self.stall)
        self.sink = Sink()
        root.putChild(b"upload", self.sink)
        root.putChild(b"forbidden", Sink(code=403))
        root.putChild(b"missing", NoResource())
        self.site = Site(root)
        self.port: Any = None

    def start(self, tls: bool = False, wrong_host: bool = False) -> str:
        """
        Listen; return the base URL (no trailing slash).

        @param tls: serve HTTPS, with the test CA's certificate for
            127.0.0.1 (or, with C{wrong_host}, for another host only).
        """
        if tls:
            files = tls_files()
            issued = files.wrong_host_server if wrong_host else files.server
            pem = issued.certificate.read_bytes() + issued.key.read_bytes()
            options = PrivateCertificate.loadPEM(pem).options()
            self.port = reactor.listenSSL(0, self.site, options, interface="127.0.0.1")
        else:
            self.port = reactor.listenTCP(0, self.site, interface="127.0.0.1")
        scheme = "https" if tls else "http"
        return "{}://127.0.0.1:{}".format(scheme, self.port.getHost().port)

    def stop(self) -> Deferred:
        """
        Stop listening (once), and end requests left hanging.
        """
        port, self.port = self.port, None
        if port is None:
            return succeed(None)
        for request in self.hang.requests + self.stall.requests:
            if not request.finished and request.channel is not None:
                request.channel.transport.abortConnection()
        return port.stopListening()


class _Realm(FTPRealm):
    """
    Homes under one folder; C{reader}'s shell is read-only (as an anonymous
    user's: every write is refused with 550).
    """

    def requestAvatar(self, avatarId: Any, mind: Any, *interfaces: Any) -> Any:
        name = avatarId.decode() if isinstance(avatarId, bytes) else avatarId
        if name == "reader":
            avatar = FTPAnonymousShell(self.userHome.child(name))
            return IFTPShell, avatar, lambda: None
        if isinstance(avatarId, bytes):
            avatarId = name
        return super().requestAvatar(avatarId, mind, *interfaces)


class FtpServer:
    """
    Twisted's FTP server over a temporary folder: user C{alice} (password
    C{"p@ss:w/rd"}) owns the folder (C{alice}'s home); user C{reader}
    (password C{"secret"}) has a home of its own, read-only;
    anonymous users are allowed, read-only.
    """

    def __init__(self, folder: str) -> None:
        self.root = FilePath(folder)
        self.home = self.root.child("alice")
        self.home.makedirs()
        self.reader_home = self.root.child("reader")
        self.reader_home.makedirs()
        self.public = self.root.child("public")
        self.public.makedirs()
        checker = InMemoryUsernamePasswordDatabaseDontUse()
        checker.addUser("alice", "p@ss:w/rd")
        checker.addUser("reader", "secret")
        realm = _Realm(anonymousRoot=self.public.path, userHome=self.root.path)
        portal = Portal(realm, [AllowAnonymousAccess(), checker])
        self.factory = FTPFactory(portal)
        self.factory.allowAnonymous = True
        self.port: Any = None

    def start(self) -> int:
        """
        Listen; return the port.
        """
        self.port = reactor.listenTCP(0, self.factory, interface="127.0.0.1")
        return self.port.getHost().port

    @inlineCallbacks
    def stop(self) -> Any:
        """
        Stop listening, close the connections left, and wait until they and
        their data ports are gone (the server closes a data port a turn
        after its connection is lost).
        """
        for protocol in list(self.factory.instances):
            protocol.transport.abortConnection()
        port, self.port = self.port, None
        if port is not None:
            yield port.stopListening()
        while self.factory.instances:
            yield deferLater(reactor, 0, lambda: None)
        yield deferLater(reactor, 0, lambda: None)
