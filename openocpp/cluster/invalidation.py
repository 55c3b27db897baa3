"""
Cache invalidation across nodes: when an operator changes a charge point's
registration or an id tag on one node, the others forget their cached copy
(their store's C{forget_cached}), so their next decision reads the shared
database.
"""

import json
from typing import Any

from twisted.application.service import Service
from twisted.logger import Logger

from openocpp.hookspecs import hookimpl

#: The name the invalidation is registered under on the plugin manager.
PLUGIN_NAME = "openocpp-cluster-invalidation"

#: Operator changes whose key is a charge point's identity, and an id tag's.
_IDENTITY_CHANGES = frozenset({"chargePointRegistered", "chargePointUnregistered"})
_ID_TAG_CHANGES = frozenset({"idTagSet", "idTagRemoved"})


class CacheInvalidation(Service):
    """
    Publishes this node's committed operator changes on
    C{openocpp:invalidate} (it is a plugin of the C{openocpp_cs_operator_change}
    hook while it runs), and makes the store forget what other nodes
    changed.

    @param bus: the L{openocpp.cluster.interfaces.IBus}.
    @param node_id: this node's name.
    @param store: the store, whose C{forget_cached(identity=, id_tag=)} it
        calls.
    @param plugins: the plugin manager it registers itself on.
    @param prefix: the prefix of the channel.
    """

    log = Logger()

    def __init__(self, bus: Any, node_id: str, store: Any, plugins: Any, prefix: str = "openocpp:") -> None:
        self._bus = bus
        self._node_id = node_id
        self._store = store
        self._plugins = plugins
        self.channel = prefix + "invalidate"
        bus.subscribe(self.channel, self._message)
        # After an outage, what changed meanwhile is unknown: forget it all.
        bus.on_subscribed(self._resubscribed)
        self._subscribed_once = False

    def startService(self) -> None:
        super().startService()
        self._plugins.register(self, name=PLUGIN_NAME)

    def stopService(self) -> None:
        super().stopService()
        if self._plugins.get_plugin(PLUGIN_NAME) is self:
            self._plugins.unregister(name=PLUGIN_NAME)

    @hookimpl
    def openocpp_cs_operator_change(self, change: Any) -> None:
        if change.kind in _IDENTITY_CHANGES:
            body = {"identity": change.key}
        elif change.kind in _ID_TAG_CHANGES:
            body = {"idTag": change.key}
        else:
            return
        body["node"] = self._node_id
        self._bus.publish(self.channel, json.dumps(body)).addErrback(
            lambda failure: self.log.warn(
                "Could not tell the other nodes of {change} {key}: {error}",
                change=change.kind, key=change.key, error=failure.getErrorMessage(),
            )
        )

    def _message(self, channel: bytes, data: bytes) -> None:
        message = json.loads(data)
        if message.get("node") == self._node_id:
            return
        self._store.forget_cached(identity=message.get("identity"), id_tag=message.get("idTag"))

    def _resubscribed(self) -> None:
        if self._subscribed_once:
            self._store.forget_cached()
        self._subscribed_once = True
