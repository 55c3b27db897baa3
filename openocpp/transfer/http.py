"""
HTTP and HTTPS transfers, with treq (over twisted.web's C{Agent}).

A download is a C{GET} whose body is streamed into a L{PartialFile};
redirects are followed up to L{REDIRECT_LIMIT}.  An upload is a C{PUT} of the
file's bytes to the directory location joined with C{/} and the
percent-encoded file name (the central system's upload endpoint,
L{openocpp.web.uploads}, takes that and a multipart C{POST}).  HTTPS
verifies the server's certificate and host name against the system's
trusted CAs, or against a CA bundle given for private CAs.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from OpenSSL import SSL
from service_identity import VerificationError
from twisted.internet import error as net_error
from twisted.internet.defer import CancelledError, Deferred, maybeDeferred
from twisted.internet.protocol import Protocol
from twisted.internet.ssl import Certificate, trustRootFromCertificates
from twisted.internet.task import Cooperator
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web import error as web_error
from twisted.web.client import (
    Agent,
    BrowserLikePolicyForHTTPS,
    FileBodyProducer,
    HTTPConnectionPool,
    RedirectAgent,
    ResponseDone,
    ResponseFailed,
    ResponseNeverReceived,
)
from twisted.web.http import PotentialDataLoss, RESPONSES
from twisted.web.iweb import UNKNOWN_LENGTH

from openocpp.transfer.cancelling import CancelNoting
from openocpp.transfer.errors import TransferError
from openocpp.transfer.files import (
    IdleTimer,
    PartialFile,
    TouchingFile,
    size_limit_error,
    thread_writer,
)

#: The most redirects a download follows.
REDIRECT_LIMIT = 5

#: Bytes read from a file being uploaded at a time.
_READ_SIZE = 64 * 1024


def load_trust_root(trust_root: Any) -> Any:
    """
    The trust root HTTPS verifies servers with.

    @param trust_root: C{None} (the platform's trusted CAs), the path of a
        PEM file of one or more CA certificates (a private CA), or an
        C{IOpenSSLTrustRoot} already made.
    @return: what C{BrowserLikePolicyForHTTPS} takes.
    @raise TransferError: when the file can not be read or holds no
        certificate.
    """
    if trust_root is None or not isinstance(trust_root, (str, os.PathLike)):
        return trust_root
    try:
        with open(trust_root, "rb") as bundle:
            data = bundle.read()
    except OSError as error:
        raise TransferError(
            "cannot read the CA bundle {}: {}".format(trust_root, error.strerror or error)
        ) from error
    marker = b"-----END CERTIFICATE-----"
    pems = [part + marker for part in data.split(marker) if b"-----BEGIN CERTIFICATE-----" in part]
    if not pems:
        raise TransferError("no certificate in the CA bundle {}".format(trust_root))
    try:
        return trustRootFromCertificates([Certificate.loadPEM(pem) for pem in pems])
    except Exception as error:
        raise TransferError("cannot load the CA bundle {}: {}".format(trust_root, error)) from error


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """
    Take the C{user:password@} out of a URL: Twisted's agent would take it
    for part of the host name.  It becomes HTTP Basic authentication (RFC
    7617), sent to that origin only (the agent drops it on a redirect to
    another one).

    @param url: an C{http://} or C{https://} URL.
    @return: the URL without its user information, and C{(user,
        password)} percent-decoded, or C{None} when it has none.
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    credentials, _, host = parts.netloc.rpartition("@")
    user, _, password = credentials.partition(":")
    return urlunsplit(parts._replace(netloc=host)), (unquote(user), unquote(password))


def _status_text(code: int, phrase: bytes | None) -> str:
    text = (phrase or RESPONSES.get(code, b"")).decode("latin-1", "replace")
    return "HTTP {} {}".format(code, text).rstrip()


def _ssl_failure(failure: Any, host: str) -> str | None:
    """
    The TLS error among a failure's reasons, as text, if there is one.
    """
    reasons = getattr(failure.value, "reasons", None) or [failure]
    for reason in reasons:
        if reason.check(VerificationError):
            return "its certificate does not name {}".format(host)
        if reason.check(SSL.Error):
            details = [
                str(part[2]) for part in (reason.value.args[0] if reason.value.args else [])
                if isinstance(part, tuple) and len(part) == 3
            ]
            return ", ".join(details) or str(reason.value)
    return None


def _cancelled(failure: Any) -> bool:
    """
    Whether a request's failure is its cancellation (the agent wraps it).
    """
    inner = list(getattr(failure.value, "reasons", None) or [])
    return bool(failure.check(CancelledError)) or any(r.check(CancelledError) for r in inner)


def describe_failure(failure: Any, url: str, timeout: float, connect_timeout: float) -> TransferError:
    """
    The L{TransferError} for a failed HTTP request.

    @param failure: the request's failure.
    @param url: the URL asked for.
    @param timeout: the idle timeout (for its message).
    @param connect_timeout: the connect timeout (for its message).
    @return: the error with a one-line reason.
    """
    if failure.check(TransferError):
        return failure.value
    parts = urlsplit(url)
    # The host and port only: the netloc may hold user:password.
    where = parts.netloc.rpartition("@")[2] or url
    if failure.check(net_error.ConnectionRefusedError):
        return TransferError("connection refused by {}".format(where))
    if failure.check(net_error.TimeoutError):
        return TransferError(
            "timed out after {:g} s connecting to {}".format(connect_timeout, where)
        )
    if failure.check(net_error.DNSLookupError):
        return TransferError("cannot resolve the host of {}".format(url))
    inner = list(getattr(failure.value, "reasons", None) or [])
    if failure.check(CancelledError) or any(r.check(CancelledError) for r in inner):
        return TransferError(
            "timed out after {:g} s waiting for an answer from {}".format(timeout, url)
        )
    if any(r.check(web_error.InfiniteRedirection) for r in [failure] + inner):
        return TransferError("more than {} redirects from {}".format(REDIRECT_LIMIT, url))
    if any(r.check(web_error.SchemeNotSupported) for r in [failure] + inner):
        return TransferError("redirected to an unsupported location from {}".format(url))
    tls = _ssl_failure(failure, parts.hostname or where)
    if tls is not None:
        return TransferError("TLS with {} failed: {}".format(where, tls))
    if failure.check(ResponseNeverReceived, ResponseFailed):
        return TransferError("connection to {} lost before an answer".format(where))
    if failure.check(net_error.ConnectError):
        return TransferError("cannot connect to {}: {}".format(where, failure.value))
    return TransferError("{} from {}: {}".format(type(failure.value).__name__, url, failure.value))


class _IdleStop(Exception):
    """
    The body stopped because nothing arrived for the idle timeout.
    """


class _BodyWriter(Protocol):
    """
    Streams a response body into a L{PartialFile}, stopping at its limit
    or when idle too long.
    """

    def __init__(self, target: PartialFile, timer_factory: Any, finished: Deferred) -> None:
        self._target = target
        self._finished = finished
        self._failed: Exception | None = None
        self._timer = timer_factory(lambda: self._stop(_IdleStop()))

    def connectionMade(self) -> None:
        # Paused while the file's writing thread is behind.
        self._target.register_producer(self.transport)
        self._timer.touch()

    def dataReceived(self, data: bytes) -> None:
        if self._failed is not None:
            return
        self._timer.touch()
        try:
            self._target.write(data)
        except TransferError as error:
            self._stop(error)

    def _stop(self, error: Exception) -> None:
        self._failed = error
        # Closes the connection at once: connectionLost follows.
        self.transport.stopProducing()

    def cancel(self) -> None:
        """
        The download was cancelled: stop receiving.
        """
        if self._failed is None:
            self._stop(CancelledError())

    def connectionLost(self, reason: Any) -> None:
        self._timer.stop()
        if self._finished.called:
            # Cancelled: the Deferred has failed already.
            return
        if self._failed is not None:
            self._finished.errback(self._failed)
        elif reason.check(ResponseDone, PotentialDataLoss):
            self._finished.callback(None)
        else:
            self._finished.errback(
                TransferError("connection lost after {} bytes".format(self._target.written))
            )


class _Discard(Protocol):
    """
    Drops a response body we do not want, by closing its connection.
    """

    def connectionMade(self) -> None:
        self.transport.stopProducing()

    def connectionLost(self, reason: Any) -> None:
        pass



class HttpTransfers:
    """
    Downloads and uploads over C{http://} and C{https://}.

    Connections are not kept between transfers (transfers are rare, and a
    kept connection would outlive the test or the service).
    """

    log = Logger()

    def __init__(
        self,
        reactor: Any,
        timeout: float,
        connect_timeout: float,
        trust_root: Any = None,
    ) -> None:
        """
        @param reactor: the reactor (TCP, TLS, time).
        @param timeout: seconds a transfer may stay idle: waiting for an
            answer, or between two chunks of data.
        @param connect_timeout: seconds a connection may take to open.
        @param trust_root: see L{load_trust_root}.
        """
        import treq.client

        self._reactor = reactor
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._in_thread = thread_writer(reactor)
        policy = BrowserLikePolicyForHTTPS(trustRoot=load_trust_root(trust_root))
        pool = HTTPConnectionPool(reactor, persistent=False)
        agent = Agent(reactor, contextFactory=policy, connectTimeout=connect_timeout, pool=pool)
        self._client = treq.client.HTTPClient(agent)
        self._redirecting = treq.client.HTTPClient(RedirectAgent(agent, redirectLimit=REDIRECT_LIMIT))
        self._cooperator = Cooperator(
            scheduler=lambda work: reactor.callLater(0, work), started=True
        )

    def _timer(self, expired: Any) -> IdleTimer:
        return IdleTimer(self._reactor, self._timeout, expired)

    def download(self, url: str, destination: str, max_bytes: int | None = None) -> Deferred:
        """
        See L{ITransfers.download<openocpp.transfer.interfaces.ITransfers.download>}.
        """
        return Deferred.fromCoroutine(self._download(url, destination, max_bytes))

    async def _download(self, url: str, destination: str, max_bytes: int | None) -> int:
        # The temporary file first: a destination that cannot be written
        # fails before any connection is made.
        target = PartialFile(destination, max_bytes, self._in_thread)
        url, auth = split_credentials(url)
        try:
            request = self._redirecting.get(
                url, unbuffered=True, allow_redirects=False, auth=auth
            )
            response = await self._answer(request, url)
            if not 200 <= response.code < 300:
                response.deliverBody(_Discard())
                raise TransferError(
                    "{} from {}".format(_status_text(response.code, response.phrase), url)
                )
            length = response.length
            if max_bytes is not None and length is not UNKNOWN_LENGTH and length > max_bytes:
                response.deliverBody(_Discard())
                raise size_limit_error(max_bytes)
            writer: list[_BodyWriter] = []
            finished: Deferred = Deferred(lambda _: writer[0].cancel() if writer else None)
            writer.append(_BodyWriter(target, self._timer, finished))
            response.deliverBody(writer[0])
            try:
                await finished
            except _IdleStop:
                raise TransferError(
                    "timed out after {:g} s without data from {} ({} bytes received)".format(
                        self._timeout, url, target.written
                    )
                ) from None
        except BaseException:
            await target.discard()
            raise
        return await maybeDeferred(target.complete)

    async def _answer(self, request: Deferred, url: str) -> Any:
        """
        Wait for a request's answer (its status and headers), at most the
        idle timeout after it was sent.
        """
        timed_out: list[bool] = []

        def expired() -> None:
            timed_out.append(True)
            request.cancel()

        timer = self._timer(expired)
        timer.touch()
        caller = CancelNoting()
        try:
            return await caller.wait(request)
        except Exception:
            failure = Failure()
            if caller.cancelled or (not timed_out and _cancelled(failure)):
                # The caller cancelled, whatever the request failed with (a
                # DNSLookupError while the name resolves): not a failure of
                # the transfer.
                raise CancelledError() from None
            raise describe_failure(failure, url, self._timeout, self._connect_timeout) from None
        finally:
            timer.stop()

    def upload(self, url: str, source: str, file_name: str) -> Deferred:
        """
        See L{ITransfers.upload<openocpp.transfer.interfaces.ITransfers.upload>}.
        """
        return Deferred.fromCoroutine(self._upload(url, source, file_name))

    async def _upload(self, url: str, source: str, file_name: str) -> None:
        # The name joins the path; a query (a signed location's) stays.
        url, auth = split_credentials(url)
        parts = urlsplit(url)
        target = urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + quote(file_name, safe="")))
        try:
            file = open(source, "rb")
        except OSError as error:
            raise TransferError(
                "cannot read {}: {}".format(source, error.strerror or error)
            ) from error
        request: Deferred | None = None
        timed_out: list[bool] = []

        def expired() -> None:
            timed_out.append(True)
            if request is not None:
                request.cancel()

        timer = self._timer(expired)
        try:
            body = FileBodyProducer(
                TouchingFile(file, timer), cooperator=self._cooperator, readSize=_READ_SIZE
            )
            request = self._client.put(
                target,
                data=body,
                headers={"Content-Type": "application/octet-stream"},
                unbuffered=True,
                allow_redirects=False,
                auth=auth,
            )
            timer.touch()
            caller = CancelNoting()
            try:
                response = await caller.wait(request)
            except Exception:
                failure = Failure()
                if caller.cancelled or (not timed_out and _cancelled(failure)):
                    raise CancelledError() from None
                raise describe_failure(
                    failure, target, self._timeout, self._connect_timeout
                ) from None
        finally:
            timer.stop()
            file.close()
        response.deliverBody(_Discard())
        if not 200 <= response.code < 300:
            raise TransferError(
                "{} from {}".format(_status_text(response.code, response.phrase), target)
            )
