"""
Tests of the charge point's reconnection backoff
(L{openocpp.transport.client.ReconnectBackoff} and
L{ClientConnectionService}): it grows against a server that accepts the
handshake and closes at once, and starts again only after a connection that
proved healthy.
"""

from __future__ import annotations

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.transport.client import ClientConnectionService, ReconnectBackoff
from openocpp.transport.server import OcppServerFactory, listen


class ReconnectBackoffTests(SynchronousTestCase):
    """
    L{ReconnectBackoff} on a L{Clock}.
    """

    def setUp(self):
        self.clock = Clock()
        self.backoff = ReconnectBackoff(
            self.clock, initial_delay=1, max_delay=60, factor=2, jitter=lambda: 0,
            healthy_after=10,
        )

    def short_lived(self, seconds=0.0):
        """
        A connection opens, stays C{seconds}, closes.

        @return: the next wait, asked with ClientService's count (1: it
            restarts at each handshake).
        """
        self.backoff.connected()
        self.clock.advance(seconds)
        self.backoff.disconnected()
        return self.backoff(1)

    def test_failed_attempts_grow(self):
        """
        Failed attempts (no connection at all) wait longer and longer, up to
        the cap.
        """
        self.assertEqual([self.backoff(n) for n in range(1, 8)], [2, 4, 8, 16, 32, 60, 60])

    def test_closed_at_once_grows(self):
        """
        A handshake closed at once does not reset the backoff: the waits
        grow as if it had failed (before, every wait was the first).
        """
        self.assertEqual([self.short_lived() for _ in range(7)], [2, 4, 8, 16, 32, 60, 60])

    def test_short_lived_grows(self):
        """
        A connection that closes before C{healthy_after} seconds counts as a
        failure too.
        """
        self.assertEqual([self.short_lived(9.9) for _ in range(3)], [2, 4, 8])

    def test_healthy_resets(self):
        """
        A connection that stayed open C{healthy_after} seconds starts the
        backoff again from the first wait.
        """
        for _ in range(4):
            self.short_lived()
        self.assertEqual(self.short_lived(10), 2)
        self.assertEqual(self.short_lived(), 4)

    def test_mixed(self):
        """
        Failed attempts and short-lived connections add up.
        """
        self.assertEqual(self.backoff(1), 2)
        self.assertEqual(self.short_lived(), 4)
        self.assertEqual(self.backoff(2), 8)


class ClosingHandler:
    """
    A server's handler that closes each connection as soon as it opens,
    unless C{keep} says otherwise; tells C{made} of each connection.
    """

    def __init__(self, connection, made, keep):
        self.connection = connection
        self.made = made
        self.keep = keep

    def connection_made(self, connection):
        self.made(connection)
        if not self.keep():
            connection.close(1000, "go away")

    def text_received(self, text):
        pass

    def connection_lost(self, reason):
        pass


class ServiceBackoffTests(TestCase):
    """
    L{ClientConnectionService} against a real server on loopback that
    accepts the handshake and closes at once; the waits run on a L{Clock}.
    """

    timeout = 20

    def retries(self):
        """
        @return: a list, filled with the delay of each reconnection the
            service schedules (from its log), and a function returning a
            Deferred that fires with the next one.
        """
        delays = []
        waiting = []

        def observe(event):
            if event.get("log_format", "").startswith("Connecting {identity} again"):
                delays.append(event["delay"])
                while waiting:
                    # From the reactor: the event is logged inside
                    # ClientService's state machine, which must not be
                    # re-entered.
                    reactor.callLater(0, waiting.pop(0).callback, event["delay"])

        globalLogPublisher.addObserver(observe)
        self.addCleanup(globalLogPublisher.removeObserver, observe)

        def next_delay():
            d = Deferred()
            waiting.append(d)
            return d

        return delays, next_delay

    async def test_closed_at_once_backs_off(self):
        """
        Against a server closing every connection right after the
        handshake, the service waits 2, 4, 8, 16 s... (initial delay 1,
        factor 2) rather than about 2 s each time; once a connection stays
        open 10 s, the next wait is the first again.
        """
        clock = Clock()
        connections = []
        keep = [False]
        factory = OcppServerFactory(
            lambda connection: ClosingHandler(connection, connections.append, lambda: keep[0]),
        )
        port = await listen(reactor, "tcp:0:interface=127.0.0.1", factory)
        self.addCleanup(port.stopListening)
        self.addCleanup(factory.close_connections)
        delays, next_delay = self.retries()
        service = ClientConnectionService(
            reactor, f"ws://127.0.0.1:{port.getHost().port}/ocpp", "CP001",
            lambda connection: ClosingHandler(connection, lambda c: None, lambda: True),
            initial_delay=1, max_delay=60, factor=2, jitter=lambda: 0, clock=clock,
            healthy_after=10,
        )
        service.startService()
        self.addCleanup(service.stopService)
        for expected in (2, 4, 8, 16, 32):
            delay = await next_delay()
            self.assertEqual(delay, expected)
            if expected == 32:
                keep[0] = True  # the sixth connection stays open
            clock.advance(delay)
        await service.whenConnected()
        self.assertEqual(len(connections), 6)
        clock.advance(10)
        closing = next_delay()
        connections[-1].close(1000, "later")
        self.assertEqual(await closing, 2)
        self.assertEqual(delays, [2, 4, 8, 16, 32, 2])
