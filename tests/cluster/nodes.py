"""
What the cluster tests share: central systems ("nodes") in this process,
each on its own loopback port with its web API, sharing one SQLite file
and the test run's redis-server (L{tests.engines.redis.shared}, emptied for
each test).
"""

import os

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.web.client import Agent, HTTPConnectionPool

from openocpp.centralsystem.config import CentralSystemConfig
from openocpp.centralsystem.service import CentralSystem
from openocpp.web.config import ApiConfig
from openocpp.web.service import WebService
from tests.centralsystem.fake_chargepoint import TestChargePoint
from tests.chargepoint.loopback import wait_for
from tests.engines import redis as redis_engine
from tests.web.api_client import ApiMixin


class Node:
    """
    One running node: its central system, web service, OCPP URL and API
    base URL.
    """

    def __init__(self, name, central, web, url, base):
        self.name = name
        self.central = central
        self.web = web
        self.url = url
        self.base = base


class ClusterMixin:
    """
    Starts nodes for a test (L{start_node}) and talks to them: charge points
    (L{connect}) and the HTTP API (L{http} on a node, with
    L{tests.web.api_client.ApiMixin}'s client).
    """

    token = None

    def setUp(self):
        self.redis = redis_engine.shared()
        self.redis.flush()
        self.database = os.path.abspath(self.mktemp() + ".sqlite")
        self.pool = HTTPConnectionPool(reactor, persistent=False)
        self.agent = Agent(reactor, pool=self.pool)

    @inlineCallbacks
    def start_node(self, name, api=True, **overrides):
        """
        Start a node named C{name}; fire with its L{Node} once it listens
        and is subscribed on the bus.
        """
        settings = dict(
            listen="tcp:0:interface=127.0.0.1",
            database=self.database,
            ping_interval=0,
            node_id=name,
            bus=self.redis.url,
        )
        settings.update(overrides)
        central = CentralSystem(CentralSystemConfig(**settings), reactor=reactor, load_entrypoints=False)
        central.startService()
        self.addCleanup(central.stopService)
        port = yield central.when_listening()
        web = base = None
        if api:
            web = WebService(central, ApiConfig(endpoint="tcp:0:interface=127.0.0.1"), reactor=reactor)
            web.startService()
            self.addCleanup(web.stopService)
            web_port = yield web.when_listening()
            base = f"http://127.0.0.1:{web_port.getHost().port}"
        yield central.cluster.bus.when_connected()
        yield wait_for(self, lambda: central.cluster.bus.subscribed, f"node {name} subscribed")
        return Node(name, central, web, f"ws://127.0.0.1:{port.getHost().port}/ocpp", base)

    @inlineCallbacks
    def connect(self, node, identity="CP1", answers=None):
        """
        Connect a scripted charge point to C{node}; fire with it once open.
        """
        charge_point = TestChargePoint(self, identity, answers)
        yield charge_point.connect(node.url)
        self.addCleanup(lambda: charge_point.close() if charge_point.connection.open else None)
        return charge_point

    def http(self, node, method, path, body=None, **kwargs):
        """
        An HTTP request to C{node}'s API (see L{ApiMixin.http}).
        """
        self.base = node.base
        return ApiMixin.http(self, method, path, body=body, **kwargs)

    def held_by(self, node, identity):
        """
        Whether C{node}'s central system sees C{identity} held by another
        node (its mirror).
        """
        return node.central.cluster.presence.where(identity) is not None
