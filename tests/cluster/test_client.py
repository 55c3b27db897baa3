"""
Tests for L{openocpp.cluster.client.RedisBus}'s connections, on an
in-memory endpoint and a test clock: a connection whose set-up fails is
closed later and tried again, and no loss of a connection, whenever it
comes, finds C{ClientService} in a state without a transition for it.
"""

from twisted.internet.defer import succeed
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.logger import globalLogPublisher
from twisted.python.failure import Failure
from twisted.internet.error import ConnectionDone
from twisted.trial.unittest import TestCase

from openocpp.cluster.address import parse_bus_url
from openocpp.cluster.client import REFUSED_DELAY, RedisBus


class MemoryEndpoint:
    """
    A client endpoint whose every connection is a L{StringTransport}, kept
    in L{connections} as (protocol, transport).
    """

    def __init__(self):
        self.connections = []

    def connect(self, factory):
        protocol = factory.buildProtocol(None)
        transport = StringTransport()
        protocol.makeConnection(transport)
        self.connections.append((protocol, transport))
        return succeed(protocol)


def lose(protocol):
    protocol.connectionLost(Failure(ConnectionDone()))


class SetUpTests(TestCase):
    """
    The set-up of a connection (C{AUTH}, C{SELECT}, the subscriptions).
    """

    def setUp(self):
        self.clock = Clock()
        self.endpoint = MemoryEndpoint()
        self.logged = []
        globalLogPublisher.addObserver(self.logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.logged.append)

    def start_bus(self, url="redis://:a-password@127.0.0.1:6379/2"):
        bus = RedisBus(parse_bus_url(url), self.clock, endpoint=self.endpoint)
        bus.subscribe("a-channel", lambda channel, data: None)
        bus.startService()
        self.addCleanup(self.stop, bus)
        return bus

    def stop(self, bus):
        if bus.running:
            bus.stopService()
        for protocol, transport in self.endpoint.connections:
            if not transport.disconnecting:
                continue
            if protocol.connected:
                lose(protocol)

    def commands(self):
        """
        The commands connection (the first made) and its transport.
        """
        return self.endpoint.connections[0]

    def errors(self):
        return [event for event in self.logged if event.get("log_failure") is not None]

    def test_select_refused_closes_later_and_tries_again(self):
        """
        A C{SELECT} Redis refuses (it is loading its data, say) leaves the
        bus not connected, logs one line naming the bus without its
        password, and closes that connection after L{REFUSED_DELAY}
        seconds; the next connection comes after the backoff and is used.
        """
        bus = self.start_bus()
        protocol, transport = self.commands()
        protocol.dataReceived(b"+OK\r\n-LOADING Redis is loading the dataset in memory\r\n")
        self.assertFalse(bus.connected)
        lines = [event["log_format"] for event in self.logged if "Setting up" in event.get("log_format", "")]
        self.assertEqual(len(lines), 1)
        self.assertNotIn("a-password", repr([event.get("bus") for event in self.logged]))
        self.clock.advance(REFUSED_DELAY)
        self.assertTrue(transport.disconnecting)
        count = len(self.endpoint.connections)
        lose(protocol)
        self.clock.advance(2)
        self.assertEqual(len(self.endpoint.connections), count + 1)
        protocol, transport = self.endpoint.connections[-1]
        protocol.dataReceived(b"+OK\r\n+OK\r\n")
        self.assertTrue(bus.connected)
        self.assertEqual(self.errors(), [])

    def test_failed_set_up_lost_after_stop(self):
        """
        A connection whose set-up failed and that is lost only after the
        bus stopped is no error (C{ClientService} had no transition for
        it: automat's C{NoTransition}).
        """
        bus = self.start_bus()
        protocol, transport = self.commands()
        protocol.dataReceived(b"+OK\r\n-LOADING Redis is loading the dataset in memory\r\n")
        bus.stopService()
        lose(protocol)
        self.clock.advance(REFUSED_DELAY)
        self.assertEqual(self.errors(), [])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_lost_during_set_up(self):
        """
        A connection lost before Redis answered its set-up is tried again
        after the backoff, with no error and no delayed close left.
        """
        bus = self.start_bus()
        protocol, transport = self.commands()
        count = len(self.endpoint.connections)
        lose(protocol)
        self.assertFalse(bus.connected)
        self.assertEqual(self.errors(), [])
        self.clock.advance(2)
        self.assertEqual(len(self.endpoint.connections), count + 1)

    def test_credentials_refused(self):
        """
        Redis refusing the password: one line saying so on both
        connections' refusal, closed after L{REFUSED_DELAY} seconds.
        """
        bus = self.start_bus()
        for protocol, transport in list(self.endpoint.connections):
            protocol.dataReceived(b"-WRONGPASS invalid username-password pair\r\n")
        lines = [event for event in self.logged if "refused this node's credentials" in event.get("log_format", "")]
        self.assertEqual(len(lines), 1)
        self.assertIn("WRONGPASS", lines[0]["error"])
        self.assertFalse(bus.connected)
        self.clock.advance(REFUSED_DELAY)
        self.assertTrue(all(transport.disconnecting for _, transport in self.endpoint.connections))
        self.assertEqual(self.errors(), [])

    def test_subscriber_lost_during_subscribe(self):
        """
        The pub/sub connection lost while subscribing: not subscribed, no
        error, tried again.
        """
        bus = self.start_bus()
        protocol, transport = self.endpoint.connections[1]
        protocol.dataReceived(b"+OK\r\n")
        count = len(self.endpoint.connections)
        lose(protocol)
        self.assertFalse(bus.subscribed)
        self.clock.advance(2)
        self.assertEqual(len(self.endpoint.connections), count + 1)
        self.assertEqual(self.errors(), [])

    def test_stopped_during_set_up(self):
        """
        The bus stopped while Redis has not answered a set-up yet: both
        connections closed, no error.
        """
        bus = self.start_bus()
        stopped = bus.stopService()
        for protocol, transport in self.endpoint.connections:
            self.assertTrue(transport.disconnecting)
            lose(protocol)
        self.successResultOf(stopped)
        self.assertEqual(self.errors(), [])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_when_connected_waits_for_the_set_up(self):
        """
        L{RedisBus.when_connected} fires once the command connection's
        set-up is done, not when its TCP connection is made.
        """
        bus = self.start_bus()
        waiting = bus.when_connected()
        self.assertNoResult(waiting)
        protocol, transport = self.commands()
        protocol.dataReceived(b"+OK\r\n+OK\r\n")
        self.successResultOf(waiting)
        self.successResultOf(bus.when_connected())
