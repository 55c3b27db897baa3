"""
openocpp: OCPP 1.6-J (WebSocket + JSON) for charge points and central
systems, on Twisted.

Layers, each its own package: L{openocpp.transport} (WebSocket, Security
Profiles), L{openocpp.rpc} (OCPP-J calls), L{openocpp.messages} (the 39
actions, typed and validated), and the roles.
"""

from openocpp.hookspecs import hookimpl

#: The release, the one place it is written (setup.cfg reads it).
__version__ = "0.1.0.dev0"

__all__ = ["hookimpl", "__version__"]
