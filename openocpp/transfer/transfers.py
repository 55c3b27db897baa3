"""
L{Transfers}: the L{ITransfers} of the charge point, dispatching each
transfer on its URL's scheme to the HTTP(S) or the FTP client.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from twisted.internet.defer import CancelledError, Deferred, fail
from twisted.python.failure import Failure
from twisted.logger import Logger
from zope.interface import implementer

from openocpp.transfer.errors import TransferError
from openocpp.transfer.interfaces import ITransfers

#: The default seconds a transfer may stay idle (no answer, no data).
DEFAULT_TIMEOUT = 60.0

#: The default seconds a connection may take to open.
DEFAULT_CONNECT_TIMEOUT = 30.0

#: The default seconds a whole transfer may take: the idle timeout alone
#: would let a server dripping a byte now and then hold a download forever.
DEFAULT_MAX_DURATION = 3600.0


@implementer(ITransfers)
class Transfers:
    """
    Downloads and uploads over C{http://}, C{https://} and C{ftp://}.

    Any other scheme (or a URL without a host) fails at once with a
    L{TransferError} naming it.
    """

    log = Logger()

    def __init__(
        self,
        reactor: Any,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        trust_root: Any = None,
        max_duration: float | None = DEFAULT_MAX_DURATION,
    ) -> None:
        """
        @param reactor: the reactor (TCP, TLS, time).
        @param timeout: seconds a transfer may stay idle: waiting for an
            answer, or between two chunks of data.
        @param connect_timeout: seconds a connection may take to open.
        @param trust_root: what HTTPS verifies servers' certificates with:
            C{None} for the platform's trusted CAs, or the path of a PEM CA
            bundle (a private CA), or an C{IOpenSSLTrustRoot}.
        @param max_duration: seconds a whole transfer may take however
            steadily data flows (a slow-loris server), or C{None}: no limit.
        @raise TransferError: when the CA bundle can not be loaded.
        """
        self._reactor = reactor
        self._max_duration = max_duration
        from openocpp.transfer.ftp import FtpTransfers
        from openocpp.transfer.http import HttpTransfers

        http = HttpTransfers(reactor, timeout, connect_timeout, trust_root)
        ftp = FtpTransfers(reactor, timeout, connect_timeout)
        self._clients = {"http": http, "https": http, "ftp": ftp}

    def _client(self, url: str) -> Any:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        client = self._clients.get(scheme)
        if client is None:
            raise TransferError("unsupported scheme {!r} in {}".format(scheme, url))
        if not parts.hostname:
            raise TransferError("no host in {}".format(url))
        return client

    def download(self, url: str, destination: str, max_bytes: int | None = None) -> Deferred:
        """
        See L{ITransfers.download}.
        """
        try:
            client = self._client(url)
        except TransferError as error:
            return fail(error)
        return self._bounded(client.download(url, destination, max_bytes))

    def upload(self, url: str, source: str, file_name: str) -> Deferred:
        """
        See L{ITransfers.upload}.
        """
        try:
            client = self._client(url)
        except TransferError as error:
            return fail(error)
        return self._bounded(client.upload(url, source, file_name))

    def _bounded(self, work: Deferred) -> Deferred:
        """
        Cancel C{work} after the longest a transfer may take; its
        cancellation then fails it with a L{TransferError} saying so (a
        caller's own cancellation stays a C{CancelledError}).
        """
        if self._max_duration is None:
            return work
        expired: list[bool] = []

        def expire() -> None:
            expired.append(True)
            work.cancel()

        call = self._reactor.callLater(self._max_duration, expire)

        def done(result: Any) -> Any:
            if call.active():
                call.cancel()
            if expired and isinstance(result, Failure) and result.check(CancelledError):
                return Failure(TransferError(
                    "not finished after {:g} s, the longest a transfer may take".format(
                        self._max_duration
                    )
                ))
            return result

        return work.addBoth(done)
