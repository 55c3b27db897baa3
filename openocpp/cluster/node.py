"""
One central system's place in a cluster (C{--node-id}, C{--bus}): the
bus, presence, command routing, cache invalidation and the fan-in of live
events, put together for L{openocpp.centralsystem.service.CentralSystem},
which tells it of its connections and asks it for charge points held
elsewhere. Imported only when C{--bus} is given.
"""

import json
import os
import socket
from typing import Any, Callable

from twisted.application.service import MultiService, Service
from twisted.internet.defer import Deferred, maybeDeferred, succeed
from twisted.logger import Logger

from openocpp.cluster.client import RedisBus, parse_bus_url
from openocpp.cluster.invalidation import CacheInvalidation
from openocpp.cluster.metrics import MetricsFanIn
from openocpp.cluster.presence import DEFAULT_TTL, Presence
from openocpp.cluster.remote import RemoteChargePointProxy
from openocpp.cluster.routing import CommandRouter


def default_node_id() -> str:
    """
    The node id when C{--bus} is given without C{--node-id}: the host name
    and the process id (unique on the machine, new at each start).
    """
    return f"{socket.gethostname()}-{os.getpid()}"


def connection_info(proxy: Any) -> dict:
    """
    What other nodes show of a local connection: its peer's address and
    security profile.
    """
    peer = getattr(proxy, "peer", None)
    return {
        "peer": None if peer is None else str(getattr(peer, "host", peer)),
        "securityProfile": getattr(proxy, "security_profile", None),
    }


class ClusterNode(MultiService):
    """
    A central system's cluster parts, started and stopped with it.

    @param bus_url: the C{redis://[[user]:password@]host:port[/db]} URL.
    @param node_id: this node's name.
    @param reactor: the reactor (connections and clock).
    @param local: returns the proxy of a charge point connected here, or
        None.
    @param local_proxies: returns the proxies connected here, a dict by
        identity.
    @param store: the central system's store (its C{forget_cached}).
    @param plugins: the central system's plugin manager: the invalidation
        hears of operator changes through its hook.
    @param call_timeout: the call timeout of routed calls.
    @param ttl: seconds this node's liveness lasts unless refreshed.
    @param endpoint: the client endpoint to Redis (default: TCP).
    @raise ValueError: C{bus_url} is not a C{redis://} URL.
    """

    log = Logger()

    def __init__(
        self,
        bus_url: str,
        node_id: str,
        reactor: Any,
        local: Callable[[str], Any],
        local_proxies: Callable[[], dict],
        store: Any,
        plugins: Any,
        call_timeout: float,
        ttl: float = DEFAULT_TTL,
        endpoint: Any = None,
    ) -> None:
        super().__init__()
        self.node_id = node_id
        #: None while running; the Deferreds waiting for the stop; "done".
        self._stopped: Any = None
        self.bus = RedisBus(parse_bus_url(bus_url), reactor, endpoint=endpoint)
        self._reactor = reactor
        #: The fan-in of every node's metrics (L{add_metrics}), or None.
        self.metrics_fan_in: MetricsFanIn | None = None
        self._local = local
        self._local_proxies = local_proxies
        self.presence = Presence(
            self.bus, reactor, node_id, self._close_local,
            lambda: {identity: connection_info(proxy) for identity, proxy in local_proxies().items()},
            ttl=ttl,
        )
        self.router = CommandRouter(self.bus, reactor, node_id, local, call_timeout)
        self.invalidation = CacheInvalidation(self.bus, node_id, store, plugins)
        self.events = EventFanIn(self.bus, node_id)
        # Presence stops (releasing this node's identities) before the bus.
        self.bus.setServiceParent(self)
        self.presence.setServiceParent(self)
        self.invalidation.setServiceParent(self)

    def add_metrics(self, metrics: Any) -> None:
        """
        Add this node's cluster metrics to the central system's
        (L{openocpp.metrics.Metrics}), read at each scrape:

          - C{openocpp_node_info{node}}: 1, naming this node (its
            C{--node-id}): Prometheus scrapes each node, and a query joins
            on it (C{* on(instance) group_left(node) openocpp_node_info})
            rather than every metric carrying the label;
          - C{openocpp_bus_connected}: 1 while both connections to Redis
            are up (pub/sub subscribed), else 0;
          - C{openocpp_remote_charge_points}: the charge points this node
            knows are connected to other nodes.

        And it answers the other nodes' requests for its metrics, and asks
        them for theirs (L{metrics_fan_in}: C{GET /metrics?scope=cluster}).
        """
        from prometheus_client import Gauge, Info

        Info("openocpp_node", "This node of a cluster (--node-id).", registry=metrics.registry).info(
            {"node": self.node_id}
        )
        bus = self.bus
        metrics.gauge(
            Gauge("openocpp_bus_connected", "1 while connected to the cluster's Redis (--bus), else 0.",
                  registry=metrics.registry),
            lambda: 1.0 if bus.connected and bus.subscribed else 0.0,
        )
        presence = self.presence
        metrics.gauge(
            Gauge("openocpp_remote_charge_points", "Charge points connected to the other nodes of the cluster.",
                  registry=metrics.registry),
            lambda: len(presence.elsewhere()),
        )
        self.metrics_fan_in = MetricsFanIn(self.bus, self._reactor, self.node_id, metrics.exposition)

    def _close_local(self, identity: str) -> None:
        proxy = self._local(identity)
        if proxy is not None:
            proxy.disconnect()

    def startService(self) -> None:
        self._stopped = None
        super().startService()

    def stopService(self) -> Deferred:
        # In order, each waiting for the one before: this node's identities
        # are released (their reply read) before the bus closes. Stopped
        # once: a second stop (the central system stopped twice) waits for
        # the first, never stops the bus from inside its own stop.
        if self._stopped is None:
            Service.stopService(self)
            self.router.cancel_all()
            stopping = maybeDeferred(self.invalidation.stopService)
            stopping.addCallback(lambda _: self.presence.stopService())
            stopping.addBoth(lambda _: self.bus.stopService())
            self._stopped = []
            stopping.addBoth(self._all_stopped)
        if self._stopped == "done":
            return succeed(None)
        waiting = Deferred()
        self._stopped.append(waiting)
        return waiting

    def _all_stopped(self, _: Any) -> None:
        waiting, self._stopped = self._stopped, "done"
        for deferred in waiting:
            deferred.callback(None)

    # -- what the central system asks -------------------------------------

    def attached(self, proxy: Any) -> None:
        """
        A charge point connected here: claim it.
        """
        if self.running:
            self.presence.claim(proxy.identity, connection_info(proxy))

    def detached(self, proxy: Any) -> None:
        """
        A charge point's connection here closed (it was the current one).
        """
        if self.running:
            self.presence.release(proxy.identity)

    def charge_point(self, identity: str) -> RemoteChargePointProxy:
        """
        The proxy of a charge point another node holds.

        @raise KeyError: no other live node holds it.
        """
        held = self.presence.where(identity)
        if held is None:
            raise KeyError(identity)
        node, info = held
        return RemoteChargePointProxy(identity, node, info, self.router)

    def locate(self, identity: str) -> Deferred:
        """
        Make sure a charge point another node holds is known here, asking
        Redis when this node's view does not say (L{Presence.locate}).

        @return: a Deferred firing with None once L{charge_point} can tell.
        """
        return self.presence.locate(identity).addCallback(lambda _: None)

    def charge_points(self) -> list[RemoteChargePointProxy]:
        """
        The proxies of the charge points the other nodes hold.
        """
        return [
            RemoteChargePointProxy(identity, node, info, self.router)
            for identity, (node, info) in self.presence.elsewhere().items()
        ]


class EventFanIn:
    """
    The live events of every node in each node's stream: each local event
    is published on C{openocpp:events} with its node, and the other nodes'
    are published into the local hub with a C{node} member (our own come
    back from Redis too, and are left out).

    @param bus: the L{openocpp.cluster.interfaces.IBus}.
    @param node_id: this node's name.
    @param prefix: the prefix of the channel.
    """

    log = Logger()

    def __init__(self, bus: Any, node_id: str, prefix: str = "openocpp:") -> None:
        self._bus = bus
        self._node_id = node_id
        self.channel = prefix + "events"
        self._hubs: list[Any] = []
        self._injecting = False
        bus.subscribe(self.channel, self._message)

    def attach(self, events: Any) -> Callable[[], None]:
        """
        Fan the events of L{openocpp.web.interfaces.ILiveEvents} C{events}
        in and out (the web service does, while it runs).

        @return: a callable that detaches it.
        """
        unsubscribe = events.subscribe(self._local_event)
        self._hubs.append(events)

        def detach() -> None:
            unsubscribe()
            if events in self._hubs:
                self._hubs.remove(events)

        return detach

    def _local_event(self, number: int, kind: str, data: dict) -> None:
        if self._injecting or not self._bus.connected:
            return
        message = json.dumps({"node": self._node_id, "kind": kind, "data": data}, ensure_ascii=False)
        self._bus.publish(self.channel, message).addErrback(lambda _: None)

    def _message(self, channel: bytes, data: bytes) -> None:
        message = json.loads(data)
        node = message.get("node")
        if node == self._node_id:
            return
        body = dict(message.get("data") or {})
        body["node"] = node
        self._injecting = True
        try:
            for events in list(self._hubs):
                events.publish(message.get("kind", "notification"), body)
        finally:
            self._injecting = False
