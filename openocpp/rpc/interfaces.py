"""
Interfaces of the RPC layer.

Everything here runs on the reactor thread.  Nothing may block: a request
handler or an observer with blocking work hands it to C{deferToThread}.
"""

from zope.interface import Attribute, Interface


class IRpcSession(Interface):
    """
    One OCPP-J connection seen as remote procedure calls: sends our CALLs
    (one outstanding at a time, the rest queued in order), answers the
    peer's CALLs with the request handlers it was given.

    Implemented by L{openocpp.rpc.session.RpcSession}; used by the charge
    point and central system roles, which hold one session per connection.
    """

    role = Attribute(
        "The L{openocpp.messages.registry.Role} this side plays: it decides "
        "which actions it may send and which it answers."
    )
    connection = Attribute(
        "The L{openocpp.transport.interfaces.IOcppConnection} the session "
        "runs on, or C{None} before the connection is made."
    )
    identity = Attribute(
        "The charge point identity of the connection (C{None} before the "
        "connection is made)."
    )
    pending_calls = Attribute(
        "How many of our CALLs are not answered yet: the outstanding one and "
        "those queued behind it (an C{int})."
    )
    call_timeout = Attribute(
        "Seconds to wait for the answer to a CALL once sent, unless the "
        "call says otherwise."
    )
    log_frames = Attribute(
        "Whether every frame in and out is logged, one debug line each "
        "(a C{bool}, off by default, may be switched at any time)."
    )
    answer_calls = Attribute(
        "Whether the peer's CALLs are answered at all (a C{bool}, on by "
        "default, may be switched at any time).  Off, no CALL of the peer, "
        "well formed or not, gets a CALLRESULT or CALLERROR and no handler "
        "is called: a charge point the central system Rejected answers "
        "nothing (OCPP 1.6 section 4.2)."
    )

    def call(request, timeout=None):
        """
        Send a request to the peer, after the calls queued before it.

        @param request: a request message object (e.g. a
            C{BootNotificationRequest}) of an action this role may send.
        @param timeout: seconds to wait for the answer once the CALL is
            sent; C{None} for the session's default.
        @return: a Deferred firing with the typed response object, or
            failing with L{openocpp.rpc.errors.CallError} (the peer's
            CALLERROR), L{openocpp.rpc.errors.CallTimeout},
            L{openocpp.rpc.errors.ConnectionLost},
            L{openocpp.rpc.errors.InvalidResponse}, or C{ValueError} for a
            request this role may not send (or not a request at all).
            Cancelling it takes the call out of the queue, or abandons it if
            already sent (a late answer is then ignored).
        """

    def add_observer(observer):
        """
        Show every frame sent and received to C{observer}.

        @param observer: an L{IFrameObserver}.
        """

    def remove_observer(observer):
        """
        Stop showing frames to C{observer}.

        @param observer: an L{IFrameObserver} added before.
        @raise ValueError: if it was not added.
        """


class IFrameObserver(Interface):
    """
    Sees every OCPP-J frame a session sends or receives, as text: for logs,
    metrics, traces.  Added with L{IRpcSession.add_observer}.

    Called synchronously on the reactor thread, as the frame goes out or
    comes in (before it is handled), so it must be quick and must not block.
    An observer that raises is logged and does not disturb the session.
    Frames received are shown even when they turn out to be malformed.
    """

    def __call__(direction, text, session):
        """
        @param direction: C{"in"} for a frame received, C{"out"} for one sent.
        @param text: the frame's JSON text, exactly as on the wire.
        @param session: the L{IRpcSession} that sent or received it.
        @return: ignored.
        """


class IParsedFrameObserver(IFrameObserver):
    """
    An L{IFrameObserver} that needs only a frame's first members: the
    session shows it what it parsed (or built, for the frames it sends)
    instead of the text, so the frame is not parsed twice.  It is called
    with the text, as an L{IFrameObserver}, for the frames the session
    cannot parse (malformed).  Called at the same moments, with the same
    guarantees.
    """

    def parsed(direction, kind, unique_id, name, session):
        """
        @param direction: C{"in"} for a frame received, C{"out"} for one sent.
        @param kind: the message type: 2 (CALL), 3 (CALLRESULT) or 4
            (CALLERROR).
        @param unique_id: the frame's unique id (a C{str}).
        @param name: a CALL's action, a CALLERROR's error code (as on the
            wire), C{None} for a CALLRESULT.
        @param session: the L{IRpcSession} that sent or received it.
        @return: ignored.
        """
