"""
The handle on a charge point another node holds: an
L{openocpp.centralsystem.interfaces.IChargePointProxy} whose calls go
through the L{openocpp.cluster.routing.CommandRouter}, so every API route
and plugin works with it as with a local one.
"""

from dataclasses import dataclass
from typing import Any

from twisted.internet.defer import Deferred
from zope.interface import implementer

from openocpp.centralsystem.interfaces import IChargePointProxy
from openocpp.centralsystem.proxy import ChargePointProxy


@dataclass(frozen=True)
class RemotePeer:
    """
    The remote address of a connection on another node.

    @ivar host: the charge point's address as that node saw it.
    @ivar node: the node holding the connection.
    """

    host: str | None
    node: str

    def __str__(self) -> str:
        return str(self.host)


@implementer(IChargePointProxy)
class RemoteChargePointProxy(ChargePointProxy):
    """
    A charge point connected to another node. Its operations are those of
    L{ChargePointProxy} (each builds its request and L{call}s it); the
    holding node checks what OCPP forbids, with the registration status it
    knows, so C{registration_status} is None here.

    @param identity: the charge point's identity.
    @param node: the node holding it.
    @param info: what that node told of the connection (C{peer},
        C{securityProfile}).
    @param router: the L{openocpp.cluster.interfaces.ICommandRouter}.
    """

    def __init__(self, identity: str, node: str, info: dict, router: Any) -> None:
        self.identity = identity
        self.node = node
        self.peer = RemotePeer(info.get("peer"), node)
        self.security_profile = info.get("securityProfile")
        self.client_certificate = None
        self.connected = True
        self.registration_status = None
        self._router = router
        self._answer_observers = {}

    @property
    def pending_calls(self) -> int:
        return self._router.pending(self.identity)

    def __repr__(self) -> str:
        return f"<RemoteChargePointProxy {self.identity!r} on {self.node!r}>"

    def call(self, request: Any) -> Deferred:
        return self._router.call(self.node, self.identity, request)

    def disconnect(self) -> None:
        self._router.disconnect(self.node, self.identity)
