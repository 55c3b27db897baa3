"""
What one server connection keeps: autobahn's options on a class shared by
the factory's connections, not copied into each.
"""

from __future__ import annotations

from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from openocpp.transport.server import OcppServerFactory, OcppServerProtocol
from tests.transport.loopback import Handlers

_PEER = IPv4Address("TCP", "127.0.0.1", 1)


class OptionsClassTests(SynchronousTestCase):
    """
    L{OcppServerFactory.buildProtocol} makes protocols of a subclass holding
    the factory's autobahn options.
    """

    def test_options_on_the_class(self) -> None:
        """
        The options are class attributes of a subclass of the factory's
        protocol, with its name, made once for the factory's connections.
        """
        factory = OcppServerFactory(Handlers(), reactor=Clock(), ping_interval=7)
        protocol = factory.buildProtocol(_PEER)
        self.assertIsInstance(protocol, OcppServerProtocol)
        self.assertIs(protocol.factory, factory)
        self.assertEqual(type(protocol).__qualname__, "OcppServerProtocol")
        self.assertEqual(type(protocol).__module__, OcppServerProtocol.__module__)
        self.assertEqual(protocol.autoPingInterval, 7)
        self.assertEqual(protocol.maxMessagePayloadSize, factory.maxMessagePayloadSize)
        self.assertNotIn("autoPingInterval", vars(protocol))
        self.assertIs(type(factory.buildProtocol(_PEER)), type(protocol))

    def test_changed_option(self) -> None:
        """
        An option changed on the factory holds from the next connection on;
        the protocols made before keep theirs, as autobahn's copies do.
        """
        factory = OcppServerFactory(Handlers(), reactor=Clock(), ping_interval=7)
        first = factory.buildProtocol(_PEER)
        factory.setProtocolOptions(autoPingInterval=9)
        second = factory.buildProtocol(_PEER)
        self.assertEqual((first.autoPingInterval, second.autoPingInterval), (7, 9))
        self.assertIsNot(type(first), type(second))

    def test_protocol_own_option(self) -> None:
        """
        An option the protocol class sets itself stays its own.
        """

        class Own(OcppServerProtocol):
            autoFragmentSize = 5

        factory = OcppServerFactory(Handlers(), reactor=Clock())
        factory.protocol = Own
        protocol = factory.buildProtocol(_PEER)
        self.assertIsInstance(protocol, Own)
        self.assertEqual((protocol.autoFragmentSize, factory.autoFragmentSize), (5, 0))
