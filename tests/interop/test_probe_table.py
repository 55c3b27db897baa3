"""
C{interop/probe_table.py} turns the probe's JSON lines into the Markdown
table of C{docs/interop.md}.
"""

import json
import os

from twisted.trial.unittest import SynchronousTestCase

from tests.interop.peer_process import INTEROP
from tests.scripts import load_script


def _probe_table():
    return load_script(os.path.join(INTEROP, "probe_table.py"))


class ProbeTableTests(SynchronousTestCase):
    def test_rows_summary_and_sent_requests(self):
        """
        One row per probe line (a CALLRESULT's status alone, its payload
        otherwise, a CALLERROR's code), the summary, and the requests the
        charge point sent, with their statuses; other lines are ignored.
        """
        lines = [
            {"event": "listening", "host": "127.0.0.1", "port": 1},
            {"event": "probe", "action": "Reset", "case": "last", "outcome": {"result": {"status": "Accepted"}}},
            {"event": "probe", "action": "GetLocalListVersion", "case": "", "outcome": {"result": {"listVersion": -1}}},
            {"event": "probe", "action": "ReserveNow", "case": "idle", "outcome": {"error": "NotSupported", "description": "no"}},
            {"event": "received", "action": "StatusNotification", "request": {"status": "Available"}},
            {"event": "received", "action": "Heartbeat", "request": {}},
            {"event": "summary", "calls": 3, "results": 2, "errors": {"NotSupported": 1}, "invalid": 0,
             "timeouts": 0, "closed": 0},
        ]
        printed = []
        module = _probe_table()
        module.print = printed.append
        module.main(json.dumps(line) for line in lines)
        text = "\n".join(printed)
        self.assertIn("| Core | Reset | last | Accepted |", text)
        self.assertIn("| LocalAuthListManagement | GetLocalListVersion |  | `{\"listVersion\": -1}` |", text)
        self.assertIn("| Reservation | ReserveNow | idle | CALLERROR NotSupported |", text)
        self.assertIn("calls 3, results 2, errors {'NotSupported': 1}, invalid 0, timeouts 0, closed 0", text)
        self.assertIn("in order: StatusNotification Available, Heartbeat.", text)
