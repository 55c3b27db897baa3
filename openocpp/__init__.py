"""
openocpp: OCPP 1.6-J (WebSocket + JSON) for charge points and central
systems, on Twisted.

Layers, each its own package: L{openocpp.transport} (WebSocket, Security
Profiles), L{openocpp.rpc} (OCPP-J calls), L{openocpp.messages} (the 39
actions, typed and validated), and the roles.
"""

from openocpp.hookspecs import hookimpl

__all__ = ["hookimpl"]
