"""
Tests of L{openocpp.transfer.http}: downloads and uploads over HTTP and
HTTPS against a twisted.web site on 127.0.0.1.
"""

from __future__ import annotations

import os

from twisted.internet import reactor
from twisted.internet.defer import CancelledError, inlineCallbacks
from twisted.trial.unittest import TestCase
from twisted.web.resource import Resource

from openocpp.transfer.errors import TransferError
from openocpp.transfer.http import REDIRECT_LIMIT, HttpTransfers, load_trust_root
from tests.transfer.servers import WebServer, silent_resolver_reactor
from tests.transport.certificates import tls_files

DATA = bytes(range(256)) * 400  # 102,400 bytes: several chunks


class HttpDownloadTests(TestCase):
    """
    L{HttpTransfers.download} over plain HTTP.
    """

    def setUp(self) -> None:
        self.server = WebServer(DATA)
        self.base = self.server.start()
        self.addCleanup(self.server.stop)
        self.folder = self.mktemp()
        os.makedirs(self.folder)
        self.destination = os.path.join(self.folder, "fw.bin")
        self.transfers = HttpTransfers(reactor, timeout=5, connect_timeout=5)

    def assertNothingLeft(self) -> None:
        self.assertEqual(os.listdir(self.folder), [])

    @inlineCallbacks
    def test_download_writes_the_whole_file_and_fires_with_its_size(self):
        size = yield self.transfers.download(self.base + "/fw.bin", self.destination)
        self.assertEqual(size, len(DATA))
        with open(self.destination, "rb") as f:
            self.assertEqual(f.read(), DATA)
        self.assertEqual(os.listdir(self.folder), ["fw.bin"])

    @inlineCallbacks
    def test_download_without_content_length_is_complete(self):
        size = yield self.transfers.download(self.base + "/chunked.bin", self.destination)
        self.assertEqual(size, len(DATA))

    @inlineCallbacks
    def test_download_replaces_an_existing_file_only_when_complete(self):
        with open(self.destination, "wb") as f:
            f.write(b"old")
        with self.assertRaises(TransferError):
            yield self.transfers.download(self.base + "/missing", self.destination)
        with open(self.destination, "rb") as f:
            self.assertEqual(f.read(), b"old")
        yield self.transfers.download(self.base + "/fw.bin", self.destination)
        with open(self.destination, "rb") as f:
            self.assertEqual(f.read(), DATA)

    @inlineCallbacks
    def test_404_fails_with_the_status_and_the_url(self):
        url = self.base + "/missing"
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.download(url, self.destination)
        self.assertEqual(caught.exception.reason, "HTTP 404 Not Found from " + url)
        self.assertNothingLeft()

    @inlineCallbacks
    def test_connection_refused_names_the_host(self):
        port = self.server.port.getHost().port
        yield self.server.stop()
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.download(self.base + "/fw.bin", self.destination)
        self.assertEqual(caught.exception.reason, "connection refused by 127.0.0.1:{}".format(port))
        self.assertNothingLeft()

    @inlineCallbacks
    def test_a_server_that_never_answers_times_out(self):
        transfers = HttpTransfers(reactor, timeout=0.2, connect_timeout=5)
        url = self.base + "/hang"
        with self.assertRaises(TransferError) as caught:
            yield transfers.download(url, self.destination)
        self.assertEqual(
            caught.exception.reason, "timed out after 0.2 s waiting for an answer from " + url
        )
        self.assertNothingLeft()

    @inlineCallbacks
    def test_a_body_that_stalls_times_out_and_the_partial_file_is_removed(self):
        transfers = HttpTransfers(reactor, timeout=0.2, connect_timeout=5)
        url = self.base + "/stall"
        with self.assertRaises(TransferError) as caught:
            yield transfers.download(url, self.destination)
        self.assertEqual(
            caught.exception.reason,
            "timed out after 0.2 s without data from {} (10 bytes received)".format(url),
        )
        self.assertNothingLeft()

    @inlineCallbacks
    def test_announced_length_over_the_limit_fails_before_writing(self):
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.download(self.base + "/fw.bin", self.destination, max_bytes=1000)
        self.assertEqual(caught.exception.reason, "larger than the limit of 1000 bytes")
        self.assertNothingLeft()

    @inlineCallbacks
    def test_streamed_body_over_the_limit_stops_and_is_removed(self):
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.download(
                self.base + "/chunked.bin", self.destination, max_bytes=len(DATA) - 1
            )
        self.assertEqual(
            caught.exception.reason, "larger than the limit of {} bytes".format(len(DATA) - 1)
        )
        self.assertNothingLeft()

    @inlineCallbacks
    def test_a_file_exactly_at_the_limit_is_accepted(self):
        size = yield self.transfers.download(
            self.base + "/chunked.bin", self.destination, max_bytes=len(DATA)
        )
        self.assertEqual(size, len(DATA))

    @inlineCallbacks
    def test_redirect_is_followed(self):
        size = yield self.transfers.download(self.base + "/redirect", self.destination)
        self.assertEqual(size, len(DATA))

    @inlineCallbacks
    def test_endless_redirects_fail(self):
        url = self.base + "/loop"
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.download(url, self.destination)
        self.assertEqual(
            caught.exception.reason, "more than {} redirects from {}".format(REDIRECT_LIMIT, url)
        )
        self.assertNothingLeft()

    @inlineCallbacks
    def test_missing_destination_folder_fails_clearly(self):
        destination = os.path.join(self.folder, "no", "fw.bin")
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.download(self.base + "/fw.bin", destination)
        self.assertIn("cannot create a file in", caught.exception.reason)


class HttpsTests(TestCase):
    """
    HTTPS verifies the server's certificate.
    """

    def setUp(self) -> None:
        self.server = WebServer(DATA)
        self.base = self.server.start(tls=True)
        self.addCleanup(self.server.stop)
        self.folder = self.mktemp()
        os.makedirs(self.folder)
        self.destination = os.path.join(self.folder, "fw.bin")

    @inlineCallbacks
    def test_certificate_from_the_given_ca_bundle_is_trusted(self):
        transfers = HttpTransfers(
            reactor, timeout=5, connect_timeout=5, trust_root=str(tls_files().ca)
        )
        size = yield transfers.download(self.base + "/fw.bin", self.destination)
        self.assertEqual(size, len(DATA))

    @inlineCallbacks
    def test_certificate_of_an_unknown_ca_is_refused(self):
        transfers = HttpTransfers(
            reactor, timeout=5, connect_timeout=5, trust_root=str(tls_files().rogue_ca)
        )
        with self.assertRaises(TransferError) as caught:
            yield transfers.download(self.base + "/fw.bin", self.destination)
        self.assertTrue(
            caught.exception.reason.startswith("TLS with 127.0.0.1:"), caught.exception.reason
        )
        self.assertIn("certificate verify failed", caught.exception.reason)
        self.assertEqual(os.listdir(self.folder), [])

    @inlineCallbacks
    def test_without_a_ca_bundle_a_private_ca_is_not_trusted(self):
        transfers = HttpTransfers(reactor, timeout=5, connect_timeout=5)
        with self.assertRaises(TransferError) as caught:
            yield transfers.download(self.base + "/fw.bin", self.destination)
        self.assertIn("certificate verify failed", caught.exception.reason)
        self.assertEqual(os.listdir(self.folder), [])

    @inlineCallbacks
    def test_certificate_for_another_host_is_refused(self):
        yield self.server.stop()
        self.server = WebServer(DATA)
        base = self.server.start(tls=True, wrong_host=True)
        self.addCleanup(self.server.stop)
        transfers = HttpTransfers(
            reactor, timeout=5, connect_timeout=5, trust_root=str(tls_files().ca)
        )
        with self.assertRaises(TransferError) as caught:
            yield transfers.download(base + "/fw.bin", self.destination)
        self.assertEqual(
            caught.exception.reason,
            "TLS with {} failed: its certificate does not name 127.0.0.1".format(base[len("https://"):]),
        )
        self.assertEqual(os.listdir(self.folder), [])

    @inlineCallbacks
    def test_upload_over_https(self):
        transfers = HttpTransfers(
            reactor, timeout=5, connect_timeout=5, trust_root=str(tls_files().ca)
        )
        source = os.path.join(self.folder, "d.zip")
        with open(source, "wb") as f:
            f.write(DATA)
        yield transfers.upload(self.base + "/upload/", source, "d.zip")
        self.assertEqual(self.server.sink.received, {b"/upload/d.zip": DATA})

    def test_a_ca_bundle_without_certificates_is_refused(self):
        bundle = self.mktemp()
        with open(bundle, "w") as f:
            f.write("nothing here")
        with self.assertRaises(TransferError) as caught:
            load_trust_root(bundle)
        self.assertEqual(caught.exception.reason, "no certificate in the CA bundle " + bundle)


class HttpUploadTests(TestCase):
    """
    L{HttpTransfers.upload}: a PUT of the file's bytes to the directory
    location plus the file name.
    """

    def setUp(self) -> None:
        self.server = WebServer(DATA)
        self.base = self.server.start()
        self.addCleanup(self.server.stop)
        self.source = self.mktemp()
        with open(self.source, "wb") as f:
            f.write(DATA)
        self.transfers = HttpTransfers(reactor, timeout=5, connect_timeout=5)

    @inlineCallbacks
    def test_upload_puts_the_file_under_its_name_in_the_directory(self):
        result = yield self.transfers.upload(self.base + "/upload", self.source, "diag 1.zip")
        self.assertIsNone(result)
        self.assertEqual(self.server.sink.received, {b"/upload/diag%201.zip": DATA})

    @inlineCallbacks
    def test_upload_keeps_the_locations_query(self):
        yield self.transfers.upload(self.base + "/upload/?sig=a%2Fb", self.source, "d.zip")
        self.assertEqual(self.server.sink.received, {b"/upload/d.zip": DATA})
        self.assertEqual(self.server.sink.queries, [b"sig=a%2Fb"])

    @inlineCallbacks
    def test_refused_upload_fails_with_the_status(self):
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.upload(self.base + "/forbidden/", self.source, "d.zip")
        self.assertEqual(
            caught.exception.reason, "HTTP 403 Forbidden from {}/forbidden/d.zip".format(self.base)
        )

    @inlineCallbacks
    def test_missing_source_fails_without_connecting(self):
        missing = self.mktemp()
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.upload(self.base + "/upload/", missing, "d.zip")
        self.assertIn("cannot read " + missing, caught.exception.reason)
        self.assertEqual(self.server.sink.received, {})

    @inlineCallbacks
    def test_a_server_that_never_answers_an_upload_times_out(self):
        transfers = HttpTransfers(reactor, timeout=0.2, connect_timeout=5)
        with self.assertRaises(TransferError) as caught:
            yield transfers.upload(self.base + "/hang", self.source, "d.zip")
        self.assertEqual(
            caught.exception.reason,
            "timed out after 0.2 s waiting for an answer from {}/hang/d.zip".format(self.base),
        )


class HttpCancelTests(TestCase):
    """
    A download cancelled by its caller stops, and leaves nothing behind.
    """

    def setUp(self) -> None:
        self.server = WebServer(DATA)
        self.base = self.server.start()
        self.addCleanup(self.server.stop)
        self.folder = self.mktemp()
        os.makedirs(self.folder)
        self.transfers = HttpTransfers(reactor, timeout=5, connect_timeout=5)

    @inlineCallbacks
    def test_cancel_while_the_body_arrives(self):
        downloading = self.transfers.download(self.base + "/stall", os.path.join(self.folder, "fw"))
        yield self.server.stall.request_seen()
        downloading.cancel()
        with self.assertRaises(CancelledError):
            yield downloading
        self.assertEqual(os.listdir(self.folder), [])

    @inlineCallbacks
    def test_cancel_while_waiting_for_the_answer(self):
        downloading = self.transfers.download(self.base + "/hang", os.path.join(self.folder, "fw"))
        yield self.server.hang.request_seen()
        downloading.cancel()
        with self.assertRaises(CancelledError):
            yield downloading
        self.assertEqual(os.listdir(self.folder), [])

    @inlineCallbacks
    def test_cancel_while_the_host_name_resolves_is_a_cancel_not_a_dns_error(self):
        """
        Twisted reports a cancel during name resolution as a DNS lookup
        error; the caller still gets C{CancelledError}.
        """
        transfers = HttpTransfers(silent_resolver_reactor(), timeout=5, connect_timeout=5)
        downloading = transfers.download(
            "http://firmware.example:8080/fw.bin", os.path.join(self.folder, "fw")
        )
        downloading.cancel()
        with self.assertRaises(CancelledError):
            yield downloading
        self.assertEqual(os.listdir(self.folder), [])

    @inlineCallbacks
    def test_upload_cancelled_while_the_host_name_resolves_is_a_cancel(self):
        source = os.path.join(self.folder, "log.txt")
        with open(source, "wb") as file:
            file.write(b"log")
        transfers = HttpTransfers(silent_resolver_reactor(), timeout=5, connect_timeout=5)
        uploading = transfers.upload("http://logs.example:8080/upload", source, "log.txt")
        uploading.cancel()
        with self.assertRaises(CancelledError):
            yield uploading


class Guarded(Resource):
    """
    Serves C{data} to the user C{fw} with the password C{"s3cr:t@x"}
    (HTTP Basic), 401 to anyone else; takes PUTs the same way.
    """

    isLeaf = True

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self.data = data
        self.received: list[bytes] = []

    def _allowed(self, request) -> bool:
        if (request.getUser(), request.getPassword()) == (b"fw", b"s3cr:t@x"):
            return True
        request.setResponseCode(401)
        return False

    def render_GET(self, request) -> bytes:
        return self.data if self._allowed(request) else b"no"

    def render_PUT(self, request) -> bytes:
        if self._allowed(request):
            self.received.append(request.content.read())
        return b""


class HttpCredentialsTests(TestCase):
    """
    A location's C{user:password@} (the form section 8 gives) is sent as
    HTTP Basic authentication, never as part of the host name, and the
    password is in no failure's reason.
    """

    def setUp(self) -> None:
        self.server = WebServer(DATA)
        self.guarded = Guarded(DATA)
        self.server.site.resource.putChild(b"guarded", self.guarded)
        base = self.server.start()
        self.addCleanup(self.server.stop)
        self.host = base[len("http://"):]
        self.folder = self.mktemp()
        os.makedirs(self.folder)
        self.destination = os.path.join(self.folder, "fw.bin")
        self.transfers = HttpTransfers(reactor, timeout=5, connect_timeout=5)

    @inlineCallbacks
    def test_user_and_password_in_the_url_are_basic_authentication(self):
        url = "http://fw:s3cr%3At%40x@{}/guarded/fw.bin".format(self.host)
        size = yield self.transfers.download(url, self.destination)
        self.assertEqual(size, len(DATA))

    @inlineCallbacks
    def test_refused_credentials_fail_without_the_password_in_the_reason(self):
        url = "http://fw:wrong-pass@{}/guarded/fw.bin".format(self.host)
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.download(url, self.destination)
        self.assertEqual(
            caught.exception.reason,
            "HTTP 401 Unauthorized from http://{}/guarded/fw.bin".format(self.host),
        )
        self.assertEqual(os.listdir(self.folder), [])

    @inlineCallbacks
    def test_refused_connection_names_the_host_without_the_credentials(self):
        port = self.server.port.getHost().port
        yield self.server.stop()
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.download(
                "http://fw:wrong-pass@127.0.0.1:{}/fw.bin".format(port), self.destination
            )
        self.assertEqual(caught.exception.reason, "connection refused by 127.0.0.1:{}".format(port))

    @inlineCallbacks
    def test_upload_with_credentials_in_the_url(self):
        source = os.path.join(self.folder, "d.zip")
        with open(source, "wb") as f:
            f.write(b"diagnostics")
        yield self.transfers.upload(
            "http://fw:s3cr%3At%40x@{}/guarded/".format(self.host), source, "d.zip"
        )
        self.assertEqual(self.guarded.received, [b"diagnostics"])
