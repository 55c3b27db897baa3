"""
Tests of L{openocpp.web.uploads}: the upload endpoint charge points send
diagnostics to, over loopback with openocpp's own transfer client, and the
API routes that hand out its locations and list what arrived.
"""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks, succeed
from twisted.trial.unittest import SynchronousTestCase, TestCase
from twisted.web.client import readBody
from twisted.web.iweb import UNKNOWN_LENGTH, IBodyProducer
from twisted.web.test.requesthelper import DummyChannel
from zope.interface import implementer

from openocpp.messages.core import GetDiagnosticsRequest, GetDiagnosticsResponse
from openocpp.messages.security import GetLogRequest, GetLogResponse
from openocpp.transfer import TransferError, Transfers
from openocpp.web.uploads import UploadRequest, safe_name
from tests.web.api_client import ApiMixin
from tests.web.browser import BrowserMixin

DATA = b"diagnostics " * 5000


class SafeNameTests(SynchronousTestCase):
    """
    L{safe_name} keeps a file in its folder.
    """

    def test_path_parts_and_leading_dots_are_dropped(self):
        self.assertEqual(safe_name("../../etc/passwd"), "passwd")
        self.assertEqual(safe_name("..\\..\\boot.ini"), "boot.ini")
        self.assertEqual(safe_name(".."), "upload")
        self.assertEqual(safe_name(".hidden"), "hidden")

    def test_other_characters_become_underscores(self):
        self.assertEqual(safe_name("diag 2026:01 é.zip"), "diag_2026_01_.zip")

    def test_long_names_are_cut_keeping_the_extension(self):
        name = safe_name("x" * 500 + ".zip")
        self.assertEqual(len(name), 120)
        self.assertTrue(name.endswith(".zip"))


class UploadOptionsTests(SynchronousTestCase):
    """
    C{twistd openocpp centralsystem}'s upload options reach the API's
    config; a bad one is refused naming the option.
    """

    def parse(self, *arguments):
        from openocpp.centralsystem.tap import CentralSystemOptions

        options = CentralSystemOptions()
        options.parseOptions(["--api", "tcp:8081:interface=127.0.0.1", *arguments])
        return options.api_config

    def test_defaults(self):
        api = self.parse()
        self.assertEqual(
            (api.public_url, api.max_upload, api.upload_lifetime), (None, 64 * 1024 * 1024, 86400.0)
        )

    def test_options_set_them(self):
        api = self.parse(
            "--api-public-url", "https://cs.example.com:8081",
            "--api-max-upload", "1000",
            "--api-upload-lifetime", "60",
        )
        self.assertEqual(
            (api.public_url, api.max_upload, api.upload_lifetime),
            ("https://cs.example.com:8081", 1000, 60.0),
        )

    def test_bad_values_are_refused_naming_the_option(self):
        from twisted.python.usage import UsageError

        error = self.assertRaises(UsageError, self.parse, "--api-public-url", "cs.example.com")
        self.assertIn("--api-public-url", str(error))
        error = self.assertRaises(UsageError, self.parse, "--api-upload-lifetime", "0")
        self.assertIn("--api-upload-lifetime", str(error))
        error = self.assertRaises(UsageError, self.parse, "--api-max-upload", "-1")
        self.assertIn("--api-max-upload", str(error))


class UploadsTestCase(ApiMixin, TestCase):
    """
    A central system with its API; helpers for upload locations.
    """

    @inlineCallbacks
    def setUp(self):
        yield self.start()
        self.folder = self.config.database + ".uploads"
        self.source = self.mktemp()
        with open(self.source, "wb") as f:
            f.write(DATA)
        self.transfers = Transfers(reactor, timeout=5, connect_timeout=5)

    def location(self, token="t0ken", identity="CP1", lifetime=3600):
        store = self.central.store
        store.add_upload_token(token, identity, store.now() + timedelta(seconds=lifetime))
        return self.base + "/uploads/" + token + "/"

    def kept(self):
        found = []
        for folder, _, names in os.walk(self.folder):
            found.extend(os.path.relpath(os.path.join(folder, n), self.folder) for n in names)
        return sorted(found)


class UploadEndpointTests(UploadsTestCase):
    """
    C{/uploads/<token>/}: one file per token, kept beside the database and
    listed by the API.
    """

    @inlineCallbacks
    def test_upload_from_transfers_lands_in_the_folder_and_the_list(self):
        yield self.transfers.upload(self.location(), self.source, "diag.zip")
        self.assertEqual(self.kept(), ["CP1/diag.zip"])
        with open(os.path.join(self.folder, "CP1", "diag.zip"), "rb") as f:
            self.assertEqual(f.read(), DATA)
        listed = yield self.get("/api/v1/uploads")
        self.assertEqual(listed.status, 200)
        self.assertEqual(listed.json["total"], 1)
        item = listed.json["items"][0]
        self.assertEqual(
            {k: item[k] for k in ("chargePoint", "fileName", "size", "sha256")},
            {"chargePoint": "CP1", "fileName": "diag.zip", "size": len(DATA),
             "sha256": hashlib.sha256(DATA).hexdigest()},
        )
        download = yield self.get(item["href"])
        self.assertEqual(download.status, 200)
        self.assertEqual(download.body, DATA)
        self.assertEqual(download.header("content-type"), b"application/octet-stream")
        self.assertEqual(download.header("content-disposition"), b'attachment; filename="diag.zip"')

    @inlineCallbacks
    def test_a_kept_upload_is_a_live_event(self):
        heard = []
        unsubscribe = self.web.events.subscribe(lambda number, kind, data: heard.append((kind, data)))
        self.addCleanup(unsubscribe)
        yield self.transfers.upload(self.location(), self.source, "diag.zip")
        [(kind, data)] = [event for event in heard if event[0] == "uploadReceived"]
        self.assertEqual(data["chargePoint"], "CP1")
        self.assertEqual(
            (data["upload"]["fileName"], data["upload"]["size"]), ("diag.zip", len(DATA))
        )
        self.assertTrue(data["upload"]["receivedAt"])

    @inlineCallbacks
    def test_a_token_serves_one_upload_only(self):
        location = self.location()
        yield self.transfers.upload(location, self.source, "diag.zip")
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.upload(location, self.source, "again.zip")
        self.assertEqual(
            caught.exception.reason, "HTTP 404 Not Found from {}again.zip".format(location)
        )
        self.assertEqual(self.kept(), ["CP1/diag.zip"])

    @inlineCallbacks
    def test_wrong_token_is_404_and_writes_nothing(self):
        self.location()
        answer = yield self.http("PUT", "/uploads/wrong/diag.zip", raw=DATA)
        self.assertError(answer, 404, "not_found")
        self.assertFalse(os.path.exists(self.folder))

    @inlineCallbacks
    def test_expired_token_is_404(self):
        location = self.location(lifetime=-1)
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.upload(location, self.source, "diag.zip")
        self.assertIn("HTTP 404", caught.exception.reason)
        self.assertFalse(os.path.exists(self.folder))

    @inlineCallbacks
    def test_path_traversal_in_the_name_is_stored_safely(self):
        location = self.location()
        path = location[len(self.base):] + "..%2F..%2F..%2Fevil.zip"
        answer = yield self.http("PUT", path, raw=b"x")
        self.assertEqual(answer.status, 201, answer)
        self.assertEqual(answer.json["fileName"], "evil.zip")
        self.assertEqual(self.kept(), ["CP1/evil.zip"])
        self.assertFalse(os.path.exists(os.path.join(os.path.dirname(self.folder), "evil.zip")))

    @inlineCallbacks
    def test_concurrent_uploads_with_one_token_keep_one_file(self):
        """
        Five uploads at once with one token: one is kept (201), the others
        are 404 as a spent token's, and one file is on disk.
        """
        from twisted.internet.defer import gatherResults

        location = self.location()
        path = location[len(self.base):]
        answers = yield gatherResults(
            [self.http("PUT", path + "d{}.zip".format(n), raw=DATA) for n in range(5)]
        )
        self.assertEqual(sorted(answer.status for answer in answers), [201, 404, 404, 404, 404])
        self.assertEqual(len(self.kept()), 1)
        listed = yield self.get("/api/v1/uploads")
        self.assertEqual(listed.json["total"], 1)

    @inlineCallbacks
    def test_nul_and_unicode_names_are_stored_safely(self):
        """
        A name with a NUL, one with non-ASCII letters, one that is only
        dots: each stored under a plain safe name in the charge point's
        folder.
        """
        names = []
        for token, raw in (("n1", "a%00b.zip"), ("n2", "diagnostic%C3%A9%E6%BC%A2.zip"), ("n3", "..")):
            answer = yield self.http("PUT", self.location(token)[len(self.base):] + raw, raw=b"x")
            if answer.status == 201:
                names.append(answer.json["fileName"])
            else:
                names.append(answer.status)
        self.assertEqual(names[:2], ["a_b.zip", "diagnostic_.zip"])
        self.assertIn(names[2], (400, "upload"))
        for kept in self.kept():
            self.assertTrue(kept.startswith("CP1/"), kept)
            self.assertNotIn("\x00", kept)

    @inlineCallbacks
    def test_a_name_taken_gets_a_number(self):
        yield self.transfers.upload(self.location("a"), self.source, "diag.zip")
        yield self.transfers.upload(self.location("b"), self.source, "diag.zip")
        self.assertEqual(self.kept(), ["CP1/diag-1.zip", "CP1/diag.zip"])

    @inlineCallbacks
    def test_multipart_post_is_accepted(self):
        location = self.location()
        boundary = "b0undary"
        body = (
            "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.tar.gz\"\r\n"
            "Content-Type: application/gzip\r\n\r\n".format(b=boundary).encode()
            + DATA
            + "\r\n--{b}--\r\n".format(b=boundary).encode()
        )
        answer = yield self.http(
            "POST", location[len(self.base):], raw=body,
            headers={"Content-Type": "multipart/form-data; boundary=" + boundary},
        )
        self.assertEqual(answer.status, 201, answer)
        self.assertEqual(answer.json["fileName"], "d.tar.gz")
        with open(os.path.join(self.folder, "CP1", "d.tar.gz"), "rb") as f:
            self.assertEqual(f.read(), DATA)

    @inlineCallbacks
    def test_multipart_without_a_file_is_400_and_the_token_stays_good(self):
        location = self.location()
        for body, kind in [
            (b"--x\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nhello\r\n--x--\r\n",
             "multipart/form-data; boundary=x"),
            (b"garbage", "multipart/form-data"),
        ]:
            answer = yield self.http("POST", location[len(self.base):], raw=body, headers={"Content-Type": kind})
            self.assertError(answer, 400, "bad_upload")
        self.assertFalse(os.path.exists(self.folder))
        yield self.transfers.upload(location, self.source, "diag.zip")

    @inlineCallbacks
    def test_put_without_a_file_name_is_400(self):
        location = self.location()
        answer = yield self.http("PUT", location[len(self.base):], raw=b"x")
        self.assertError(answer, 400, "bad_upload")
        self.assertFalse(os.path.exists(self.folder))
        # The token is not spent by a refused request.
        yield self.transfers.upload(location, self.source, "diag.zip")

    @inlineCallbacks
    def test_get_is_405(self):
        answer = yield self.get("/uploads/" + "t0ken/x")
        self.assertError(answer, 405, "method_not_allowed")

    @inlineCallbacks
    def test_list_filtered_by_charge_point_and_unknown_upload(self):
        yield self.transfers.upload(self.location("a", "CP1"), self.source, "one.zip")
        yield self.transfers.upload(self.location("b", "CP2"), self.source, "two.zip")
        listed = yield self.get("/api/v1/uploads?chargePoint=CP2")
        self.assertEqual([i["fileName"] for i in listed.json["items"]], ["two.zip"])
        listed = yield self.get("/api/v1/uploads")
        self.assertEqual([i["fileName"] for i in listed.json["items"]], ["two.zip", "one.zip"])
        missing = yield self.get("/api/v1/uploads/999")
        self.assertError(missing, 404, "unknown_upload")

    @inlineCallbacks
    def test_a_file_removed_from_disk_is_410(self):
        yield self.transfers.upload(self.location(), self.source, "diag.zip")
        os.unlink(os.path.join(self.folder, "CP1", "diag.zip"))
        listed = yield self.get("/api/v1/uploads")
        answer = yield self.get(listed.json["items"][0]["href"])
        self.assertError(answer, 410, "upload_gone")


class UploadStorageFailureTests(UploadsTestCase):
    """
    An upload that cannot be kept is answered so, nothing of it is left,
    and its token stays good.
    """

    @inlineCallbacks
    def test_a_failing_commit_is_503_and_the_file_removed(self):
        from tests.centralsystem.store_file import FullDisk

        location = self.location()
        yield self.central.store.when_committed()
        full = FullDisk(self.central.store)
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.upload(location, self.source, "diag.zip")
        self.assertEqual(
            caught.exception.reason, "HTTP 503 Service Unavailable from {}diag.zip".format(location)
        )
        self.assertEqual(self.kept(), [])
        full.make_room()
        listed = yield self.get("/api/v1/uploads")
        self.assertEqual(listed.json["total"], 0)
        yield self.transfers.upload(location, self.source, "diag.zip")
        self.assertEqual(self.kept(), ["CP1/diag.zip"])
        self.flushLoggedErrors()

    @inlineCallbacks
    def test_an_unwritable_folder_is_507_and_the_token_stays_good(self):
        location = self.location()
        with open(self.folder, "w") as blocker:
            blocker.write("not a folder")
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.upload(location, self.source, "diag.zip")
        self.assertIn("HTTP 507", caught.exception.reason)
        os.unlink(self.folder)
        yield self.transfers.upload(location, self.source, "diag.zip")
        self.assertEqual(self.kept(), ["CP1/diag.zip"])


class UploadLimitTests(UploadsTestCase):
    """
    The size limit (C{--api-max-upload}).
    """

    api_settings = {"max_upload": 1000}

    @inlineCallbacks
    def test_an_upload_over_the_limit_is_413_and_nothing_is_kept(self):
        location = self.location()
        with self.assertRaises(TransferError) as caught:
            yield self.transfers.upload(location, self.source, "diag.zip")
        self.assertEqual(
            caught.exception.reason,
            "HTTP 413 Request Entity Too Large from {}diag.zip".format(location),
        )
        self.assertFalse(os.path.exists(self.folder))
        listed = yield self.get("/api/v1/uploads")
        self.assertEqual(listed.json["total"], 0)
        answer = yield self.http("PUT", location[len(self.base):] + "d.zip", raw=DATA)
        self.assertIn("1000 bytes (--api-max-upload)", answer.json["description"])


@implementer(IBodyProducer)
class ChunkedBody:
    """
    A request body of unknown length: sent chunked.
    """

    length = UNKNOWN_LENGTH

    def __init__(self, data: bytes) -> None:
        self._data = data

    def startProducing(self, consumer):
        for start in range(0, len(self._data), 4096):
            consumer.write(self._data[start : start + 4096])
        return succeed(None)

    def pauseProducing(self):
        pass

    def stopProducing(self):
        pass


class UploadLimitWhileArrivingTests(UploadsTestCase):
    """
    A body is refused as it arrives: told by its headers (a usable token, a
    Content-Length within the limit), or while a chunked one streams.
    """

    api_settings = {"max_upload": 1000}

    @inlineCallbacks
    def test_a_chunked_upload_growing_past_the_limit_is_413(self):
        location = self.location()
        response = yield self.agent.request(
            b"PUT", (location + "diag.zip").encode("ascii"), None, ChunkedBody(DATA)
        )
        body = yield readBody(response)
        self.assertEqual(response.code, 413, body)
        self.assertIn(b"larger than the limit of 1000 bytes", body)
        self.assertFalse(os.path.exists(self.folder))
        # The token is still good for a file within the limit.
        answer = yield self.http("PUT", location[len(self.base):] + "small.zip", raw=b"x" * 1000)
        self.assertEqual(answer.status, 201, answer)

    def test_a_refused_body_is_not_kept(self):
        store = self.central.store
        store.add_upload_token("good", "CP1", store.now() + timedelta(hours=1))
        for path, length, status in [
            (b"/uploads/good/d.zip", 10**9, 413),
            (b"/uploads/wrong/d.zip", 10, 404),
        ]:
            channel = DummyChannel()
            channel.site = self.web.site
            channel._path = path
            request = UploadRequest(channel)
            request.gotLength(length)
            self.assertEqual(request.upload_refusal[0], status)
            request.handleContentChunk(b"x" * 5000)
            self.assertEqual(request.content.read(), b"")
        channel = DummyChannel()
        channel.site = self.web.site
        channel._path = b"/uploads/good/d.zip"
        request = UploadRequest(channel)
        request.gotLength(10)
        self.assertIsNone(request.upload_refusal)
        request.handleContentChunk(b"0123456789")
        request.content.seek(0)
        self.assertEqual(request.content.read(), b"0123456789")


class DiagnosticsRouteTests(UploadsTestCase):
    """
    C{POST /api/v1/chargepoints/{identity}/diagnostics} sends GetDiagnostics
    with a location of ours.
    """

    @inlineCallbacks
    def test_sends_our_location_and_answers_the_file_name(self):
        cp = yield self.booted("CP1")
        cp.answers["GetDiagnostics"] = GetDiagnosticsResponse(file_name="diag.zip")
        answer = yield self.post(
            "/api/v1/chargepoints/CP1/diagnostics",
            {"retries": 2, "retryInterval": 30, "startTime": "2026-01-01T00:00:00Z"},
        )
        self.assertEqual(answer.status, 200, answer)
        location = answer.json["location"]
        self.assertEqual(answer.json["fileName"], "diag.zip")
        self.assertTrue(location.startswith(self.base + "/uploads/"), location)
        self.assertTrue(location.endswith("/"))
        sent = cp.received[-1]
        self.assertIsInstance(sent, GetDiagnosticsRequest)
        self.assertEqual((sent.location, sent.retries, sent.retry_interval), (location, 2, 30))
        # The charge point can then upload there, once.
        yield self.transfers.upload(location, self.source, "diag.zip")
        self.assertEqual(self.kept(), ["CP1/diag.zip"])

    @inlineCallbacks
    def test_a_location_given_is_sent_as_it_is(self):
        cp = yield self.booted("CP1")
        cp.answers["GetDiagnostics"] = GetDiagnosticsResponse()
        answer = yield self.post(
            "/api/v1/chargepoints/CP1/diagnostics", {"location": "ftp://elsewhere.example/in/"}
        )
        self.assertEqual(answer.json, {"fileName": None, "location": "ftp://elsewhere.example/in/"})
        self.assertEqual(cp.received[-1].location, "ftp://elsewhere.example/in/")

    @inlineCallbacks
    def test_bad_body_is_400_and_nothing_is_sent(self):
        cp = yield self.booted("CP1")
        before = len(cp.received)
        answer = yield self.post("/api/v1/chargepoints/CP1/diagnostics", {"retries": "many"})
        self.assertError(answer, 400, "invalid_payload", code="TypeConstraintViolation")
        answer = yield self.post("/api/v1/chargepoints/CP1/diagnostics", {"colour": "red"})
        self.assertError(answer, 400, "bad_body")
        self.assertEqual(len(cp.received), before)

    @inlineCallbacks
    def test_unknown_charge_point_is_404(self):
        answer = yield self.post("/api/v1/chargepoints/NOPE/diagnostics", {})
        self.assertError(answer, 404, "unknown_charge_point")


class LogRouteTests(UploadsTestCase):
    """
    C{POST /api/v1/chargepoints/{identity}/logs} sends GetLog with a
    location of ours (the Security Whitepaper's N01: a log is uploaded
    like GetDiagnostics' file), and the logs are kept and listed apart from
    the diagnostics files.
    """

    @inlineCallbacks
    def ask_for(self, cp, log_type, **more):
        cp.answers["GetLog"] = GetLogResponse(status="Accepted", filename="diag.zip")
        answer = yield self.post("/api/v1/chargepoints/CP1/logs", {"logType": log_type, **more})
        self.assertEqual(answer.status, 200, answer)
        return answer.json

    @inlineCallbacks
    def test_logs_never_overwrite_diagnostics_or_each_other(self):
        """
        GetLog is sent with a location of ours, for its logType;
        a security log and a diagnostics log named as the diagnostics file
        (and as each other) are kept beside it under names of their own,
        and the list tells each kind, filtered by C{?kind=}.
        """
        cp = yield self.booted("CP1")
        cp.answers["GetDiagnostics"] = GetDiagnosticsResponse(file_name="diag.zip")
        diagnostics = yield self.post("/api/v1/chargepoints/CP1/diagnostics", {})
        yield self.transfers.upload(diagnostics.json["location"], self.source, "diag.zip")
        first = yield self.ask_for(cp, "SecurityLog", requestId=42, retries=1)
        self.assertEqual((first["status"], first["fileName"], first["requestId"]), ("Accepted", "diag.zip", 42))
        sent = cp.received[-1]
        self.assertIsInstance(sent, GetLogRequest)
        self.assertEqual(
            (str(sent.log_type), sent.request_id, sent.retries, sent.log.remote_location),
            ("SecurityLog", 42, 1, first["location"]),
        )
        self.assertTrue(first["location"].startswith(self.base + "/uploads/"))
        yield self.transfers.upload(first["location"], self.source, "diag.zip")
        second = yield self.ask_for(cp, "SecurityLog")
        self.assertGreater(second["requestId"], 0)
        yield self.transfers.upload(second["location"], self.source, "diag.zip")
        third = yield self.ask_for(cp, "DiagnosticsLog")
        yield self.transfers.upload(third["location"], self.source, "diag.zip")
        self.assertEqual(
            self.kept(),
            ["CP1/DiagnosticsLog-diag.zip", "CP1/SecurityLog-diag-1.zip", "CP1/SecurityLog-diag.zip", "CP1/diag.zip"],
        )
        listed = yield self.get("/api/v1/uploads")
        self.assertEqual(
            [(item["kind"], item["fileName"]) for item in listed.json["items"]],
            [("DiagnosticsLog", "DiagnosticsLog-diag.zip"), ("SecurityLog", "SecurityLog-diag-1.zip"),
             ("SecurityLog", "SecurityLog-diag.zip"), ("Diagnostics", "diag.zip")],
        )
        security = yield self.get("/api/v1/uploads?kind=SecurityLog")
        self.assertEqual(security.json["total"], 2)
        only = yield self.get("/api/v1/uploads?kind=Diagnostics&chargePoint=CP1")
        self.assertEqual([item["fileName"] for item in only.json["items"]], ["diag.zip"])
        bad = yield self.get("/api/v1/uploads?kind=Logs")
        self.assertError(bad, 400, "bad_query")

    @inlineCallbacks
    def test_location_given_and_bad_bodies(self):
        """
        A remote location given is sent as it is (no token made); a
        missing or unknown logType, or a body breaking GetLog's schema, is
        a 400 and nothing is sent.
        """
        cp = yield self.booted("CP1")
        given = yield self.ask_for(cp, "DiagnosticsLog", remoteLocation="ftp://elsewhere.example/in/")
        self.assertEqual(given["location"], "ftp://elsewhere.example/in/")
        self.assertEqual(cp.received[-1].log.remote_location, "ftp://elsewhere.example/in/")
        sent = len(cp.received)
        for body in ({}, {"logType": "Everything"}, {"logType": "SecurityLog", "retries": "x"}):
            answer = yield self.post("/api/v1/chargepoints/CP1/logs", body)
            self.assertEqual(answer.status, 400, (body, answer))
        self.assertEqual(len(cp.received), sent)
        unknown = yield self.post("/api/v1/chargepoints/NOPE/logs", {"logType": "SecurityLog"})
        self.assertError(unknown, 404, "unknown_charge_point")


class PublicUrlTests(UploadsTestCase):
    """
    With C{--api-public-url}, the location is built on it.
    """

    api_settings = {"public_url": "https://cs.example.com:8443/"}

    @inlineCallbacks
    def test_location_uses_the_public_url(self):
        cp = yield self.booted("CP1")
        cp.answers["GetDiagnostics"] = GetDiagnosticsResponse(file_name="d.zip")
        answer = yield self.post("/api/v1/chargepoints/CP1/diagnostics", {})
        self.assertTrue(
            answer.json["location"].startswith("https://cs.example.com:8443/uploads/"), answer
        )


class ConsoleDiagnosticsBrowserTests(BrowserMixin, ApiMixin, TestCase):
    """
    The console's diagnostics form sends GetDiagnostics with our location,
    and the file the charge point uploads there is listed, downloadable.
    """

    token = "console-token"

    @inlineCallbacks
    def test_get_diagnostics_from_the_page_lists_the_uploaded_file(self):
        cp = yield self.booted("CP1")
        cp.answers["GetDiagnostics"] = GetDiagnosticsResponse(file_name="diag.zip")
        yield self.open_browser("/")
        field = yield self.wait_for('#token-dialog[open] input[name="token"]')
        yield self.in_thread(field.send_keys, self.token)
        yield self.in_thread(field.submit)
        row = yield self.wait_for('#chargepoints tr[data-identity="CP1"]')
        yield self.in_thread(row.click)
        yield self.wait_for("#detail-title", "CP1")
        yield self.wait_for("#uploads li", "none yet")
        button = yield self.wait_for("#op-diagnostics button[type=submit]")
        yield self.in_thread(button.click)
        answer = yield self.wait_for('#answers li.answer.ok[data-action="GetDiagnostics"]', "diag.zip")
        sent = cp.received[-1]
        self.assertIsInstance(sent, GetDiagnosticsRequest)
        self.assertIn(sent.location, answer.text)

        source = self.mktemp()
        with open(source, "wb") as f:
            f.write(DATA)
        yield Transfers(reactor, timeout=5, connect_timeout=5).upload(sent.location, source, "diag.zip")
        # The list follows a new GetDiagnostics, or the next renders.
        yield self.in_thread(button.click)
        link = yield self.wait_for("#uploads li a.upload-link", "diag.zip")
        self.assertIn("api/v1/uploads/", link.get_attribute("href"))
        self.assertEqual((yield self.severe_logs(ignore="401")), [])
