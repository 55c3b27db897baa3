"""
Tests of L{openocpp.transfer.ftp}: downloads and uploads against Twisted's
own FTP server on 127.0.0.1 (L{tests.transfer.servers.FtpServer}).
"""

from __future__ import annotations

import os

from twisted.internet import reactor
from twisted.internet.defer import CancelledError, Deferred, inlineCallbacks
from twisted.internet.task import deferLater
from twisted.internet.protocol import Factory, Protocol
from twisted.trial.unittest import TestCase

from openocpp.transfer.errors import TransferError, redact
from openocpp.transfer.ftp import FtpTransfers
from tests.transfer.servers import FtpServer, silent_resolver_reactor

DATA = bytes(range(256)) * 400

#: alice's password, "p@ss:w/rd", percent-encoded for a URL.
ALICE = "alice:p%40ss%3Aw%2Frd"


class FtpTestCase(TestCase):
    """
    A server with a firmware file in alice's home, in a folder of its own,
    and in the anonymous folder.
    """

    def setUp(self) -> None:
        self.server = FtpServer(self.mktemp())
        self.port = self.server.start()
        self.addCleanup(self.server.stop)
        self.server.home.child("fw.bin").setContent(DATA)
        self.server.home.child("fw dir").makedirs()
        self.server.home.child("fw dir").child("fw 2.bin").setContent(b"two")
        self.server.public.child("fw.bin").setContent(b"public")
        self.folder = self.mktemp()
        os.makedirs(self.folder)
        self.destination = os.path.join(self.folder, "fw.bin")
        self.transfers = FtpTransfers(reactor, timeout=5, connect_timeout=5)

    def url(self, path: str, user: str | None = ALICE) -> str:
        credentials = user + "@" if user else ""
        return "ftp://{}127.0.0.1:{}/{}".format(credentials, self.port, path)

    def assertNothingLeft(self) -> None:
        self.assertEqual(os.listdir(self.folder), [])


class FtpDownloadTests(FtpTestCase):
    """
    L{FtpTransfers.download}: RETR in passive mode.
    """

    @inlineCallbacks
    def test_download_with_escaped_user_and_password(self):
        size = yield self.transfers.download(self.url("fw.bin"), self.destination)
        self.assertEqual(size, len(DATA))
        with open(self.destination, "rb") as f:
            self.assertEqual(f.read(), DATA)
        self.assertEqual(os.listdir(self.folder), ["fw.bin"])

    @inlineCallbacks
    def test_download_of_an_escaped_path_in_a_folder(self):
        size = yield self.transfers.download(self.url("fw%20dir/fw%202.bin"), self.destination)
        self.assertEqual(size, 3)

    @inlineCallbacks
    def test_anonymous_download_without_credentials(self):
        size = yield self.transfers.download(self.url("fw.bin", user=None), self.destination)
        self.assertEqual(size, len(b"public"))

    @inlineCallbacks
    def test_missing_file_fails_with_550(self):
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.download(self.url("nothing.bin"), self.destination)
        self.assertTrue(caught.exception.reason.startswith("FTP 550 "), caught.exception.reason)
        self.assertIn("nothing.bin", caught.exception.reason)
        self.assertNothingLeft()

    @inlineCallbacks
    def test_wrong_password_fails_with_530(self):
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.download(self.url("fw.bin", user="alice:wrong"), self.destination)
        self.assertEqual(
            caught.exception.reason,
            "FTP 530 Sorry, Authentication failed. (from 127.0.0.1:{})".format(self.port),
        )
        self.assertNothingLeft()

    @inlineCallbacks
    def test_over_the_limit_stops_and_is_removed(self):
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.download(self.url("fw.bin"), self.destination, max_bytes=5000)
        self.assertEqual(caught.exception.reason, "larger than the limit of 5000 bytes")
        self.assertNothingLeft()
        yield self.server.stop()
        # Twisted's FTP server logs the data connection we cut short (when
        # it had not yet handed the whole file to the socket).
        logged = {str(f.value) for f in self.flushLoggedErrors(Exception)}
        self.assertLessEqual(logged, {"Consumer asked us to stop producing"})

    @inlineCallbacks
    def test_connection_refused(self):
        port = self.port
        yield self.server.stop()
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.download(self.url("fw.bin"), self.destination)
        self.assertEqual(caught.exception.reason, "connection refused by 127.0.0.1:{}".format(port))
        self.assertNothingLeft()

    @inlineCallbacks
    def test_a_url_naming_no_file_fails_without_connecting(self):
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.download(self.url("fw%20dir/"), self.destination)
        self.assertEqual(caught.exception.reason, "no file name in " + redact(self.url("fw%20dir/")))
        self.assertNotIn("p%40ss", caught.exception.reason)
        self.assertEqual(self.server.factory.instances, [])

    @inlineCallbacks
    def test_a_line_break_in_the_url_is_refused(self):
        url = self.url("fw.bin%0D%0ADELE%20fw.bin")
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.download(url, self.destination)
        self.assertEqual(caught.exception.reason, "line breaks in " + redact(url))
        self.assertTrue(self.server.home.child("fw.bin").exists())


class SilentServer(Protocol):
    """
    Accepts a connection and never says a word (no FTP greeting).
    """


class FtpTimeoutTests(TestCase):
    """
    A server that never answers times the transfer out.
    """

    @inlineCallbacks
    def test_a_server_without_greeting_times_out(self):
        factory = Factory.forProtocol(SilentServer)
        protocols = []
        factory.buildProtocol = lambda addr: protocols.append(SilentServer()) or protocols[-1]
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        folder = self.mktemp()
        os.makedirs(folder)
        transfers = FtpTransfers(reactor, timeout=0.2, connect_timeout=5)
        url = "ftp://127.0.0.1:{}/fw.bin".format(port.getHost().port)
        with self.assertRaises(TransferError) as caught:
            yield transfers.download(url, os.path.join(folder, "fw.bin"))
        self.assertEqual(caught.exception.reason, "timed out after 0.2 s without progress")
        self.assertEqual(os.listdir(folder), [])
        for protocol in protocols:
            if protocol.transport.connected:
                protocol.transport.abortConnection()


class FtpCancelTests(TestCase):
    """
    A transfer cancelled by its caller stops and leaves nothing behind.
    """

    @inlineCallbacks
    def test_cancel_while_logging_in(self):
        protocols = []
        connected = Deferred()

        def build(addr):
            protocol = SilentServer()
            protocol.connectionMade = lambda: connected.callback(None)
            protocols.append(protocol)
            return protocol

        factory = Factory()
        factory.buildProtocol = build
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        folder = self.mktemp()
        os.makedirs(folder)
        transfers = FtpTransfers(reactor, timeout=5, connect_timeout=5)
        url = "ftp://127.0.0.1:{}/fw.bin".format(port.getHost().port)
        downloading = transfers.download(url, os.path.join(folder, "fw.bin"))
        # The client is connected, waiting for the greeting to log in.
        yield connected
        downloading.cancel()
        with self.assertRaises(CancelledError):
            yield downloading
        self.assertEqual(os.listdir(folder), [])
        for protocol in protocols:
            if protocol.transport.connected:
                protocol.transport.abortConnection()
        yield deferLater(reactor, 0, lambda: None)


    @inlineCallbacks
    def test_cancel_while_the_host_name_resolves_is_a_cancel_not_a_dns_error(self):
        """
        Twisted reports a cancel during name resolution as a DNS lookup
        error; the caller still gets C{CancelledError}.
        """
        folder = self.mktemp()
        os.makedirs(folder)
        transfers = FtpTransfers(silent_resolver_reactor(), timeout=5, connect_timeout=5)
        downloading = transfers.download("ftp://firmware.example/fw.bin", os.path.join(folder, "fw.bin"))
        downloading.cancel()
        with self.assertRaises(CancelledError):
            yield downloading
        self.assertEqual(os.listdir(folder), [])

class _Garbage(Protocol):
    """
    Not an FTP server: answers noise, then hangs up.
    """

    def connectionMade(self):
        self.transport.write(b"hello this is not ftp\r\n\x00\xff garbage\r\n")
        reactor.callLater(0.1, self.transport.loseConnection)


class _Midway(Protocol):
    """
    Greets and takes the user, then hangs up at the password.
    """

    def connectionMade(self):
        self.transport.write(b"220 hello\r\n")

    def dataReceived(self, data):
        if data.startswith(b"USER"):
            self.transport.write(b"331 password please\r\n")
        else:
            self.transport.loseConnection()


class HostileFtpServerTests(TestCase):
    """
    A server that answers garbage, or closes mid-dialogue: the download
    fails saying the connection was lost (not blaming a data connection),
    and leaves nothing.
    """

    @inlineCallbacks
    def download_from(self, protocol):
        port = reactor.listenTCP(0, Factory.forProtocol(protocol), interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        folder = self.mktemp()
        os.makedirs(folder)
        transfers = FtpTransfers(reactor, timeout=5, connect_timeout=5)
        where = "127.0.0.1:{}".format(port.getHost().port)
        with self.assertRaises(TransferError) as caught:
            yield transfers.download("ftp://{}/fw.bin".format(where), os.path.join(folder, "fw.bin"))
        self.assertEqual(os.listdir(folder), [])
        return caught.exception.reason, where

    @inlineCallbacks
    def test_a_server_answering_garbage_fails_as_a_lost_connection(self):
        reason, where = yield self.download_from(_Garbage)
        self.assertEqual(reason, "FTP connection to {} lost: Connection was closed cleanly.".format(where))

    @inlineCallbacks
    def test_a_server_closing_mid_login_fails_as_a_lost_connection(self):
        reason, where = yield self.download_from(_Midway)
        self.assertEqual(reason, "FTP connection to {} lost: Connection was closed cleanly.".format(where))


class FtpUploadTests(FtpTestCase):
    """
    L{FtpTransfers.upload}: STOR into the URL's directory.
    """

    def setUp(self) -> None:
        super().setUp()
        self.source = os.path.join(self.folder, "diag.zip")
        with open(self.source, "wb") as f:
            f.write(DATA)

    @inlineCallbacks
    def test_upload_lands_in_the_servers_folder(self):
        result = yield self.transfers.upload(self.url(""), self.source, "diag.zip")
        self.assertIsNone(result)
        self.assertEqual(self.server.home.child("diag.zip").getContent(), DATA)

    @inlineCallbacks
    def test_upload_into_a_subfolder_with_escapes(self):
        yield self.transfers.upload(self.url("fw%20dir/"), self.source, "d 1.zip")
        self.assertEqual(self.server.home.child("fw dir").child("d 1.zip").getContent(), DATA)

    @inlineCallbacks
    def test_upload_refused_to_a_read_only_user(self):
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.upload(self.url("", user="reader:secret"), self.source, "diag.zip")
        self.assertTrue(caught.exception.reason.startswith("FTP 550 "), caught.exception.reason)
        self.assertFalse(self.server.reader_home.child("diag.zip").exists())

    @inlineCallbacks
    def test_upload_into_a_missing_folder_is_refused(self):
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.upload(self.url("nowhere/"), self.source, "diag.zip")
        self.assertTrue(caught.exception.reason.startswith("FTP 55"), caught.exception.reason)

    @inlineCallbacks
    def test_upload_with_wrong_password_fails_with_530(self):
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.upload(self.url("", user="alice:nope"), self.source, "diag.zip")
        self.assertTrue(caught.exception.reason.startswith("FTP 530 "), caught.exception.reason)
        self.assertFalse(self.server.home.child("diag.zip").exists())

    @inlineCallbacks
    def test_a_file_name_with_a_folder_is_refused(self):
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.upload(self.url(""), self.source, "../x.zip")
        self.assertEqual(
            caught.exception.reason, "bad file name '../x.zip' for " + redact(self.url(""))
        )
