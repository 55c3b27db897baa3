"""
The frame trace (C{--trace}) of a charge point and of the central system it
talks to, over loopback.
"""

import os

from twisted.internet import reactor
from twisted.trial.unittest import TestCase

from openocpp.trace import TraceWriter, read_trace
from tests.centralsystem.fake_chargepoint import CentralSystemMixin
from tests.chargepoint.loopback import loopback_charge_point, start_charge_point, wait_for


class TraceLoopbackTests(CentralSystemMixin, TestCase):
    """
    Both roles trace every frame of their connection.
    """

    timeout = 20

    def setUp(self):
        self.cs_trace = os.path.abspath(self.mktemp())
        return self.start_central_system(trace=self.cs_trace)

    async def test_both_sides_traced(self):
        """
        The charge point's BootNotification is "out" in its own trace and
        "in" in the central system's, with the identity; the answers are
        the other way round.
        """
        cp = loopback_charge_point(self, self.url, identity="CP1")
        cp.trace = TraceWriter(os.path.abspath(self.mktemp()), reactor)
        self.addCleanup(cp.trace.close)
        start_charge_point(self, cp)
        await wait_for(self, lambda: cp.online, "the boot")

        def boot(path, direction):
            cp.trace.flush()
            self.central.trace.flush()
            return [
                entry for entry in read_trace(path, identity="CP1", search="BootNotification")
                if entry["direction"] == direction and entry["frame"][0] == 2
            ]

        await wait_for(self, lambda: boot(cp.trace.path, "out") and boot(self.cs_trace, "in"), "the traces")
        (sent,) = boot(cp.trace.path, "out")
        (received,) = boot(self.cs_trace, "in")
        self.assertEqual(sent["frame"], received["frame"])
        answers = [entry for entry in read_trace(self.cs_trace, identity="CP1") if entry["frame"][1] == sent["frame"][1]]
        self.assertEqual([(entry["direction"], entry["frame"][0]) for entry in answers], [("out", 3), ("in", 2)])
