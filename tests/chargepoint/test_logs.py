"""
GetLog (Security Whitepaper edition 2, use case N01): the security log as
CSV or the diagnostics log, in the time window, uploaded with the request's
retries, every LogStatusNotification.req with its requestId; on a L{Clock}
against the scripted central system and fake transfers.
"""

import csv
import io
import os
import zipfile
from datetime import timedelta

from openocpp.hookspecs import hookimpl
from openocpp.messages import GetLogRequest, LogParameters
from openocpp.messages.enums import LogEnumType, LogStatusEnumType
from openocpp.messages.errors import ErrorCode
from openocpp.rpc.errors import CallError
from tests.chargepoint.fake_transfers import TransferTestCase

URL = "ftp://user:secret@logs.example.com/incoming/"


class NoSecurityLog:
    """
    A plugin that keeps no security log of its own either.
    """

    @hookimpl
    def openocpp_cp_security_log_file(self, charge_point, oldest_timestamp, latest_timestamp):
        return False


class GetLogTests(TransferTestCase):
    def ask(self, log_type=LogEnumType.SECURITY_LOG, request_id=7, **fields):
        log = LogParameters(
            remote_location=fields.pop("location", URL),
            oldest_timestamp=fields.pop("oldest", None),
            latest_timestamp=fields.pop("latest", None),
        )
        answer = self.successResultOf(
            self.cs.call(GetLogRequest(log=log, log_type=log_type, request_id=request_id, **fields))
        )
        self.cs.settle()
        return answer

    def notifications(self):
        return [(r.status, r.request_id) for r in self.cs.requests("LogStatusNotification")]

    def test_security_log_uploaded_as_csv(self):
        """
        N01.FR.01 to N01.FR.03, N01.FR.08, N01.FR.09, N01.FR.12: Accepted
        with the file's name; the security log uploaded as CSV; Uploading
        then Uploaded, each with the requestId.
        """
        self.boot_and_clear()
        self.cp.security_event("InvalidMessages", "bad frame")
        answer = self.ask()
        self.assertEqual(answer.status, LogStatusEnumType.ACCEPTED)
        self.assertTrue(answer.filename.startswith("security-log-CP001-"), answer.filename)
        self.assertTrue(answer.filename.endswith(".csv"))
        transfer = self.transfers.last
        self.assertEqual((transfer.url, transfer.file_name), (URL, answer.filename))
        self.assertEqual(self.notifications(), [("Uploading", 7)])
        transfer.succeed()
        self.cs.settle()
        self.assertEqual(self.notifications(), [("Uploading", 7), ("Uploaded", 7)])
        rows = list(csv.reader(io.StringIO(transfer.content.decode("utf-8"))))
        self.assertEqual(rows[0], ["timestamp", "type", "techInfo", "critical"])
        self.assertIn(["InvalidMessages", "bad frame", "false"], [row[1:] for row in rows])
        self.assertIn("StartupOfTheDevice", [row[1] for row in rows])
        self.assertFalse(os.path.exists(transfer.path))

    def test_time_window_honoured(self):
        """
        Only the entries between oldestTimestamp and latestTimestamp.
        """
        self.boot_and_clear()
        self.cs.advance(100)
        self.cp.security_event("InvalidMessages", "in the window")
        self.cs.advance(100)
        self.cp.security_event("InvalidMessages", "after it")
        now = self.cp.now()
        self.ask(oldest=now - timedelta(seconds=150), latest=now - timedelta(seconds=50))
        self.transfers.last.succeed()
        self.cs.settle()
        rows = list(csv.reader(io.StringIO(self.transfers.last.content.decode("utf-8"))))
        self.assertEqual([row[2] for row in rows[1:]], ["in the window"])

    def test_retries_then_upload_failure(self):
        """
        N01.FR.10: retries 1, retryInterval 20: two attempts 20 s apart,
        then UploadFailure.
        """
        self.boot_and_clear()
        start = self.clock.seconds()
        self.ask(retries=1, retry_interval=20)
        self.transfers.last.fail("550 Permission denied")
        self.cs.advance(20)
        self.transfers.last.fail("550 Permission denied")
        self.cs.advance(100, step=10)
        self.assertEqual([t.at - start for t in self.transfers.transfers], [0, 20])
        self.assertEqual(self.notifications(), [("Uploading", 7), ("UploadFailure", 7)])

    def test_diagnostics_log(self):
        """
        N01.FR.04: DiagnosticsLog uploads the diagnostics file.
        """
        self.boot_and_clear()
        answer = self.ask(log_type=LogEnumType.DIAGNOSTICS_LOG, request_id=8)
        self.assertTrue(answer.filename.endswith(".zip"))
        self.transfers.last.succeed()
        self.cs.settle()
        archive = zipfile.ZipFile(io.BytesIO(self.transfers.last.content))
        self.assertEqual(set(archive.namelist()), {"log.txt", "database.json"})
        self.assertEqual(self.notifications(), [("Uploading", 8), ("Uploaded", 8)])

    def test_new_request_cancels_the_running_upload(self):
        """
        N01.FR.11: a GetLog during an upload cancels it: AcceptedCanceled,
        and the new request's upload goes on.
        """
        self.boot_and_clear()
        self.ask(request_id=1)
        first = self.transfers.last
        answer = self.ask(request_id=2)
        self.assertEqual(answer.status, LogStatusEnumType.ACCEPTED_CANCELED)
        self.assertTrue(first.cancelled)
        self.transfers.last.succeed()
        self.cs.settle()
        self.assertEqual(self.notifications()[-1], ("Uploaded", 2))

    def test_bad_location_is_a_call_error(self):
        self.boot_and_clear()
        log = LogParameters(remote_location="file:///etc/")
        failure = self.failureResultOf(
            self.cs.call(GetLogRequest(log=log, log_type=LogEnumType.SECURITY_LOG, request_id=1)),
            CallError,
        )
        self.assertEqual(failure.value.code, ErrorCode.PROPERTY_CONSTRAINT_VIOLATION)

    def test_no_security_log_rejected(self):
        """
        SecurityLogMaxEntriesCount 0 and no plugin's file: Rejected.
        """
        self.cp.ocpp_config.set("SecurityLogMaxEntriesCount", "0")
        self.cp.plugins.register(NoSecurityLog())
        self.boot_and_clear()
        self.assertEqual(self.ask().status, LogStatusEnumType.REJECTED)
        self.assertEqual(self.transfers.transfers, [])
