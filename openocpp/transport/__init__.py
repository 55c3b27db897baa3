"""
The transport layer of OCPP 1.6-J: one WebSocket per charge point, subprotocol
C{ocpp1.6}, the charge point identity in the URL, OCPP Security Profiles 0 to
3 (Basic authentication, TLS 1.2+, client certificates), on autobahn and
Twisted.

The layer above (the RPC layer) implements
L{IConnectionHandler<openocpp.transport.interfaces.IConnectionHandler>}:
the transport makes one per connection with the C{handler_factory} it was
given, and hands it an
L{IOcppConnection<openocpp.transport.interfaces.IOcppConnection>} to send
text messages on.

Central system::

    factory = OcppServerFactory(handler_factory, authenticator,
                                security_profile=SecurityProfile.TLS_BASIC)
    port = await listen(reactor, "tcp:8443", factory,
                        server_tls_options("key.pem", "chain.pem"))

Charge point::

    service = ClientConnectionService(reactor, "wss://cs.example.com/ocpp",
                                      "CP001", handler_factory,
                                      security_profile=2, password=key,
                                      ca_certificates="ca.pem")
    service.startService()
    connection = await service.whenConnected()
"""

from __future__ import annotations

from openocpp._lazy import lazy_exports

# Names exported, by the module defining them.  They are imported on first
# use, so that importing openocpp.transport.interfaces (as the RPC layer
# does) does not import autobahn, TLS and the rest.
_EXPORTS = {
    "openocpp.transport.client": [
        "ClientConnectionService",
        "OcppClientFactory",
        "OcppClientProtocol",
        "client_endpoint",
        "open_connection",
    ],
    "openocpp.transport.connection": ["OCPP_SUBPROTOCOL", "OcppConnection"],
    "openocpp.transport.errors": [
        "ConnectionClosed",
        "HandshakeFailed",
        "MessageTooLarge",
        "TransportError",
    ],
    "openocpp.transport.identity": [
        "InvalidIdentity",
        "connection_url",
        "identity_from_path",
    ],
    "openocpp.transport.interfaces": ["IConnectionHandler", "IOcppConnection"],
    "openocpp.transport.security": [
        "SecurityProfile",
        "client_tls_options",
        "server_tls_options",
    ],
    "openocpp.transport.server": [
        "OcppServerFactory",
        "OcppServerProtocol",
        "listen",
        "server_endpoint",
    ],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


__getattr__, __dir__ = lazy_exports(__name__, _MODULE_OF)
