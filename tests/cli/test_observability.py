"""
Tests for the observability options both roles of C{twistd openocpp} take:
C{--trace}, C{--trace-max-bytes}, C{--trace-files}.
"""

import os

from twisted.internet.testing import MemoryReactorClock
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase

from openocpp import tap
from openocpp.trace import read_trace

ROLES = ("centralsystem", "chargepoint")
_EXTRA = {"centralsystem": ["--listen", "tcp:0:interface=127.0.0.1"], "chargepoint": []}


class TraceOptionsTests(SynchronousTestCase):
    """
    C{--trace FILE} gives each role a trace writer for its sessions.
    """

    def build(self, role, *arguments):
        options = tap.Options()
        options.parseOptions(["--no-gc-tuning", role, "--db", ":memory:", *_EXTRA[role], *arguments])
        service = tap.build_service(options, reactor=MemoryReactorClock())
        (built,) = [s for s in service if not isinstance(s, tap.ListeningGuard)]
        self.addCleanup(built.store.close)
        return built

    def test_trace_reaches_the_role(self):
        """
        With C{--trace}, the role's trace writes to that file, rotated as
        the options say; without it, there is none.
        """
        for role in ROLES:
            path = os.path.abspath(self.mktemp())
            built = self.build(role, "--trace", path, "--trace-max-bytes", "2048", "--trace-files", "2")
            self.assertEqual(built.trace.path, path)
            self.assertEqual(built.trace._file.rotateLength, 2048)
            self.assertEqual(built.trace._file.maxRotatedFiles, 1)
            built.trace.record("CP1", "in", "[2,\"1\",\"Heartbeat\",{}]")
            built.trace.close()
            self.assertEqual(read_trace(path)[0]["frame"], [2, "1", "Heartbeat", {}])
            self.assertIsNone(self.build(role).trace, role)

    def test_bad_trace_options(self):
        """
        A trace folder that does not exist, a folder as the file and sizes
        out of range are one usage error naming the option.
        """
        missing = os.path.join(os.path.abspath(self.mktemp()), "trace")
        folder = os.path.abspath(self.mktemp())
        os.makedirs(folder)
        cases = [
            (["--trace", missing], "--trace"),
            (["--trace", folder], "--trace"),
            (["--trace", "t", "--trace-max-bytes", "10"], "--trace-max-bytes"),
            (["--trace", "t", "--trace-files", "0"], "--trace-files"),
            (["--trace-files", "many"], "--trace-files"),
        ]
        for role in ROLES:
            parser = {entry[0]: entry[2] for entry in tap.Options.subCommands}[role]
            for arguments, option in cases:
                error = self.assertRaises(usage.UsageError, parser().parseOptions, ["--db", ":memory:", *arguments])
                self.assertIn(option, str(error), (role, arguments))
            self.assertFalse(os.path.exists("t"))
