"""
Interfaces between the transport layer and the layer above it (the RPC
layer).

The transport carries OCPP-J text messages over one WebSocket per charge
point.  It gives the layer above an L{IOcppConnection} to send on, and drives
one L{IConnectionHandler} per connection with what happens on it.

Everything here runs on the reactor thread.  Nothing may block: a handler
with blocking work hands it to C{deferToThread}.
"""

from zope.interface import Attribute, Interface


class IOcppConnection(Interface):
    """
    One open OCPP-J WebSocket connection, as the layer above sees it.

    Implemented by L{openocpp.transport.connection.OcppConnection}, made by
    the transport's server and client protocols once the WebSocket handshake
    has succeeded (subprotocol C{ocpp1.6} agreed, the charge point
    authenticated); handed to L{IConnectionHandler.connection_made}.
    """

    identity = Attribute(
        "The charge point identity (C{str}) of the connection: parsed from "
        "the request path by a server, the one it connects as for a client."
    )
    peer = Attribute(
        "The remote C{twisted.internet.interfaces.IAddress} of the "
        "connection."
    )
    security_profile = Attribute(
        "The OCPP Security Profile (C{int} 0 to 3, a "
        "L{openocpp.transport.security.SecurityProfile}) the connection was "
        "made with."
    )
    client_certificate = Attribute(
        "The peer's TLS certificate as a "
        "C{twisted.internet.ssl.Certificate}, or C{None} when the "
        "connection is not TLS or the peer sent none.  On a central system "
        "this is the charge point's client certificate (Security Profile 3); "
        "on a charge point it is the central system's server certificate."
    )

    def send_text(text):
        """
        Send one WebSocket text message.

        When the connection is closing or closed the message is dropped,
        with a debug log line: the layer above learns about the closing from
        L{IConnectionHandler.connection_lost}.

        @param text: the message (an OCPP-J frame).
        @type text: C{str}
        @return: C{None}
        @raise openocpp.transport.errors.MessageTooLarge: when the UTF-8
            encoded message is longer than the connection's maximum message
            size; nothing is sent and the connection stays open.
        """

    def close(code=1000, reason=""):
        """
        Start the WebSocket closing handshake.
        L{IConnectionHandler.connection_lost} is called once the connection
        is closed.  Closing a connection that is closing or closed does
        nothing.

        @param code: the WebSocket close code (RFC 6455 section 7.4): 1000,
            one of 1001-1003 or 1007-1011, or 3000-4999.
        @type code: C{int}
        @param reason: a human readable reason, truncated to fit the close
            frame (123 bytes of UTF-8).
        @type reason: C{str}
        @raise ValueError: for a close code an endpoint may not send.
        """


class IConnectionHandler(Interface):
    """
    What happens on one OCPP-J connection, told to the layer above.

    Implemented by the RPC layer (L{openocpp.rpc.session.RpcSession}); made
    by the C{handler_factory(connection)} callable given to
    L{openocpp.transport.server.OcppServerFactory} and
    L{openocpp.transport.client.OcppClientFactory}, exactly one per
    connection, once the WebSocket is open.  Called by the transport on the
    reactor thread.  A handler method that raises is logged; the connection
    stays open (except after C{connection_made}, see there).
    """

    def connection_made(connection):
        """
        The WebSocket is open: messages may be sent on C{connection}.
        Called once, first.  If it raises, the connection is closed with
        code 1011 (and L{connection_lost} still follows).

        @param connection: the L{IOcppConnection}.
        """

    def text_received(text):
        """
        One WebSocket text message arrived (valid UTF-8, no longer than the
        maximum message size: anything else closes the connection before it
        gets here).

        @param text: the message.
        @type text: C{str}
        """

    def connection_lost(reason):
        """
        The connection is closed.  Called exactly once, last, and only if
        L{connection_made} was called.

        @param reason: why, a C{twisted.python.failure.Failure} wrapping an
            L{openocpp.transport.errors.ConnectionClosed} with the WebSocket
            close code (1006 when the TCP connection was dropped without a
            closing handshake) and reason.
        """
