"""
Diagnostics (L{openocpp.chargepoint.diagnostics}): GetDiagnostics, the
default file (recent logs and a database extract without secrets, in the
time window), a plugin's file, the upload with retries and every
DiagnosticsStatusNotification, on a L{Clock} against the scripted central
system.
"""

import io
import json
import os
import zipfile
from datetime import timedelta

from twisted.logger import Logger, LogLevel
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.chargepoint.diagnostics import LogRing
from openocpp.hookspecs import hookimpl
from openocpp.messages import GetDiagnosticsRequest, TriggerMessageRequest
from openocpp.messages.enums import MessageTrigger, TriggerMessageStatus
from openocpp.messages.errors import ErrorCode
from openocpp.rpc.errors import CallError
from tests.chargepoint.fake_centralsystem import BASE_TIME
from tests.chargepoint.fake_transfers import LoopbackTransferMixin, TransferTestCase
from tests.transfer.servers import FtpServer, WebServer

URL = "ftp://user:secret@logs.example.com/incoming/"
PASSWORD = "0123456789abcdef-pw"


class DiagnosticsTestCase(TransferTestCase):
    settings = {"url": "ws://127.0.0.1:8080/openocpp", "security_profile": 1, "password": PASSWORD}

    def ask(self, **fields):
        """
        Send GetDiagnostics; return its fileName.
        """
        fields.setdefault("location", URL)
        answer = self.successResultOf(self.cs.call(GetDiagnosticsRequest(**fields)))
        self.cs.settle()
        return answer.file_name

    def statuses(self, action="DiagnosticsStatusNotification"):
        return super().statuses(action)

    def trigger(self):
        answer = self.successResultOf(self.cs.call(
            TriggerMessageRequest(requested_message=MessageTrigger.DIAGNOSTICS_STATUS_NOTIFICATION)
        ))
        self.cs.settle()
        return answer.status

    def uploaded(self):
        """
        The members of the zip the last upload sent.
        """
        archive = zipfile.ZipFile(io.BytesIO(self.transfers.last.content))
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


class UploadTests(DiagnosticsTestCase):
    def test_uploading_then_uploaded(self):
        """
        The answer names the file; it is uploaded to the location under
        that name (Uploading, Uploaded) and removed afterwards.
        """
        self.boot_and_clear()
        name = self.ask()
        self.assertTrue(name.startswith("diagnostics-CP001-") and name.endswith(".zip"), name)
        transfer = self.transfers.last
        self.assertEqual((transfer.url, transfer.file_name), (URL, name))
        self.assertEqual(transfer.path, os.path.join(self.folder, name))
        self.assertEqual(self.statuses(), ["Uploading"])
        self.assertEqual(self.trigger(), TriggerMessageStatus.ACCEPTED)
        self.assertEqual(self.statuses(), ["Uploading", "Uploading"])
        transfer.succeed()
        self.cs.settle()
        self.assertEqual(self.statuses(), ["Uploading", "Uploading", "Uploaded"])
        self.assertEqual(set(self.uploaded()), {"log.txt", "database.json"})
        self.assertFalse(os.path.exists(transfer.path))
        self.trigger()
        self.assertEqual(self.statuses()[-1], "Idle")
        # The answer goes out before the first notification (5.9).
        frames = self.cs.frames
        answer = next(i for i, f in enumerate(frames) if f[0] == 3 and "fileName" in f[2])
        first = next(i for i, f in enumerate(frames)
                     if f[0] == 2 and f[2] == "DiagnosticsStatusNotification")
        self.assertLess(answer, first)

    def test_refused_upload_retried_then_upload_failed(self):
        """
        retries 1, retryInterval 20: two attempts 20 s apart, then
        UploadFailed.
        """
        self.boot_and_clear()
        start = self.clock.seconds()
        self.ask(retries=1, retry_interval=20)
        self.transfers.last.fail("550 Permission denied")
        self.cs.advance(20)
        self.transfers.last.fail("550 Permission denied")
        self.cs.advance(100, step=10)
        self.assertEqual([t.at - start for t in self.transfers.transfers], [0, 20])
        self.assertEqual(self.statuses(), ["Uploading", "UploadFailed"])
        self.assertEqual(os.listdir(self.folder), [])

    def test_bad_location_is_a_call_error(self):
        self.boot_and_clear()
        failure = self.failureResultOf(
            self.cs.call(GetDiagnosticsRequest(location="file:///etc/")), CallError
        )
        self.assertEqual(failure.value.code, ErrorCode.PROPERTY_CONSTRAINT_VIOLATION)
        self.assertEqual(self.transfers.transfers, [])

    def test_idle_when_idle(self):
        self.boot_and_clear()
        self.assertEqual(self.trigger(), TriggerMessageStatus.ACCEPTED)
        self.assertEqual(self.statuses(), ["Idle"])

    def test_new_request_replaces_the_running_upload(self):
        self.boot_and_clear()
        self.ask()
        first = self.transfers.last
        self.clock.advance(1)
        self.ask(location="http://other.example.com/up")
        self.assertTrue(first.cancelled)
        self.transfers.last.succeed()
        self.cs.settle()
        self.assertEqual(self.statuses(), ["Uploading", "Uploading", "Uploaded"])


class LeftoverTests(DiagnosticsTestCase):
    def test_start_removes_the_files_an_earlier_run_left(self):
        """
        A process killed while uploading leaves its zip (or its partial
        one): the next start removes this charge point's, nothing else.
        """
        os.makedirs(self.folder)
        left = [os.path.join(self.folder, name) for name in (
            "diagnostics-CP001-20260101T000000Z.zip", "diagnostics-CP001-20260101T000001Z.zip.part")]
        kept = [os.path.join(self.folder, name) for name in (
            "diagnostics-CP002-20260101T000000Z.zip", "fw.bin", "site-diagnostics.zip")]
        for path in left + kept:
            with open(path, "wb") as f:
                f.write(b"x")
        self.start()
        self.assertEqual([os.path.exists(path) for path in left], [False, False])
        self.assertEqual([os.path.exists(path) for path in kept], [True, True, True])

    def test_start_without_a_download_folder_is_fine(self):
        self.start()
        self.assertFalse(os.path.exists(self.folder))


class ExtractTests(DiagnosticsTestCase):
    def test_extract_holds_no_secret(self):
        """
        The AuthorizationKey (the password) is nowhere in the file; the
        configuration is there without it, with the connectors and queue.
        """
        self.boot_and_clear()
        self.assertEqual(self.cp.ocpp_config.get("AuthorizationKey"), PASSWORD)
        Logger(observer=self.publisher).info("password is never logged; {n}", n=1)
        self.ask()
        self.transfers.last.succeed()
        self.cs.settle()
        files = self.uploaded()
        for text in files.values():
            self.assertNotIn(PASSWORD, text)
        extract = json.loads(files["database.json"])
        keys = {item["key"] for item in extract["configuration"]}
        self.assertIn("HeartbeatInterval", keys)
        self.assertNotIn("AuthorizationKey", keys)
        self.assertEqual([c["connectorId"] for c in extract["connectors"]], [0, 1, 2])
        self.assertEqual(extract["queue"], [])
        self.assertEqual(extract["identity"], "CP001")
        self.assertIn("password is never logged; 1", files["log.txt"])

    def test_time_window(self):
        """
        Log events and transactions outside startTime/stopTime are left
        out.
        """
        self.boot_and_clear()
        base = BASE_TIME.timestamp()
        for offset, text in ((-7200, "too early"), (0, "inside"), (7200, "too late")):
            self.publisher({"log_time": base + offset, "log_format": text,
                            "log_level": LogLevel.info, "log_namespace": "site"})
        started = self.cp.start_transaction(1, "TAG-1")
        self.cs.settle()
        self.successResultOf(started)
        self.ask(start_time=BASE_TIME - timedelta(hours=1), stop_time=BASE_TIME + timedelta(hours=1))
        self.transfers.last.succeed()
        self.cs.settle()
        files = self.uploaded()
        self.assertIn("inside", files["log.txt"])
        self.assertNotIn("too early", files["log.txt"])
        self.assertNotIn("too late", files["log.txt"])
        extract = json.loads(files["database.json"])
        self.assertEqual([t["id_tag"] for t in extract["transactions"]], ["TAG-1"])
        # A window that ends before the transaction started leaves it out.
        self.ask(stop_time=BASE_TIME - timedelta(hours=1))
        self.transfers.last.succeed()
        self.cs.settle()
        extract = json.loads(self.uploaded()["database.json"])
        self.assertEqual(extract["transactions"], [])
        stopped = self.cp.stop_transaction(1, "TAG-1")
        self.cs.settle()
        self.successResultOf(stopped)
        self.cs.advance(10)


class SiteFile:
    """
    A site giving its own diagnostics file (or none: C{False}).
    """

    def __init__(self, path):
        self.path = path
        self.asked = []

    @hookimpl
    def openocpp_cp_diagnostics_file(self, charge_point, start_time, stop_time):
        self.asked.append((start_time, stop_time))
        return self.path


class HookFileTests(DiagnosticsTestCase):
    def make_plugins(self):
        self.site_path = self.mktemp() + "-site.tar.gz"
        with open(self.site_path, "wb") as f:
            f.write(b"site diagnostics")
        self.site = SiteFile(self.site_path)
        return [self.site]

    def test_hook_provided_file_is_uploaded_and_kept(self):
        self.boot_and_clear()
        name = self.ask(start_time=BASE_TIME)
        self.assertEqual(name, os.path.basename(self.site_path))
        self.assertEqual(self.site.asked, [(BASE_TIME, None)])
        self.assertEqual(self.transfers.last.path, self.site_path)
        self.transfers.last.succeed()
        self.cs.settle()
        self.assertEqual(self.transfers.last.content, b"site diagnostics")
        self.assertEqual(self.statuses(), ["Uploading", "Uploaded"])
        self.assertTrue(os.path.exists(self.site_path))

    def test_nothing_to_upload_answers_no_file_name(self):
        """
        A site that has no diagnostics (C{False}): no fileName (5.9), no
        upload, no notification.
        """
        self.site.path = False
        self.boot_and_clear()
        self.assertIsNone(self.ask())
        self.assertEqual(self.transfers.transfers, [])
        self.assertEqual(self.statuses(), [])


class LogRingTests(SynchronousTestCase):
    def test_keeps_the_last_events(self):
        ring = LogRing(size=2)
        log = Logger(observer=ring)
        for n in range(3):
            log.info("event {n}", n=n)
        lines = ring.lines()
        self.assertEqual(len(lines), 2)
        self.assertTrue(lines[0].endswith("event 1"), lines[0])
        self.assertIn("#info]", lines[1])

    def test_failures_carry_their_traceback(self):
        ring = LogRing()
        log = Logger(observer=ring)
        try:
            1 / 0
        except ZeroDivisionError:
            log.failure("it broke")
        self.assertIn("ZeroDivisionError", ring.lines()[0])


class DiagnosticsLoopbackTests(LoopbackTransferMixin, TestCase):
    """
    GetDiagnostics end to end: over a real WebSocket connection, the file
    uploaded to Twisted's FTP server (or a twisted.web server) on loopback.
    """

    def ftp(self):
        server = FtpServer(self.mktemp())
        port = server.start()
        self.addCleanup(server.stop)
        return server, port

    async def ask(self, location, **fields):
        answer = await self.cs.session.call(GetDiagnosticsRequest(location=location, **fields))
        return answer.file_name

    async def test_ftp_upload(self):
        """
        Uploaded by FTP (user and password in the URL, percent-encoded):
        the zip is in the user's folder, under the name the answer gave.
        """
        server, port = self.ftp()
        await self.start_charge_point(password=PASSWORD, security_profile=1)
        uploaded = self.until("DiagnosticsStatusNotification", "Uploaded")
        name = await self.ask(f"ftp://alice:p%40ss%3Aw%2Frd@127.0.0.1:{port}/")
        await uploaded
        self.assertEqual(self.statuses("DiagnosticsStatusNotification"), ["Uploading", "Uploaded"])
        stored = server.home.child(name).getContent()
        archive = zipfile.ZipFile(io.BytesIO(stored))
        extract = json.loads(archive.read("database.json"))
        self.assertEqual(extract["identity"], "CP001")
        self.assertNotIn(PASSWORD.encode(), stored)
        self.assertIn(b"BootNotification", archive.read("log.txt"))

    async def test_refused_ftp_upload_retried_then_upload_failed(self):
        """
        The FTP server refuses the write (550): two attempts, then
        UploadFailed.
        """
        server, port = self.ftp()
        await self.start_charge_point()
        failed = self.until("DiagnosticsStatusNotification", "UploadFailed")
        await self.ask(f"ftp://reader:secret@127.0.0.1:{port}/", retries=1, retry_interval=0)
        await failed
        self.assertEqual(self.statuses("DiagnosticsStatusNotification"), ["Uploading", "UploadFailed"])
        self.assertEqual(server.reader_home.listdir(), [])

    async def test_no_log_line_holds_the_password_of_the_location(self):
        """
        A refused FTP upload to C{ftp://reader:secret@...}: every log line
        on the way (the request, each attempt, the failure) names the
        location with its password hidden (C{reader:***@}).
        """
        from twisted.logger import formatEvent, globalLogPublisher

        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        server, port = self.ftp()
        await self.start_charge_point()
        failed = self.until("DiagnosticsStatusNotification", "UploadFailed")
        await self.ask(f"ftp://reader:secret@127.0.0.1:{port}/", retries=1, retry_interval=0)
        await failed
        lines = [formatEvent(event) for event in events]
        mentions = [line for line in lines if f"127.0.0.1:{port}" in line]
        self.assertTrue(any("reader:***@" in line for line in mentions), mentions)
        self.assertEqual([line for line in lines if "secret" in line], [])

    async def test_https_put_upload_to_a_private_ca_server(self):
        """
        GetDiagnostics to an HTTPS server of a private CA, trusted with
        --transfer-ca-certificates: Uploading, Uploaded, the zip received.
        """
        from tests.transport.certificates import tls_files

        web = WebServer(b"")
        base = web.start(tls=True)
        self.addCleanup(web.stop)
        await self.start_charge_point(transfer_ca_certificates=str(tls_files().ca))
        uploaded = self.until("DiagnosticsStatusNotification", "Uploaded")
        name = await self.ask(base + "/upload/")
        await uploaded
        self.assertEqual(self.statuses("DiagnosticsStatusNotification"), ["Uploading", "Uploaded"])
        body = web.sink.received[b"/upload/" + name.encode()]
        self.assertIn("database.json", zipfile.ZipFile(io.BytesIO(body)).namelist())

    async def test_http_put_upload(self):
        web = WebServer(b"")
        base = web.start()
        self.addCleanup(web.stop)
        await self.start_charge_point()
        uploaded = self.until("DiagnosticsStatusNotification", "Uploaded")
        name = await self.ask(base + "/upload/")
        await uploaded
        body = web.sink.received[b"/upload/" + name.encode()]
        self.assertIn("database.json", zipfile.ZipFile(io.BytesIO(body)).namelist())
