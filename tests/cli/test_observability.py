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

    def log(self, options, level, text="A line"):
        from twisted.logger import LogLevel

        observer = options["logger"]()
        observer({"log_format": text, "log_level": LogLevel.levelWithName(level),
                  "log_namespace": "openocpp.test", "log_time": 1796187600.5})

    def test_text_is_twistds_lines_at_info(self):
        """
        C{--log-format text}, the default, writes twistd's own lines
        (C{[namespace#level] text}) at C{info} and above: no debug line.
        """
        for role in ROLES:
            path = os.path.abspath(self.mktemp())
            options = self.twistd("-n", "--logfile", path, "openocpp", "--no-gc-tuning", role, "--db", ":memory:")
            self.log(options, "debug", "Hidden")
            self.log(options, "info", "Shown")
            with open(path, encoding="utf-8") as handle:
                (line,) = handle.read().splitlines()
            self.assertTrue(line.endswith(" [openocpp.test#info] Shown"), line)

    def test_log_level(self):
        """
        C{--log-level} sets the lowest level written, in either format;
        C{--log-frames} lowers it to debug, its frames' level.
        """
        cases = [
            (["--log-level", "debug"], ["debug", "info", "warn"]),
            (["--log-level", "warn"], ["warn"]),
            (["--log-frames"], ["debug", "info", "warn"]),
            (["--log-level", "error", "--log-format", "json"], []),
            (["--log-format", "json"], ["info", "warn"]),
        ]
        for role in ROLES:
            for arguments, written in cases:
                path = os.path.abspath(self.mktemp())
                options = self.twistd("-n", "--logfile", path, "openocpp", "--no-gc-tuning", role,
                                      "--db", ":memory:", *arguments)
                for level in ("debug", "info", "warn"):
                    self.log(options, level, level)
                with open(path, encoding="utf-8") as handle:
                    lines = handle.read().splitlines()
                self.assertEqual([_level_of(line) for line in lines], written, (role, arguments))

    def test_bad_level(self):
        """
        A level twistd's logger does not know is one usage error naming
        C{--log-level}.
        """
        for role in ROLES:
            parser = {entry[0]: entry[2] for entry in tap.Options.subCommands}[role]
            error = self.assertRaises(usage.UsageError, parser().parseOptions, ["--log-level", "verbose"])
            self.assertIn("--log-level", str(error))

    def test_bad_format(self):
        """
        Another format is one usage error naming the option.
        """
        for role in ROLES:
            parser = {entry[0]: entry[2] for entry in tap.Options.subCommands}[role]
            error = self.assertRaises(usage.UsageError, parser().parseOptions, ["--log-format", "xml"])
            self.assertIn("--log-format", str(error))


def _level_of(line):
    # A JSON line's "level", or a text line's "[namespace#level]".
    import json

    if line.startswith("{"):
        return json.loads(line)["level"]
    return line.split("#", 1)[1].split("]", 1)[0]
