"""
Exceptions of the transport layer.
"""

from __future__ import annotations


class TransportError(Exception):
    """
    Base class of the transport layer's exceptions.
    """


class ConnectionClosed(TransportError):
    """
    An OCPP-J WebSocket connection closed.  What
    L{openocpp.transport.interfaces.IConnectionHandler.connection_lost}
    receives, wrapped in a C{twisted.python.failure.Failure}.

    @ivar code: the WebSocket close code (RFC 6455 section 7.4.1): the
        peer's answer to our close frame or the close frame it sent, or 1006
        when the TCP connection ended without a closing handshake.
    @ivar reason: the close reason, or a description of why the connection
        dropped (C{str}, may be empty).
    @ivar was_clean: whether the WebSocket closing handshake completed.
    """

    def __init__(self, code: int | None, reason: str | None, was_clean: bool):
        """
        @param code: see L{code}.
        @param reason: see L{reason}.
        @param was_clean: see L{was_clean}.
        """
        super().__init__(code, reason, was_clean)
        self.code = code
        self.reason = reason or ""
        self.was_clean = was_clean

    def __str__(self) -> str:
        clean = "cleanly" if self.was_clean else "uncleanly"
        if self.reason:
            return f"connection closed {clean} (code {self.code}): {self.reason}"
        return f"connection closed {clean} (code {self.code})"


class HandshakeFailed(TransportError):
    """
    A client's WebSocket opening handshake did not succeed: the server
    refused it with an HTTP error (e.g. 401 for wrong Basic credentials,
    404 for an unknown identity), or did not agree to the C{ocpp1.6}
    subprotocol.

    @ivar status: the HTTP status code the server answered with (C{int}),
        or C{None} when the handshake failed for another reason.
    @ivar reason: what went wrong (C{str}).
    @ivar event: the security event the failure is (the whitepaper's type,
        e.g. C{"InvalidTLSVersion"} for a TLS version the client's check
        refused after the TLS handshake), or C{None}.
    """

    def __init__(self, status: int | None, reason: str, event: str | None = None):
        """
        @param status: see L{status}.
        @param reason: see L{reason}.
        @param event: see L{event}.
        """
        super().__init__(status, reason)
        self.status = status
        self.reason = reason
        self.event = event

    def __str__(self) -> str:
        if self.status is None:
            return f"WebSocket handshake failed: {self.reason}"
        return f"WebSocket handshake failed with HTTP {self.status}: {self.reason}"


class MessageTooLarge(TransportError, ValueError):
    """
    A message to send is longer than the connection's maximum message size.

    @ivar size: the size of the encoded message, in bytes.
    @ivar limit: the maximum message size, in bytes.
    """

    def __init__(self, size: int, limit: int):
        """
        @param size: see L{size}.
        @param limit: see L{limit}.
        """
        super().__init__(size, limit)
        self.size = size
        self.limit = limit

    def __str__(self) -> str:
        return (
            f"message of {self.size} bytes exceeds the maximum message size "
            f"of {self.limit} bytes"
        )
