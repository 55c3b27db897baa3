"""
Presence: which node holds which charge point, in Redis.

What is in Redis (every key under the prefix, C{openocpp:} by default):

  - C{cp:IDENTITY} -> the node holding it (no TTL: it is valid while its
    node is alive);
  - C{node:NODE} -> the node's liveness, a JSON dict, with a TTL the node
    refreshes every third of it: one command per refresh however many
    charge points it holds (not 100,000 PEXPIREs);
  - C{node:NODE:cps} -> a hash of the identities it holds and their info;
  - C{nodes} -> the set of node names; C{claims} -> the claim counter.

Claims and releases are Lua scripts (atomic, EVALSHA), and each publishes
what it did on the C{presence} channel in the same step, numbered by the
claim counter: so every node sees them in one order, and a node whose own
claim is older than another's closes its connection (the takeover). A
release deletes the mapping only while it is still ours
(compare-and-delete). A node whose liveness expired (killed) is reaped by
the first live node that notices: its mappings deleted, its hash dropped.

Each node keeps a mirror of the other nodes' charge points in memory, fed
by the channel and loaded again each time its pub/sub connection comes
back, so that lookups (the API's) are synchronous and cost no round trip.
"""

import json
import time
from typing import Any, Callable

from twisted.application.service import Service
from twisted.internet.defer import Deferred, DeferredList, succeed
from twisted.internet.task import LoopingCall
from twisted.logger import Logger
from zope.interface import implementer

from openocpp.cluster.client import Script
from openocpp.cluster.interfaces import IPresence

#: Seconds a node's liveness lasts unless refreshed (every third of it).
DEFAULT_TTL = 15.0

#: KEYS: cp key, own hash, counter. ARGV: node, identity, info JSON, mode
#: ("force": a new connection; "keep": claimed again after an outage,
#: unless another live node took it meanwhile), prefix, channel.
CLAIM = Script("""
local old = redis.call('GET', KEYS[1])
if ARGV[4] == 'keep' and old and old ~= ARGV[1] then
  if redis.call('EXISTS', ARGV[5] .. 'node:' .. old) == 1 then
    return {0, old}
  end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
if old and old ~= ARGV[1] then
  redis.call('HDEL', ARGV[5] .. 'node:' .. old .. ':cps', ARGV[2])
end
local seq = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[6], '{"op":"claim","seq":' .. seq .. ',"node":' .. cjson.encode(ARGV[1])
  .. ',"identity":' .. cjson.encode(ARGV[2]) .. ',"info":' .. ARGV[3] .. '}')
return {seq, old or ''}
""")

#: KEYS: cp key, own hash. ARGV: node, identity, channel.
RELEASE = Script("""
redis.call('HDEL', KEYS[2], ARGV[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[3], '{"op":"release","node":' .. cjson.encode(ARGV[1])
    .. ',"identity":' .. cjson.encode(ARGV[2]) .. '}')
  return 1
end
return 0
""")

#: ARGV: prefix, node, channel, mode ("stop": the node itself; "dead":
#: only if its liveness expired).
REAP = Script("""
local live = ARGV[1] .. 'node:' .. ARGV[2]
if ARGV[4] == 'dead' and redis.call('EXISTS', live) == 1 then
  return -1
end
local hash = live .. ':cps'
local ids = redis.call('HKEYS', hash)
for _, id in ipairs(ids) do
  local key = ARGV[1] .. 'cp:' .. id
  if redis.call('GET', key) == ARGV[2] then
    redis.call('DEL', key)
  end
end
redis.call('DEL', hash, live)
redis.call('SREM', ARGV[1] .. 'nodes', ARGV[2])
redis.call('PUBLISH', ARGV[3], '{"op":"down","node":' .. cjson.encode(ARGV[2]) .. '}')
return #ids
""")

#: A local claim sent, not yet numbered by Redis.
_PENDING = -1


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


@implementer(IPresence)
class Presence(Service):
    """
    This node's presence in Redis and its mirror of the others'. See
    L{IPresence} and the module's description.

    @param bus: the L{openocpp.cluster.interfaces.IBus}.
    @param clock: the C{IReactorTime} timing refreshes.
    @param node_id: this node's name.
    @param close_local: called with an identity whose connection here
        another node took over: it closes it.
    @param local_identities: returns the identities connected here (and
        their info dicts), claimed again when the bus comes back.
    @param ttl: seconds the node's liveness lasts unless refreshed.
    @param prefix: the prefix of every key and channel.
    """

    log = Logger()

    def __init__(
        self,
        bus: Any,
        clock: Any,
        node_id: str,
        close_local: Callable[[str], None],
        local_identities: Callable[[], dict],
        ttl: float = DEFAULT_TTL,
        prefix: str = "openocpp:",
    ) -> None:
        self.node_id = node_id
        self._bus = bus
        self._clock = clock
        self._close_local = close_local
        self._local_identities = local_identities
        self._ttl = ttl
        self._prefix = prefix
        self.channel = prefix + "presence"
        self._started_at = time.time()
        #: identity -> the claim number of our connection (_PENDING while sent).
        self._claims: dict[str, int] = {}
        #: identity -> (node, info) of the other nodes' charge points.
        self._mirror: dict[str, tuple[str, dict]] = {}
        self._refresher: LoopingCall | None = None
        #: Identities whose connection closed while the bus was down.
        self._unreleased: set[str] = set()
        #: The mirror's changes received while loads read Redis (L{_load}),
        #: and how many loads are reading.
        self._journal: list[tuple] = []
        self._loading = 0
        bus.subscribe(self.channel, self._message)
        bus.on_connected(self._reconnected)
        bus.on_subscribed(self._load)

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)

    # -- IService ---------------------------------------------------------

    def startService(self) -> None:
        super().startService()
        self._refresher = LoopingCall(self.refresh)
        self._refresher.clock = self._clock
        self._refresher.start(self._ttl / 3, now=False)

    def stopService(self) -> Deferred:
        """
        Stop refreshing and release every identity of this node at once (a
        node that stops leaves no stale mapping behind).
        """
        super().stopService()
        if self._refresher is not None and self._refresher.running:
            self._refresher.stop()
        self._claims.clear()
        self._mirror.clear()
        if not self._bus.connected:
            return succeed(None)
        reaping = self._bus.evalsha(REAP, (), (self._prefix, self.node_id, self.channel, "stop"))
        return reaping.addErrback(self._failed, "release this node's charge points")

    def _failed(self, failure: Any, what: str) -> None:
        if not self.running:
            return
        self.log.warn("Presence: could not {what}: {error}", what=what, error=failure.getErrorMessage())

    # -- liveness ---------------------------------------------------------

    def _liveness(self) -> str:
        return json.dumps({
            "node": self.node_id,
            "startedAt": self._started_at,
            "refreshedAt": time.time(),
            "chargePoints": len(self._claims),
        })

    def refresh(self, reclaim: bool = True) -> Deferred | None:
        # Our liveness, then the others': a node whose liveness expired is
        # reaped (its charge points forgotten, here and in Redis).
        if not self._bus.connected:
            return None

        def refreshed(before: Any) -> Any:
            # Ours had expired (this process stalled past the TTL) and may
            # have been reaped meanwhile: claim ours again.
            if before is None and reclaim and self.running:
                self.log.warn("Presence: this node's liveness had expired: claiming its charge points again")
                return self._claim_all()
            return None

        self._bus.execute("SET", self._key("node", self.node_id), self._liveness(),
                          "PX", int(self._ttl * 1000), "GET").addCallback(refreshed).addErrback(self._failed, "refresh")
        self._bus.execute("SADD", self._key("nodes"), self.node_id).addErrback(self._failed, "refresh")
        return self._live_nodes().addCallback(self._reap_dead).addErrback(self._failed, "check the nodes")

    def _live_nodes(self) -> Deferred:
        # A Deferred of (live: {node: liveness dict}, dead: [node]).
        def read(names: list) -> Deferred:
            names = sorted(_text(name) for name in names)
            if not names:
                return succeed(({}, []))
            keys = [self._key("node", name) for name in names]

            def split(values: list) -> tuple:
                live, dead = {}, []
                for name, value in zip(names, values):
                    if value is None:
                        dead.append(name)
                    else:
                        live[name] = json.loads(value)
                return live, dead

            return self._bus.execute("MGET", *keys).addCallback(split)

        return self._bus.execute("SMEMBERS", self._key("nodes")).addCallback(read)

    def _reap_dead(self, nodes: tuple) -> Deferred:
        live, dead = nodes
        reaping = []
        for name in dead:
            if name == self.node_id:
                continue
            self.log.info("Presence: node {node} stopped refreshing: forgetting its charge points", node=name)
            self._forget_node(name)
            reaping.append(self._bus.evalsha(REAP, (), (self._prefix, name, self.channel, "dead")))
        return DeferredList(reaping, consumeErrors=True)

    def nodes(self) -> Deferred:
        def shaped(nodes: tuple) -> list:
            live, _ = nodes
            return [live[name] for name in sorted(live)]

        return self._live_nodes().addCallback(shaped)

    # -- claims -----------------------------------------------------------

    def claim(self, identity: str, info: dict, mode: str = "force") -> Deferred:
        self._claims[identity] = _PENDING
        self._mirror.pop(identity, None)
        self._unreleased.discard(identity)
        if not self._bus.connected:
            # Claimed once the bus is back (_reconnected).
            return succeed(None)
        claiming = self._bus.evalsha(
            CLAIM,
            (self._key("cp", identity), self._key("node", self.node_id, "cps"), self._key("claims")),
            (self.node_id, identity, json.dumps(info), mode, self._prefix, self.channel),
        )

        def claimed(reply: list) -> None:
            seq, old = reply[0], _text(reply[1] or b"")
            if self._claims.get(identity) != _PENDING:
                return
            if seq == 0:
                # Claimed again after an outage, but another live node
                # took it meanwhile: ours is the stale connection.
                self.log.info(
                    "Charge point {identity} moved to node {node} while the bus was down: "
                    "closing its connection here", identity=identity, node=old,
                )
                del self._claims[identity]
                self._close_local(identity)
                return
            self._claims[identity] = seq
            if old and old != self.node_id:
                self.log.info("Charge point {identity} taken over from node {node}", identity=identity, node=old)

        return claiming.addCallbacks(claimed, self._failed, errbackArgs=(f"claim {identity}",))

    def release(self, identity: str) -> Deferred:
        self._claims.pop(identity, None)
        if not self._bus.connected:
            # Released once the bus is back (_reconnected).
            self._unreleased.add(identity)
            return succeed(None)
        releasing = self._bus.evalsha(
            RELEASE,
            (self._key("cp", identity), self._key("node", self.node_id, "cps")),
            (self.node_id, identity, self.channel),
        )
        return releasing.addCallbacks(lambda _: None, self._failed, errbackArgs=(f"release {identity}",))

    def _reconnected(self) -> Deferred:
        # The bus is back: our liveness first, then every connection here
        # claimed again, unless another node took it meanwhile.
        self.refresh(reclaim=False)
        if self._bus.subscribed:
            self._load()
        return self._claim_all()

    def _claim_all(self) -> Deferred:
        # Every connection here claimed again (unless another node took it
        # meanwhile), every one closed while the bus was down released.
        local = self._local_identities()
        unreleased, self._unreleased = self._unreleased - set(local), set()
        return DeferredList(
            [self.claim(identity, info, "keep") for identity, info in local.items()]
            + [self.release(identity) for identity in sorted(unreleased)]
        )

    # -- the mirror -------------------------------------------------------

    def where(self, identity: str) -> tuple[str, dict] | None:
        return self._mirror.get(identity)

    def locate(self, identity: str) -> Deferred:
        """
        Ask Redis which node holds C{identity} when the mirror does not say:
        the mirror follows the channel, which may be a moment behind (a
        claim just made while this node was busy). A charge point another
        node holds is then put in the mirror.

        @return: a Deferred firing with L{where}'s answer once known (never
            failing: what Redis could not tell is a miss).
        """
        if identity in self._mirror or identity in self._claims or not self._bus.connected:
            return succeed(self._mirror.get(identity))

        def held(node: Any) -> Any:
            node = None if node is None else _text(node)
            if node is None or node == self.node_id:
                return None
            return self._bus.execute("HGET", self._key("node", node, "cps"), identity).addCallback(
                lambda info: None if info is None else (node, json.loads(info))
            )

        def read() -> Deferred:
            return self._bus.execute("GET", self._key("cp", identity)).addCallback(held).addCallback(
                lambda holder: {} if holder is None else {identity: holder}
            )

        def found(mirror: dict) -> Any:
            holder = mirror.get(identity)
            if holder is not None and identity not in self._claims:
                self._mirror[identity] = holder
            return self._mirror.get(identity)

        asking = self._read_and_replay(read).addCallback(found)
        return asking.addErrback(lambda failure: self._failed(failure, f"locate {identity}"))

    def elsewhere(self) -> dict:
        return dict(self._mirror)

    def _message(self, channel: bytes, data: bytes) -> None:
        message = json.loads(data)
        op, node = message.get("op"), message.get("node")
        identity = message.get("identity")
        if not isinstance(node, str) or (op != "down" and not isinstance(identity, str)):
            raise ValueError(f"a presence message without its node or identity: {message!r}"[:200])
        if op == "claim":
            if not isinstance(message.get("seq"), int):
                raise ValueError(f"a claim without its number: {message!r}"[:200])
            if node == self.node_id:
                return
            self._change(("claim", node, identity, message.get("info") or {}))
            ours = self._claims.get(identity)
            if ours is not None and ours != _PENDING and ours < message["seq"]:
                # Another node took it over after us: no two live sessions.
                del self._claims[identity]
                self.log.info(
                    "Charge point {identity} connected to node {node}: closing its connection here",
                    identity=identity, node=node,
                )
                self._close_local(identity)
        elif op == "release":
            self._change(("release", node, identity))
        elif op == "down" and node != self.node_id:
            self._change(("down", node))

    def _change(self, change: tuple) -> None:
        # One change of the mirror, kept too while a load reads Redis: its
        # reading may predate the change (the pub/sub connection can
        # deliver a message before the command connection the reply).
        _apply(self._mirror, change)
        if self._loading:
            self._journal.append(change)

    def _forget_node(self, node: str) -> None:
        _apply(self._mirror, ("down", node))

    def _load(self) -> Deferred:
        # The pub/sub connection is (back) up: what was missed meanwhile is
        # read from Redis, every live node's hash (once the command
        # connection is up too: whichever comes last does it). The changes
        # received while reading are applied again over what was read.
        if not self._bus.connected:
            return succeed(None)

        def read() -> Deferred:
            def loaded(nodes: tuple) -> Deferred:
                live, _ = nodes
                others = [name for name in live if name != self.node_id]
                readings = [self._bus.execute("HGETALL", self._key("node", name, "cps")) for name in others]

                def mirrored(results: list) -> dict:
                    mirror: dict[str, tuple[str, dict]] = {}
                    for name, (ok, flat) in zip(others, results):
                        if not ok:
                            continue
                        for index in range(0, len(flat), 2):
                            mirror[_text(flat[index])] = (name, json.loads(flat[index + 1]))
                    return mirror

                return DeferredList(readings, consumeErrors=True).addCallback(mirrored)

            return self._live_nodes().addCallback(loaded)

        def replace(mirror: dict) -> None:
            for identity in self._claims:
                # Connected here since: ours, not another node's.
                mirror.pop(identity, None)
            self._mirror = mirror

        reading = self._read_and_replay(read).addCallback(replace)
        return reading.addErrback(self._failed, "read the other nodes")

    def _read_and_replay(self, read: Callable[[], Deferred]) -> Deferred:
        """
        Read part of the mirror from Redis (C{read()}: a Deferred of a
        mirror dict), then apply to it the changes the channel delivered
        meanwhile: the reading may predate them (L{_change}).

        @return: a Deferred of the mirror dict, up to date.
        """
        self._loading += 1
        start = len(self._journal)

        def replayed(mirror: dict) -> dict:
            for change in self._journal[start:]:
                _apply(mirror, change)
            return mirror

        def done(result: Any) -> Any:
            self._loading -= 1
            if not self._loading:
                self._journal = []
            return result

        return read().addCallback(replayed).addBoth(done)

def _apply(mirror: dict, change: tuple) -> None:
    """
    Apply one change to a mirror (identity -> (node, info)): C{("claim",
    node, identity, info)}, C{("release", node, identity)} (only while that
    node holds it), C{("down", node)} (all of that node's).
    """
    op, node = change[0], change[1]
    if op == "claim":
        mirror[change[2]] = (node, change[3])
    elif op == "release":
        held = mirror.get(change[2])
        if held is not None and held[0] == node:
            del mirror[change[2]]
    else:
        for identity in [i for i, (held, _) in mirror.items() if held == node]:
            del mirror[identity]
