"""
The RPC layer of OCPP-J 1.6 (section 4 of the OCPP-J specification): frames
(CALL, CALLRESULT, CALLERROR), and L{RpcSession}, which runs one connection
as remote procedure calls both ways::

    def handler_factory(connection):  # the transport calls it per connection
        return RpcSession(Role.CENTRAL_SYSTEM, {"Heartbeat": on_heartbeat}, reactor)

    # later, on a session:
    d = session.call(ResetRequest(type=ResetType.SOFT))  # fires with a ResetResponse

The transport calls the session as the connection's
L{IConnectionHandler<openocpp.transport.interfaces.IConnectionHandler>};
the role calls L{RpcSession.call} with request objects.
"""

from openocpp.rpc.errors import (
    CallError,
    CallTimeout,
    ConnectionLost,
    InvalidResponse,
    RpcError,
)
from openocpp.rpc.frames import (
    Call,
    CallErrorFrame,
    CallResult,
    FrameError,
    MessageType,
    parse_frame,
    unique_id_factory,
)
from openocpp.rpc.interfaces import IFrameObserver, IRpcSession
from openocpp.rpc.session import RequestHandler, RpcSession

__all__ = [
    "Call",
    "CallError",
    "CallErrorFrame",
    "CallResult",
    "CallTimeout",
    "ConnectionLost",
    "FrameError",
    "IFrameObserver",
    "IRpcSession",
    "InvalidResponse",
    "MessageType",
    "RequestHandler",
    "RpcError",
    "RpcSession",
    "parse_frame",
    "unique_id_factory",
]
