"""
FTP transfers, with Twisted's own client (C{twisted.protocols.ftp.FTPClient}).

Passive mode always (a charge point is usually behind NAT), binary type, the
user and password from the URL (percent-decoded; anonymous without them).
The path is the URL's, percent-decoded and relative to the login folder as
RFC 1738 says (C{ftp://host/fw/a.bin} is C{fw/a.bin}; C{ftp://host//abs/a.bin}
is C{/abs/a.bin}).  A download is a C{RETR}, an upload a C{STOR} of the file
name into the URL's directory.  Each transfer has its own control
connection, closed with C{QUIT} once done.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from twisted.internet import error as net_error
from twisted.internet.defer import CancelledError, Deferred, maybeDeferred
from twisted.internet.endpoints import HostnameEndpoint, connectProtocol
from twisted.internet.protocol import Protocol
from twisted.internet.task import Cooperator
from twisted.logger import Logger
from twisted.protocols import ftp
from twisted.python.failure import Failure
from twisted.web.client import FileBodyProducer

from openocpp.transfer.cancelling import CancelNoting
from openocpp.transfer.errors import TransferError
from openocpp.transfer.files import IdleTimer, PartialFile, TouchingFile, thread_writer

#: The FTP port when the URL names none.
FTP_PORT = 21

#: Bytes read from a file being uploaded at a time.
_READ_SIZE = 64 * 1024

#: The password of an anonymous login (RFC 1635 asks for something
#: mail-like).
_ANONYMOUS_PASSWORD = "openocpp@"


class _Stopped(Exception):
    """
    A transfer we stopped ourselves (idle, over its limit): the reason is
    the L{TransferError} kept beside it.
    """


def _command_failure(failure: Failure) -> ftp.CommandFailed | None:
    """
    The server's refusal inside a failure: the client wraps a failed login
    in C{ConnectionLost("FTP connection lost", failure)}.
    """
    seen = 0
    while failure is not None and seen < 5:
        seen += 1
        if failure.check(ftp.CommandFailed):
            return failure.value
        inner = None
        for argument in getattr(failure.value, "args", ()):
            if isinstance(argument, Failure):
                inner = argument
        failure = inner
    return None


def _describe(failure: Failure, where: str, connect_timeout: float) -> TransferError:
    refused = _command_failure(failure)
    if refused is not None:
        lines = refused.args[0] if refused.args else []
        last = lines[-1] if lines else "refused"
        return TransferError("FTP {} (from {})".format(last, where))
    if failure.check(net_error.ConnectionRefusedError):
        return TransferError("connection refused by {}".format(where))
    if failure.check(net_error.TimeoutError):
        return TransferError(
            "timed out after {:g} s connecting to {}".format(connect_timeout, where)
        )
    if failure.check(net_error.DNSLookupError):
        return TransferError("cannot resolve the host {}".format(where))
    if failure.check(ftp.ConnectionLost):
        # The control connection closed (a server that answers garbage, or
        # hangs up mid-dialogue): the client's own error wraps the cause.
        inner = [a for a in failure.value.args if isinstance(a, Failure)]
        cause = inner[0].getErrorMessage() if inner else "closed"
        return TransferError("FTP connection to {} lost: {}".format(where, cause))
    if failure.check(ftp.FTPError):
        return TransferError("FTP data connection to {} failed".format(where))
    return TransferError(
        "FTP transfer with {} failed: {}".format(where, failure.getErrorMessage())
    )


class _Location:
    """
    The parts of an C{ftp://} URL, decoded.
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or ""
        try:
            self.port = parts.port or FTP_PORT
        except ValueError:
            raise TransferError("bad port in {}".format(url)) from None
        self.where = "{}:{}".format(self.host, self.port)
        if parts.username is None:
            self.user, self.password = "anonymous", _ANONYMOUS_PASSWORD
        else:
            self.user = unquote(parts.username)
            self.password = unquote(parts.password or "")
        path = unquote(parts.path)
        # RFC 1738: the path after the host's "/" is relative to the login
        # folder; a second "/" makes it absolute.
        self.path = path[1:] if path.startswith("/") else path
        if any(character in self.path + self.user + self.password for character in "\r\n\0"):
            raise TransferError("line breaks in {}".format(url))


class _Session:
    """
    One control connection and what stops it: the idle timer and the
    error that made us stop.
    """

    def __init__(self, reactor: Any, client: ftp.FTPClient, timeout: float) -> None:
        self.client = client
        self.stopped: TransferError | None = None
        self._timeout = timeout
        self.timer = IdleTimer(reactor, timeout, self._idle)
        self.timer.touch()

    def _idle(self) -> None:
        self.stop(TransferError("timed out after {:g} s without progress".format(self._timeout)))

    def stop(self, error: TransferError) -> None:
        if self.stopped is None:
            self.stopped = error
        self.client.transport.abortConnection()

    def close(self) -> None:
        self.timer.stop()
        if self.client.transport is not None and self.client.transport.connected:
            quit = self.client.quit()
            quit.addErrback(lambda _: None)
            self.client.transport.loseConnection()


class _FileWriter(Protocol):
    """
    The data connection of a C{RETR}: into a L{PartialFile}.
    """

    def __init__(self, target: PartialFile, session: _Session) -> None:
        self._target = target
        self._session = session

    def connectionMade(self) -> None:
        # Paused while the file's writing thread is behind.
        self._target.register_producer(self.transport)

    def dataReceived(self, data: bytes) -> None:
        if self._session.stopped is not None:
            return
        self._session.timer.touch()
        try:
            self._target.write(data)
        except TransferError as error:
            self.transport.abortConnection()
            self._session.stop(error)



class FtpTransfers:
    """
    Downloads and uploads over C{ftp://}.
    """

    log = Logger()

    def __init__(self, reactor: Any, timeout: float, connect_timeout: float) -> None:
        """
        @param reactor: the reactor (TCP, time).
        @param timeout: seconds a transfer may go without progress (an
            answer, a chunk of data).
        @param connect_timeout: seconds a connection (control or data) may
            take to open.
        """
        self._reactor = reactor
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._in_thread = thread_writer(reactor)
        self._cooperator = Cooperator(
            scheduler=lambda work: reactor.callLater(0, work), started=True
        )

    async def _login(self, location: _Location) -> _Session:
        client = ftp.FTPClient(location.user, location.password, passive=1)
        # The data connections too go through our reactor, with our timeout
        # (the class attribute is the global reactor's connectTCP).
        client.connectFactory = lambda host, port, factory: self._reactor.connectTCP(
            host, port, factory, timeout=self._connect_timeout
        )
        endpoint = HostnameEndpoint(
            self._reactor, location.host, location.port, timeout=self._connect_timeout
        )
        connecting = connectProtocol(endpoint, client)
        timed_out: list[bool] = []

        def expired() -> None:
            timed_out.append(True)
            connecting.cancel()

        timer = IdleTimer(self._reactor, self._connect_timeout + self._timeout, expired)
        timer.touch()
        caller = CancelNoting()
        try:
            await caller.wait(connecting)
        except Exception:
            failure = Failure()
            if caller.cancelled or (
                not timed_out and failure.check(CancelledError, net_error.ConnectingCancelledError)
            ):
                # The caller cancelled, whatever the connection failed with
                # (a DNSLookupError while the name resolves).
                raise CancelledError() from None
            if failure.check(net_error.ConnectingCancelledError):
                raise TransferError(
                    "timed out after {:g} s connecting to {}".format(
                        self._connect_timeout, location.where
                    )
                ) from None
            raise _describe(failure, location.where, self._connect_timeout) from None
        finally:
            timer.stop()
        return _Session(self._reactor, client, self._timeout)

    def _failed(self, session: _Session, location: _Location) -> Exception:
        if session.stopped is not None:
            return session.stopped
        failure = Failure()
        if failure.check(CancelledError):
            # The caller cancelled: the connections are closed by close().
            return CancelledError()
        return _describe(failure, location.where, self._connect_timeout)

    def download(self, url: str, destination: str, max_bytes: int | None = None) -> Deferred:
        """
        See L{ITransfers.download<openocpp.transfer.interfaces.ITransfers.download>}.
        """
        return Deferred.fromCoroutine(self._download(url, destination, max_bytes))

    async def _download(self, url: str, destination: str, max_bytes: int | None) -> int:
        location = _Location(url)
        if not location.path or location.path.endswith("/"):
            raise TransferError("no file name in {}".format(url))
        target = PartialFile(destination, max_bytes, self._in_thread)
        try:
            session = await self._login(location)
            try:
                try:
                    await session.client.retrieveFile(location.path, _FileWriter(target, session))
                except Exception:
                    raise self._failed(session, location) from None
                if session.stopped is not None:
                    raise session.stopped
            finally:
                session.close()
        except BaseException:
            await target.discard()
            raise
        return await maybeDeferred(target.complete)

    def upload(self, url: str, source: str, file_name: str) -> Deferred:
        """
        See L{ITransfers.upload<openocpp.transfer.interfaces.ITransfers.upload>}.
        """
        return Deferred.fromCoroutine(self._upload(url, source, file_name))

    async def _upload(self, url: str, source: str, file_name: str) -> None:
        location = _Location(url)
        if not file_name or "/" in file_name or any(c in file_name for c in "\r\n\0"):
            raise TransferError("bad file name {!r} for {}".format(file_name, url))
        folder = location.path.rstrip("/")
        path = folder + "/" + file_name if folder else file_name
        try:
            file = open(source, "rb")
        except OSError as error:
            raise TransferError(
                "cannot read {}: {}".format(source, error.strerror or error)
            ) from error
        try:
            session = await self._login(location)
            try:
                connected, finished = session.client.storeFile(path)
                try:
                    consumer = await _first(connected, finished)
                    body = FileBodyProducer(
                        TouchingFile(file, session.timer),
                        cooperator=self._cooperator,
                        readSize=_READ_SIZE,
                    )
                    consumer.registerProducer(body, True)
                    await body.startProducing(consumer)
                    consumer.unregisterProducer()
                    consumer.finish()
                    await finished
                except Exception:
                    # Its failure is the one raised here, or is moot.
                    finished.addErrback(lambda _: None)
                    raise self._failed(session, location) from None
            finally:
                session.close()
        finally:
            file.close()


def _first(connected: Deferred, finished: Deferred) -> Deferred:
    """
    The data connection's consumer once it is open, or the control
    connection's failure if the server refuses the C{STOR} first (then the
    data connection never opens).
    """
    result: Deferred = Deferred()

    def opened(consumer: Any) -> None:
        if not result.called:
            result.callback(consumer)

    def refused(failure: Failure) -> None:
        if not result.called:
            result.errback(failure)

    connected.addCallbacks(opened, refused)
    # Kept for the caller's own wait: a copy of the outcome only.
    finished.addErrback(lambda failure: (refused(failure), failure)[1])
    return result
