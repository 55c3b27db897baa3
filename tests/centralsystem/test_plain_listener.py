"""
A plain listener beside the TLS one (C{listen_plain}, C{--listen-plain}):
one central system process serves profile 1 charge points and those moved
to profile 2 and 3, the Security Whitepaper's upgrade path (A05).
"""

import base64
import socket

from twisted.internet import reactor
from twisted.internet.task import deferLater
from twisted.internet.threads import deferToThread
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.centralsystem.config import CentralSystemConfig
from tests.chargepoint.test_upgrade_path import KEY, UpgradePathMixin


def _handshake_status(port: int, identity: str, password: str) -> bytes:
    # The status line a WebSocket upgrade with HTTP Basic gets (a blocking
    # socket on loopback, run in a thread).
    credentials = base64.b64encode(f"{identity}:{password}".encode()).decode()
    request = (
        f"GET /ocpp/{identity} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n"
        f"Authorization: Basic {credentials}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        return connection.recv(4096).split(b"\r\n", 1)[0]


class PlainListenerConfigTests(SynchronousTestCase):
    """
    The settings of the plain listener.
    """

    def test_needs_a_tls_listener(self):
        with self.assertRaises(ValueError) as raised:
            CentralSystemConfig(listen_plain="tcp:0", database=":memory:")
        self.assertIn("listen_plain", str(raised.exception))

    def test_must_be_plain(self):
        with self.assertRaises(ValueError) as raised:
            CentralSystemConfig(
                security_profile=2, tls_key="k", tls_certificate="c", database=":memory:",
                listen_plain="ssl:0:privateKey=k:certKey=c",
            )
        self.assertIn("plain endpoint", str(raised.exception))

    def test_profile_0_or_1(self):
        with self.assertRaises(ValueError) as raised:
            CentralSystemConfig(listen_plain_profile=2, database=":memory:")
        self.assertIn("listen_plain_profile", str(raised.exception))


class OneProcessUpgradePathTests(UpgradePathMixin, TestCase):
    """
    The upgrade path 1 -> 2 -> 3 of L{UpgradePathMixin} against one central
    system, listening plain (profile 1) and with TLS (profiles 2 and 3).
    """

    async def plain_and_tls(self):
        central = self.central_system(2, listen_plain="tcp:0:interface=127.0.0.1")
        central.store.register_charge_point("CP001", password=KEY, security_profile=1)
        plain_port = (await central.when_listening_plain()).getHost().port
        tls_port = (await central.when_listening()).getHost().port
        self.plain_port = plain_port
        return (_Side(central, 1), f"ws://127.0.0.1:{plain_port}/ocpp",
                _Side(central, 2), f"wss://127.0.0.1:{tls_port}/ocpp")

    async def test_profile_1_to_2_to_3_driven_from_the_central_system(self):
        """
        A05.FR.05/06/07/09 in one process, a plain port beside the TLS one
        (A00.FR.006): after the whole path, the plain listener refuses the
        charge point's password alone (it connected with profile 3).
        """
        await super().test_profile_1_to_2_to_3_driven_from_the_central_system()
        status = await deferToThread(_handshake_status, self.plain_port, "CP001", KEY)
        self.assertIn(b" 401 ", status + b" ")


class PlainListenerTests(TestCase):
    """
    The plain listener's charge points are held to its profile, not the
    TLS listener's.
    """

    def setUp(self):
        self.path = UpgradePathMixin()
        self.path.mktemp = self.mktemp
        self.path.addCleanup = self.addCleanup
        UpgradePathMixin.setUp(self.path)

    async def test_profile_1_stays_profile_1(self):
        """
        A05.FR.09 counts the profile a charge point met: connecting twice
        on the plain listener with its password (101 each time) leaves its
        registration at profile 1, where a charge point registered for 2 is
        refused (401).
        """
        central = self.path.central_system(2, listen_plain="tcp:0:interface=127.0.0.1")
        central.store.register_charge_point("CP001", password=KEY, security_profile=1)
        central.store.register_charge_point("CP002", password=KEY, security_profile=2)
        port = (await central.when_listening_plain()).getHost().port
        for _ in range(2):
            status = await deferToThread(_handshake_status, port, "CP001", KEY)
            self.assertIn(b" 101 ", status + b" ")
            self.assertEqual(central.store.charge_point_credentials("CP001").security_profile, 1)
        status = await deferToThread(_handshake_status, port, "CP002", KEY)
        self.assertIn(b" 401 ", status + b" ")


class _Side:
    """
    One central system seen as the plain or the TLS one of
    L{UpgradePathMixin}: its charge point connected on that side.
    """

    def __init__(self, central, profile):
        self._central = central
        self._profile = profile
        self.store = central.store

    @property
    def _connected(self):
        proxy = self._central._connected.get("CP001")
        if proxy is not None and (proxy.security_profile >= 2) == (self._profile >= 2):
            return {"CP001": proxy}
        return {}

    async def when_connected(self, identity):
        for _ in range(2000):
            proxy = self._connected.get(identity)
            if proxy is not None:
                return proxy
            await deferLater(reactor, 0.01, lambda: None)
        raise AssertionError(f"{identity} never connected at profile {self._profile}")
