"""
A fake connection for the RPC session's tests: an in-memory
L{IOcppConnection} recording the texts sent on it, as bounded as the
transport's.
"""

from __future__ import annotations

from datetime import datetime, timezone

from zope.interface import implementer

from openocpp.transport.errors import MessageTooLarge
from openocpp.transport.interfaces import IOcppConnection

#: The time of the RPC tests' messages.
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


@implementer(IOcppConnection)
class FakeConnection:
    """
    An in-memory L{IOcppConnection} that records what is sent on it.

    @ivar sent: the texts sent, in order.
    @ivar closed: C{(code, reason)} once closed, else C{None}.
    """

    def __init__(self, identity: str = "CP-1") -> None:
        self.identity = identity
        self.peer = None
        self.security_profile = 0
        self.client_certificate = None
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None

    #: The longest message send_text accepts, in bytes (as the transport's
    #: maximum message size).
    limit = 1 << 20

    def send_text(self, text: str) -> None:
        size = len(text.encode("utf-8"))
        if size > self.limit:
            raise MessageTooLarge(size, self.limit)
        self.sent.append(text)

    def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed = (code, reason)
