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


class LogFormatTests(SynchronousTestCase):
    """
    C{--log-format json} (both roles) makes twistd log JSON lines where it
    would log text: C{--logfile}, or standard output.
    """

    def twistd(self, *arguments):
        from twisted.scripts.twistd import ServerOptions

        options = ServerOptions()
        options.parseOptions(list(arguments))
        return options

    def test_json_lines_to_the_logfile(self):
        """
        twistd's log observer factory writes one JSON object per event to
        C{--logfile}: time, level, namespace, text and the event's fields
        (an address as host:port).
        """
        import json

        from twisted.internet.address import IPv4Address
        from twisted.logger import LogLevel

        for role in ROLES:
            path = os.path.abspath(self.mktemp())
            options = self.twistd("-n", "--logfile", path, "openocpp", "--no-gc-tuning", role,
                                  "--db", ":memory:", "--log-format", "json")
            observer = options["logger"]()
            observer({
                "log_format": "Refused {identity}", "identity": "CP1",
                "peer": IPv4Address("TCP", "127.0.0.1", 5555), "log_level": LogLevel.warn,
                "log_namespace": "openocpp.transport.server", "log_time": 1796187600.5,
                "log_logger": object(),
            })
            with open(path, encoding="utf-8") as handle:
                (line,) = [json.loads(text) for text in handle]
            self.assertEqual(line, {
                "time": "2026-12-02T05:00:00.500Z", "level": "warn",
                "namespace": "openocpp.transport.server", "text": "Refused CP1",
                "identity": "CP1", "peer": "127.0.0.1:5555",
            })

    def test_text_is_twistds_own(self):
        """
        C{--log-format text}, the default, leaves twistd's logger alone.
        """
        for role in ROLES:
            options = self.twistd("-n", "openocpp", "--no-gc-tuning", role, "--db", ":memory:")
            self.assertIsNone(options.get("logger"), role)

    def test_bad_format(self):
        """
        Another format is one usage error naming the option.
        """
        for role in ROLES:
            parser = {entry[0]: entry[2] for entry in tap.Options.subCommands}[role]
            error = self.assertRaises(usage.UsageError, parser().parseOptions, ["--log-format", "xml"])
            self.assertIn("--log-format", str(error))
