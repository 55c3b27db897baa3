"""
A listening port as a child service, written once for the central system
and the web service.

L{ListeningService} is Twisted's C{StreamServerEndpointService}: it binds
its port in C{privilegedStartService}, so that C{twistd --uid} can bind a
port below 1024 before it drops its privileges. Beyond it, it offers
L{ListeningService.when_listening}, says in one log line (no traceback, no
"Unhandled error in Deferred") when its port cannot listen, and listens
again when started after a stop.
"""

from typing import Any, Callable

from twisted.application.internet import StreamServerEndpointService
from twisted.application.service import Service
from twisted.internet.defer import CancelledError, Deferred, fail, maybeDeferred, succeed
from twisted.logger import Logger


class ListeningService(StreamServerEndpointService):
    """
    Listens on an endpoint with a factory while running.

    @param endpoint: the C{IStreamServerEndpoint}.
    @param factory: the factory of the connections' protocols.
    @param description: what it listens on, for log lines (the endpoint
        string).
    @param what: who listens, for log lines (C{"Central system"}).
    @param listened: called with the port once it listens (its owner's
        "listening on" line), or None.

    @ivar port: the C{IListeningPort} while it listens, else None.
    """

    log = Logger()

    def __init__(
        self,
        endpoint: Any,
        factory: Any,
        description: str,
        what: str,
        listened: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(endpoint, factory)
        self.description = description
        self.what = what
        self.port: Any = None
        self._listened = listened
        self._failure: Any = None
        self._waiting: list[Deferred] = []

    def privilegedStartService(self) -> None:
        """
        Start listening (before privileges are dropped, under twistd).
        """
        Service.privilegedStartService(self)
        self.port = None
        self._failure = None
        self._waitingForPort = self.endpoint.listen(self.factory)
        self._waitingForPort.addCallbacks(self._listening, self._cannot_listen)

    def _listening(self, port: Any) -> Any:
        self.port = port
        if self._listened is not None:
            self._listened(port)
        waiting, self._waiting = self._waiting, []
        for each in waiting:
            each.callback(port)
        return port

    def _cannot_listen(self, failure: Any) -> None:
        # Consumed here, so no "Unhandled error in Deferred": whoever needs
        # to know asks when_listening().
        self._failure = failure
        if not failure.check(CancelledError):
            self.log.error(
                "{what} cannot listen on {endpoint}: {reason}",
                what=self.what,
                endpoint=self.description,
                reason=failure.getErrorMessage(),
            )
        waiting, self._waiting = self._waiting, []
        for each in waiting:
            each.errback(failure)

    def when_listening(self) -> Deferred:
        """
        @return: a Deferred firing with the listening port once it listens
            (at once if it does), or failing with the reason it cannot
            (C{CancelledError} when stopped first).
        @raise RuntimeError: the service was never started.
        """
        if self.port is not None:
            return succeed(self.port)
        if self._failure is not None:
            return fail(self._failure)
        if self._waitingForPort is None:
            raise RuntimeError(f"{self.what} is not running")
        waiting: Deferred = Deferred()
        self._waiting.append(waiting)
        return waiting

    def stopService(self) -> Deferred:
        """
        Stop listening (or cancel the attempt), so that a later start
        listens again.

        @return: a Deferred firing once the port is closed.
        """
        Service.stopService(self)
        attempt, self._waitingForPort = self._waitingForPort, None
        port, self.port = self.port, None
        self._failure = None
        if port is not None:
            return maybeDeferred(port.stopListening)
        if attempt is not None:
            attempt.cancel()
        return succeed(None)
