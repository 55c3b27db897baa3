"""
Tests for L{openocpp.trace}: the frame trace's writer and reader.
"""

import json
import os

from twisted.internet.task import Clock
from twisted.logger import LogLevel, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase
from zope.interface.verify import verifyObject

from openocpp.rpc.interfaces import IFrameObserver
from openocpp.trace import REDACTED, TraceWriter, format_time, normalise_time, read_trace, trace_files

#: 2026-12-02T05:00:00Z
T0 = 1796187600.0


class _Session:
    # What an IFrameObserver is shown of the session: its identity.
    def __init__(self, identity):
        self.identity = identity


def lines(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


class TraceWriterTests(SynchronousTestCase):
    """
    L{TraceWriter}: one JSON line per frame, buffered for the reactor turn,
    rotated by size, the AuthorizationKey redacted.
    """

    def setUp(self):
        self.clock = Clock()
        self.clock.advance(T0 + 0.123)
        self.path = os.path.abspath(self.mktemp())
        self.writer = TraceWriter(self.path, self.clock)
        self.addCleanup(self.writer.close)

    def test_observer(self):
        """
        It is an L{IFrameObserver}.
        """
        self.assertTrue(verifyObject(IFrameObserver, self.writer))

    def test_line(self):
        """
        A frame becomes one line: its time (UTC, milliseconds), the
        identity, the direction and the parsed frame.
        """
        self.writer("in", '[2, "1", "Heartbeat", {}]', _Session("CP1"))
        self.writer.flush()
        self.assertEqual(
            lines(self.path),
            [{"time": "2026-12-02T05:00:00.123Z", "identity": "CP1", "direction": "in",
              "frame": [2, "1", "Heartbeat", {}]}],
        )

    def test_invalid(self):
        """
        A frame that is no JSON (or uses NaN) is kept as its text, marked
        invalid; a frame with a line break is still one line.
        """
        self.writer.record("CP1", "in", "[2, 'x'")
        self.writer.record("CP1", "in", "[2, NaN]")
        self.writer.record("CP1", "out", '[3,\n"1",\r\n{}]')
        self.writer.flush()
        first, second, third = lines(self.path)
        self.assertEqual((first["frame"], first["invalid"]), ("[2, 'x'", True))
        self.assertEqual((second["frame"], second["invalid"]), ("[2, NaN]", True))
        self.assertEqual(third["frame"], [3, "1", {}])
        self.assertNotIn("invalid", third)

    def test_buffered_for_the_turn(self):
        """
        The lines are written at the end of the reactor turn, not one
        system call a frame.
        """
        for number in range(3):
            self.writer.record("CP1", "in", f'[2,"{number}","Heartbeat",{{}}]')
        self.assertEqual(os.path.getsize(self.path), 0)
        self.clock.advance(0)
        self.assertEqual(len(lines(self.path)), 3)

    def test_flush_lines(self):
        """
        Past C{flush_lines} buffered lines they are written at once.
        """
        writer = TraceWriter(self.path + "-b", self.clock, flush_lines=2)
        self.addCleanup(writer.close)
        writer.record("CP1", "in", "[]")
        writer.record("CP1", "in", "[]")
        self.assertEqual(len(lines(self.path + "-b")), 2)

    def test_authorization_key_redacted(self):
        """
        The AuthorizationKey's value is never written: neither in a
        ChangeConfiguration.req nor in a GetConfiguration.conf, nor in an
        invalid frame naming it (Security Whitepaper: the key is write-only).
        """
        secret = "0123456789abcdef0123"
        self.writer.record(
            "CP1", "out",
            json.dumps([2, "1", "ChangeConfiguration", {"key": "AuthorizationKey", "value": secret}]),
        )
        self.writer.record(
            "CP1", "in",
            json.dumps([3, "2", {"configurationKey": [
                {"key": "authorizationkey", "readonly": False, "value": secret},
                {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
            ]}]),
        )
        self.writer.record("CP1", "out", '[2,"3","ChangeConfiguration",{"key":"AuthorizationKey","value":"' + secret)
        self.writer.flush()
        with open(self.path, encoding="utf-8") as handle:
            self.assertNotIn(secret, handle.read())
        first, second, third = lines(self.path)
        self.assertEqual(first["frame"][3], {"key": "AuthorizationKey", "value": REDACTED})
        self.assertEqual(second["frame"][2]["configurationKey"][0]["value"], REDACTED)
        self.assertEqual(second["frame"][2]["configurationKey"][1]["value"], "300")
        self.assertTrue(third["invalid"])

    def test_rotated(self):
        """
        Past C{max_bytes} the file is rotated: FILE.1, FILE.2, ... the
        oldest removed, C{files} kept in all.
        """
        writer = TraceWriter(self.path + "-r", self.clock, max_bytes=1024, files=3)
        self.addCleanup(writer.close)
        frame = json.dumps([2, "x", "DataTransfer", {"vendorId": "v", "data": "d" * 600}])
        for _ in range(10):
            writer.record("CP1", "out", frame)
            writer.flush()
        files = trace_files(self.path + "-r")
        self.assertEqual(files, [self.path + "-r", self.path + "-r.1", self.path + "-r.2"])
        for name in files:
            self.assertLess(os.path.getsize(name), 2048)

    def test_listeners(self):
        """
        A listener is given each entry as a dict, as the reader gives it.
        """
        seen = []
        self.writer.listeners.append(seen.append)
        self.writer.record("CP1", "in", "[2,")
        self.writer.record("CP2", "out", '[3,"1",{}]')
        self.assertEqual(
            seen,
            [
                {"time": "2026-12-02T05:00:00.123Z", "identity": "CP1", "direction": "in",
                 "frame": "[2,", "invalid": True},
                {"time": "2026-12-02T05:00:00.123Z", "identity": "CP2", "direction": "out",
                 "frame": [3, "1", {}]},
            ],
        )

    def test_write_failure_logged_once(self):
        """
        A trace that cannot be written is one error line until it can be
        again; the frames meanwhile are dropped, nothing raises.
        """
        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)

        class Full:
            closed = False

            def write(self, data):
                raise OSError(28, "No space left on device")

            def close(self):
                pass

        real, self.writer._file = self.writer._file, Full()
        for _ in range(3):
            self.writer.record("CP1", "in", "[]")
            self.writer.flush()
        errors = [event for event in events if event["log_level"] == LogLevel.error]
        self.assertEqual(len(errors), 1)
        self.assertEqual(errors[0]["error"], "No space left on device")
        self.writer._file = real
        self.writer.record("CP1", "in", "[]")
        self.writer.flush()
        self.assertEqual(len(lines(self.path)), 1)

    def test_bad_settings(self):
        """
        Sizes out of range and a folder that does not exist are refused
        with a message naming them.
        """
        error = self.assertRaises(ValueError, TraceWriter, self.path, self.clock, max_bytes=10)
        self.assertIn("trace_max_bytes", str(error))
        error = self.assertRaises(ValueError, TraceWriter, self.path, self.clock, files=0)
        self.assertIn("trace_files", str(error))
        error = self.assertRaises(ValueError, TraceWriter, "/nonexistent/folder/trace", self.clock)
        self.assertIn("/nonexistent/folder/trace", str(error))


class ReadTraceTests(SynchronousTestCase):
    """
    L{read_trace}: the entries newest first, across the rotated files,
    filtered.
    """

    def setUp(self):
        self.clock = Clock()
        self.clock.advance(T0)
        self.path = os.path.abspath(self.mktemp())
        self.writer = TraceWriter(self.path, self.clock, max_bytes=1024, files=10)
        self.addCleanup(self.writer.close)
        # 60 frames, one a second, alternately from CP1 and CP2, across
        # several files.
        for number in range(60):
            identity = "CP1" if number % 2 == 0 else "CP2"
            self.writer.record(identity, "in", json.dumps([2, str(number), "Heartbeat", {"n": number}]))
            self.writer.flush()
            self.clock.advance(1)

    def test_newest_first_across_files(self):
        """
        All entries come back newest first, from every rotated file.
        """
        self.assertGreater(len(trace_files(self.path)), 3)
        entries = read_trace(self.path, limit=1000)
        self.assertEqual([entry["frame"][1] for entry in entries], [str(n) for n in reversed(range(60))])

    def test_limit(self):
        """
        At most C{limit} entries, the newest.
        """
        entries = read_trace(self.path, limit=3)
        self.assertEqual([entry["frame"][1] for entry in entries], ["59", "58", "57"])

    def test_identity(self):
        """
        C{identity} keeps that charge point's frames.
        """
        entries = read_trace(self.path, identity="CP2", limit=1000)
        self.assertEqual(len(entries), 30)
        self.assertEqual({entry["identity"] for entry in entries}, {"CP2"})

    def test_search(self):
        """
        C{search} keeps the frames whose text holds it, case ignored.
        """
        entries = read_trace(self.path, search='HEARTBEAT",{"N":7}')
        self.assertEqual([entry["frame"][1] for entry in entries], ["7"])
        self.writer.record("CP1", "in", '[2,"x","DataTransfer",{"data":"Élan"}]')
        self.writer.flush()
        self.assertEqual(len(read_trace(self.path, search="élan")), 1)

    def test_before(self):
        """
        C{before} keeps the frames traced before that time (the next page).
        """
        entries = read_trace(self.path, before="2026-12-02T05:00:10Z", limit=1000)
        self.assertEqual([entry["frame"][1] for entry in entries], [str(n) for n in reversed(range(10))])
        page = read_trace(self.path, before=entries[2]["time"], limit=2)
        self.assertEqual([entry["frame"][1] for entry in page], ["6", "5"])

    def test_bad_arguments(self):
        """
        A time that is none and a limit out of range are refused.
        """
        self.assertRaises(ValueError, read_trace, self.path, before="yesterday")
        self.assertRaises(ValueError, read_trace, self.path, limit=0)

    def test_missing_and_torn(self):
        """
        A trace that does not exist reads as empty; a line cut short (the
        process died while writing) is skipped.
        """
        self.assertEqual(read_trace(self.path + "-none"), [])
        with open(self.path, "ab") as handle:
            handle.write(b'{"time":"2026-12-02T05:01:00.000Z","ident')
        self.assertEqual(read_trace(self.path, limit=1)[0]["frame"][1], "59")


class TimeTests(SynchronousTestCase):
    """
    The trace's times.
    """

    def test_format(self):
        """
        UTC, milliseconds, C{Z}.
        """
        self.assertEqual(format_time(T0 + 0.5), "2026-12-02T05:00:00.500Z")

    def test_normalise(self):
        """
        Any RFC 3339 date-time becomes the trace's form (so times compare
        as text); one without an offset is taken as UTC.
        """
        self.assertEqual(normalise_time("2026-12-02T06:00:00+01:00"), "2026-12-02T05:00:00.000Z")
        self.assertEqual(normalise_time("2026-12-02T05:00:00.25z"), "2026-12-02T05:00:00.250Z")
        self.assertEqual(normalise_time("2026-12-02T05:00:00"), "2026-12-02T05:00:00.000Z")
        self.assertRaises(ValueError, normalise_time, "soon")
