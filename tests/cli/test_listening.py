"""
Listening as a child service (L{openocpp.listening}): the central system's
and the web service's ports are bound in C{privilegedStartService}, a port
that cannot listen is one log line, and a stopped service listens again
when started.
"""

import gc
import os
import socket

from twisted.application.service import MultiService
from twisted.internet import reactor
from twisted.internet.error import CannotListenError
from twisted.internet.testing import EventLoggingObserver
from twisted.logger import LogLevel, globalLogPublisher
from twisted.trial.unittest import TestCase

from openocpp import tap
from openocpp.centralsystem.config import CentralSystemConfig
from openocpp.centralsystem.service import CentralSystem
from openocpp.web.config import ApiConfig
from openocpp.web.service import WebService


def _busy_port(testcase):
    """
    A loopback port held by a socket of the test's own.
    """
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    testcase.addCleanup(holder.close)
    return holder.getsockname()[1]


class _StoppableReactor:
    """
    Stands for the reactor the listening guard stops.
    """

    running = True
    stopped = False

    def stop(self):
        self.stopped = True


class ListeningTests(TestCase):
    """
    The central system and the web service listen through one child
    service.
    """

    def central_system(self, listen="tcp:0:interface=127.0.0.1"):
        config = CentralSystemConfig(
            listen=listen, database=os.path.abspath(self.mktemp()), ping_interval=0
        )
        return CentralSystem(config, reactor=reactor, load_entrypoints=False)

    def events(self):
        observer = EventLoggingObserver()
        globalLogPublisher.addObserver(observer)
        self.addCleanup(globalLogPublisher.removeObserver, observer)
        return observer

    async def test_central_system_binds_in_privileged_start(self):
        """
        The central system's port is bound by C{privilegedStartService},
        which twistd runs before it drops privileges (C{--uid}).
        """
        central = self.central_system()
        central.privilegedStartService()
        self.addCleanup(central.stopService)
        self.assertIsNotNone(central.port)
        central.startService()
        self.assertIs(await central.when_listening(), central.port)

    async def test_web_service_binds_in_privileged_start(self):
        """
        So is the web service's.
        """
        central = self.central_system()
        web = WebService(central, ApiConfig(endpoint="tcp:0:interface=127.0.0.1"), reactor=reactor)
        parent = MultiService()
        central.setServiceParent(parent)
        web.setServiceParent(parent)
        parent.privilegedStartService()
        self.addCleanup(parent.stopService)
        self.assertIsNotNone(central.port)
        self.assertIsNotNone(web.port)
        parent.startService()

    async def test_web_service_listens_again_after_a_stop(self):
        """
        A web service stopped and started again listens again.
        """
        central = self.central_system()
        web = WebService(central, ApiConfig(endpoint="tcp:0:interface=127.0.0.1"), reactor=reactor)
        parent = MultiService()
        central.setServiceParent(parent)
        web.setServiceParent(parent)
        parent.startService()
        await web.when_listening()
        await web.stopService()
        self.assertIsNone(web.port)
        web.startService()
        self.addCleanup(parent.stopService)
        port = await web.when_listening()
        self.assertIsNotNone(port.getHost().port)

    async def test_port_in_use_is_one_line(self):
        """
        A port that cannot listen is one error line naming the endpoint and
        the reason: no traceback, no "Unhandled error in Deferred"; and
        C{when_listening} fails with the reason.
        """
        events = self.events()
        listen = f"tcp:{_busy_port(self)}:interface=127.0.0.1"
        central = self.central_system(listen)
        central.startService()
        self.addCleanup(central.stopService)
        failure = await self.assertFailure(central.when_listening(), CannotListenError)
        del failure
        gc.collect()  # an unhandled failure would be logged now
        errors = [e for e in events if e["log_level"] >= LogLevel.error]
        self.assertEqual(len(errors), 1, errors)
        (error,) = errors
        self.assertEqual(error["endpoint"], listen)
        self.assertIn("Central system cannot listen", error["log_format"].format(**error))
        self.assertNotIn("log_failure", error)

    async def test_port_in_use_stops_twistd(self):
        """
        Under twistd (L{tap.ListeningGuard}), a central system whose port
        cannot listen stops the process.
        """
        self.events()
        central = self.central_system(f"tcp:{_busy_port(self)}:interface=127.0.0.1")
        fake = _StoppableReactor()
        root = MultiService()
        central.setServiceParent(root)
        tap.ListeningGuard(fake, root).setServiceParent(root)
        root.startService()
        self.addCleanup(root.stopService)
        await self.assertFailure(central.when_listening(), CannotListenError)
        self.assertTrue(fake.stopped)
