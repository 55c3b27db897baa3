"""
The ways a CALL can fail, as seen by the code that made it or handles it.

A C{Deferred} returned by L{RpcSession.call
<openocpp.rpc.session.RpcSession.call>} fails with one of L{CallError},
L{CallTimeout}, L{ConnectionLost} or L{InvalidResponse} (or with
C{CancelledError} when cancelled).  A request handler raises L{CallError} to
answer with a CALLERROR of its choosing.
"""

from typing import Any

from twisted.python.failure import Failure

from openocpp.messages.errors import ErrorCode, ValidationError


class RpcError(Exception):
    """
    The base of the errors a CALL made through a session can fail with.
    """


class CallError(RpcError):
    """
    A CALLERROR: raised by a request handler to answer with it, or the reason
    a CALL we made failed when the peer answered with it.

    @ivar code: the error code: an L{ErrorCode}, or for a CALLERROR received
        with a code outside table 7, the string as received.
    @ivar description: the error's description (C{""} when none).
    @ivar details: the error's details, a dict (C{{}} when none).
    """

    def __init__(
        self,
        code: ErrorCode | str,
        description: str = "",
        details: dict[str, Any] | None = None,
    ) -> None:
        """
        @param code: the error code.
        @param description: what went wrong, for the peer.
        @param details: more about it, a JSON-ready dict (C{None}: C{{}}).
        """
        if details is None:
            details = {}
        super().__init__(code, description, details)
        self.code = code
        self.description = description
        self.details = details

    def __str__(self) -> str:
        if self.description:
            return f"{self.code}: {self.description}"
        return str(self.code)


class CallTimeout(RpcError):
    """
    A CALL we made got no answer in time.

    @ivar action: the action called.
    @ivar unique_id: the CALL's unique id.
    @ivar timeout: how long we waited, in seconds.
    """

    def __init__(self, action: str, unique_id: str, timeout: float) -> None:
        super().__init__(action, unique_id, timeout)
        self.action = action
        self.unique_id = unique_id
        self.timeout = timeout

    def __str__(self) -> str:
        return "%s (%s) got no answer within %g seconds" % (
            self.action,
            self.unique_id,
            self.timeout,
        )


class ConnectionLost(RpcError):
    """
    The connection closed before a CALL we made was answered (or sent).

    @ivar action: the action called.
    @ivar reason: why the connection closed, as the transport reported it
        (C{None} when the session closed before the call was made).
    """

    def __init__(self, action: str, reason: Failure | None = None) -> None:
        super().__init__(action, reason)
        self.action = action
        self.reason = reason

    def __str__(self) -> str:
        if self.reason is None:
            return f"{self.action}: the connection is closed"
        return "%s: the connection was lost: %s" % (
            self.action,
            self.reason.getErrorMessage(),
        )


class InvalidResponse(RpcError):
    """
    The peer answered a CALL we made with a CALLRESULT whose payload breaks
    the response's schema, or with a malformed CALLRESULT or CALLERROR frame.

    @ivar action: the action called.
    @ivar unique_id: the CALL's unique id.
    @ivar error: what is wrong with the answer, a L{ValidationError}.
    """

    def __init__(
        self, action: str, unique_id: str, error: ValidationError
    ) -> None:
        super().__init__(action, unique_id, error)
        self.action = action
        self.unique_id = unique_id
        self.error = error

    def __str__(self) -> str:
        return "%s (%s): invalid answer: %s" % (
            self.action,
            self.unique_id,
            self.error,
        )
