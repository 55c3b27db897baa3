"""
Telling a caller's cancel from the error it surfaces as.

Cancelling a connection attempt does not always fail with
C{CancelledError}: while the host name is being resolved, Twisted's
C{HostnameEndpoint} reports it as a C{DNSLookupError}.  A transfer waits
on L{CancelNoting.wait} instead, so that it knows the caller cancelled,
whatever error the cancelled operation then fails with.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure


class CancelNoting:
    """
    Waits on an operation's Deferred, noting whether that wait was
    cancelled (by the transfer's caller: a Deferred coroutine passes its
    own cancel on to the Deferred it waits on).

    @ivar cancelled: whether the wait was cancelled.
    """

    def __init__(self) -> None:
        self.cancelled = False

    def wait(self, operation: Deferred) -> Deferred:
        """
        A Deferred firing as C{operation} does; cancelling it notes the
        cancel, then cancels C{operation}.

        @param operation: the Deferred to wait on (other cancels of it, a
            timeout's, are not noted).
        @return: the Deferred to wait on instead.
        """

        def cancel(_: Deferred) -> None:
            self.cancelled = True
            operation.cancel()

        waiting: Deferred = Deferred(cancel)

        def relay(result: Any) -> None:
            # After a cancel, C{waiting} may have failed already with
            # CancelledError; the operation's late outcome is then moot.
            if not waiting.called:
                if isinstance(result, Failure):
                    waiting.errback(result)
                else:
                    waiting.callback(result)

        operation.addBoth(relay)
        return waiting
