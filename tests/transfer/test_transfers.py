"""
Tests of L{openocpp.transfer.transfers.Transfers}: the scheme decides which
client transfers, and anything else fails at once.
"""

from __future__ import annotations

import os

from twisted.internet import reactor
from twisted.internet.defer import CancelledError, inlineCallbacks
from twisted.internet.task import LoopingCall, deferLater
from twisted.internet.error import TimeoutError
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase, TestCase
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET
from zope.interface.verify import verifyObject

from openocpp.transfer import ITransfers, TransferError, Transfers
from tests.transfer.servers import FtpServer, WebServer


class TransfersContractTests(SynchronousTestCase):
    """
    L{Transfers} is an L{ITransfers}; bad URLs fail without connecting.
    """

    def setUp(self) -> None:
        self.reactor = MemoryReactorClock()
        self.transfers = Transfers(self.reactor)

    def test_implements_ITransfers(self):
        self.assertTrue(verifyObject(ITransfers, self.transfers))

    def test_unsupported_scheme_fails_at_once_naming_it(self):
        failure = self.failureResultOf(
            self.transfers.download("gopher://example.com/fw", "/nonexistent/fw"), TransferError
        )
        self.assertEqual(
            failure.value.reason, "unsupported scheme 'gopher' in gopher://example.com/fw"
        )
        failure = self.failureResultOf(
            self.transfers.upload("file:///tmp/", "/nonexistent", "d.zip"), TransferError
        )
        self.assertEqual(failure.value.reason, "unsupported scheme 'file' in file:///tmp/")
        self.assertEqual(self.reactor.tcpClients, [])

    def test_a_url_without_a_host_fails_at_once(self):
        failure = self.failureResultOf(
            self.transfers.download("http:///fw.bin", "/nonexistent/fw"), TransferError
        )
        self.assertEqual(failure.value.reason, "no host in http:///fw.bin")

    def test_a_relative_location_fails_at_once(self):
        failure = self.failureResultOf(
            self.transfers.download("fw.bin", "/nonexistent/fw"), TransferError
        )
        self.assertEqual(failure.value.reason, "unsupported scheme '' in fw.bin")


class TransfersDispatchTests(TestCase):
    """
    L{Transfers} hands each URL to the client of its scheme.
    """

    def setUp(self) -> None:
        self.folder = self.mktemp()
        os.makedirs(self.folder)
        self.transfers = Transfers(reactor, timeout=5, connect_timeout=5)

    @inlineCallbacks
    def test_http_url_downloads_over_http(self):
        server = WebServer(b"firmware")
        base = server.start()
        self.addCleanup(server.stop)
        destination = os.path.join(self.folder, "fw.bin")
        size = yield self.transfers.download(base + "/fw.bin", destination, max_bytes=100)
        self.assertEqual(size, 8)

    @inlineCallbacks
    def test_ftp_url_uploads_over_ftp(self):
        server = FtpServer(self.mktemp())
        port = server.start()
        self.addCleanup(server.stop)
        source = os.path.join(self.folder, "d.zip")
        with open(source, "wb") as f:
            f.write(b"diagnostics")
        yield self.transfers.upload(
            "ftp://alice:p%40ss%3Aw%2Frd@127.0.0.1:{}/".format(port), source, "d.zip"
        )
        self.assertEqual(server.home.child("d.zip").getContent(), b"diagnostics")


class Drip(Resource):
    """
    A slow-loris server: announces 1,000 bytes and sends one every 0.1 s,
    each soon enough for any idle timeout.
    """

    isLeaf = True

    def render_GET(self, request):
        request.setHeader(b"content-length", b"1000")
        drip = LoopingCall(request.write, b"x")
        drip.clock = reactor
        drip.start(0.1)
        request.notifyFinish().addBoth(lambda _: drip.stop())
        return NOT_DONE_YET


class MaxDurationTests(TestCase):
    """
    A whole transfer may take C{max_duration} seconds at most, however
    steadily data flows.
    """

    def setUp(self) -> None:
        self.server = WebServer(b"firmware")
        self.server.site.resource.putChild(b"drip", Drip())
        self.base = self.server.start()
        self.addCleanup(self.server.stop)
        self.folder = self.mktemp()
        os.makedirs(self.folder)
        self.destination = os.path.join(self.folder, "fw.bin")

    @inlineCallbacks
    def test_a_slow_loris_download_fails_at_the_max_duration_and_leaves_nothing(self):
        transfers = Transfers(reactor, timeout=1, connect_timeout=5, max_duration=0.5)
        with self.assertRaises(TransferError) as caught:
            yield transfers.download(self.base + "/drip", self.destination)
        self.assertEqual(
            caught.exception.reason, "not finished after 0.5 s, the longest a transfer may take"
        )
        self.assertEqual(os.listdir(self.folder), [])

    @inlineCallbacks
    def test_a_transfer_within_the_max_duration_is_untouched(self):
        transfers = Transfers(reactor, timeout=1, connect_timeout=5, max_duration=30)
        size = yield transfers.download(self.base + "/fw.bin", self.destination)
        self.assertEqual(size, 8)

    @inlineCallbacks
    def test_the_callers_cancellation_stays_a_cancellation(self):
        transfers = Transfers(reactor, timeout=5, connect_timeout=5, max_duration=30)
        downloading = transfers.download(self.base + "/drip", self.destination)
        yield deferLater(reactor, 0.2, lambda: None)
        downloading.cancel()
        with self.assertRaises(CancelledError):
            yield downloading
        self.assertEqual(os.listdir(self.folder), [])


class ConnectTimeoutTests(SynchronousTestCase):
    """
    The connect timeout is the connection's own (the reactor gives up after
    it), and a timed-out connection fails with a reason saying so; no timer
    is left behind.
    """

    def check(self, url, port):
        reactor = MemoryReactorClock()
        transfers = Transfers(reactor, timeout=60, connect_timeout=7)
        folder = self.mktemp()
        os.makedirs(folder)
        downloading = transfers.download(url, os.path.join(folder, "fw.bin"))
        reactor.advance(1)
        [(_, connected_port, factory, timeout, _)] = reactor.tcpClients
        self.assertEqual((connected_port, timeout), (port, 7))
        factory.clientConnectionFailed(None, Failure(TimeoutError()))
        failure = self.failureResultOf(downloading, TransferError)
        self.assertEqual(
            failure.value.reason, "timed out after 7 s connecting to 192.0.2.1:{}".format(port)
        )
        self.assertEqual(reactor.getDelayedCalls(), [])
        self.assertEqual(os.listdir(folder), [])

    def test_http_connect_timeout(self):
        self.check("http://192.0.2.1:8080/fw.bin", 8080)

    def test_ftp_connect_timeout(self):
        self.check("ftp://192.0.2.1/fw.bin", 21)
