"""
The interfaces of a central system's cluster parts (L{openocpp.cluster}):
the bus to Redis, presence, command routing. Everything runs on the
reactor thread; nothing blocks.
"""

from zope.interface import Attribute, Interface


class IBus(Interface):
    """
    A Redis client kept connected (reconnecting with backoff), used by the
    cluster's collaborators. Implemented by
    L{openocpp.cluster.client.RedisBus}.
    """

    connected = Attribute("Whether the command connection is up now.")
    subscribed = Attribute("Whether the pub/sub connection is up with every channel subscribed.")

    def when_connected():
        """
        @return: a Deferred firing (with None) once the command connection
            is up, or failing with the first attempt's error.
        """

    def on_connected(observer):
        """
        Call C{observer()} each time the command connection comes up (the
        first time and after each outage); a Deferred it returns is only
        logged if it fails.
        """

    def on_subscribed(observer):
        """
        Call C{observer()} each time the pub/sub connection comes up with
        every channel subscribed again (messages sent while it was down are
        lost: the observer catches up).
        """

    def on_lost(observer):
        """
        Call C{observer()} each time the command or the pub/sub connection
        is lost (replies on their way are lost with it).
        """

    def execute(*arguments):
        """
        Send one command (pipelined behind those not answered yet).

        @return: a Deferred firing with the reply, or failing with
            L{openocpp.cluster.resp.RedisError} or, at once when the bus is
            down, L{openocpp.cluster.resp.BusConnectionLost}.
        """

    def evalsha(script, keys=(), arguments=()):
        """
        Run an L{openocpp.cluster.client.Script} (EVALSHA, or EVAL when
        Redis does not know it yet).

        @return: a Deferred as for L{execute}.
        """

    def publish(channel, data):
        """
        PUBLISH C{data} (bytes or str) on C{channel}.

        @return: a Deferred firing with how many subscribers got it.
        """

    def subscribe(channel, handler):
        """
        Call C{handler(channel, data)} (bytes) for each message on
        C{channel}, from now on and again after each reconnection.
        """

    def psubscribe(pattern, handler):
        """
        As L{subscribe}, for every channel matching C{pattern} (a prefix
        ending in C{*}).
        """


class IPresence(Interface):
    """
    Which node holds which charge point, across the cluster, kept in Redis
    and mirrored in memory for synchronous lookups. Implemented by
    L{openocpp.cluster.presence.Presence}; told of local connections by the
    central system, it closes a local connection another node took over.
    """

    node_id = Attribute("This node's name (C{--node-id}).")

    def claim(identity, info):
        """
        A charge point connected here: record C{identity -> this node}
        (taking it over from any other node, which closes its connection).

        @param info: what other nodes show of the connection, a JSON-ready
            dict (C{peer}, C{securityProfile}).
        @return: a Deferred firing once recorded (failures are logged, not
            raised: the connection is claimed again once the bus is back).
        """

    def release(identity):
        """
        A charge point's connection here closed: forget C{identity -> this
        node} if it is still ours (compare-and-delete).

        @return: a Deferred firing once done.
        """

    def where(identity):
        """
        @return: the node holding C{identity} elsewhere, and its info dict,
            as C{(node, info)}; or None when no other live node holds it.
        """

    def locate(identity):
        """
        Ask Redis which node holds C{identity} when L{where} does not know
        (the in-memory view follows the presence channel, which may lag by
        a moment); one held by another node is then known to L{where}.

        @return: a Deferred firing with what L{where} answers then (never
            failing).
        """

    def elsewhere():
        """
        @return: a dict C{identity -> (node, info)} of the charge points
            other live nodes hold.
        """

    def refresh(reclaim=True):
        """
        Refresh this node's liveness now, and reap the nodes whose liveness
        expired (done every third of the TTL). When this node's own had
        expired (the process stalled past the TTL, and may have been
        reaped), it claims its charge points again, unless C{reclaim} is
        false.

        @return: a Deferred firing once done, or None when the bus is down.
        """

    def nodes():
        """
        @return: a Deferred firing with a list of dicts, one per live node
            (C{node}, C{startedAt}, C{refreshedAt}, C{chargePoints}).
        """


class ICommandRouter(Interface):
    """
    Calls to charge points held by other nodes, through Redis: a request
    channel per node, the answer on a reply channel per request.
    Implemented by L{openocpp.cluster.routing.CommandRouter}.
    """

    def call(node, identity, request):
        """
        Send a CS-initiated request to the charge point C{identity} held by
        C{node}, which calls it on its connection.

        @return: a Deferred firing with the typed response, or failing as
            the call failed there (L{openocpp.rpc.errors.CallError},
            L{openocpp.rpc.errors.CallTimeout},
            L{openocpp.centralsystem.policy.CallRefused}, ...), with
            L{openocpp.rpc.errors.CallTimeout} when no answer came within
            the call timeout, or L{openocpp.rpc.errors.ConnectionLost}
            when the node or the bus is gone.
        """

    def pending(identity):
        """
        @return: how many calls to C{identity} are waiting for an answer.
        """

    def disconnect(node, identity):
        """
        Ask C{node} to close the connection of C{identity}.
        """
