"""
Tests for the C{twistd openocpp} dropin and its options.
"""

import io
import os
import sys

from twisted.application.service import IServiceMaker, MultiService, Service
from twisted.internet.defer import fail, succeed
from twisted.internet.error import CannotListenError
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import LogLevel, globalLogPublisher
from twisted.plugin import getPlugins
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase

from openocpp import tap
from openocpp.gctuning import GarbageCollectorTuning


class DropinTests(SynchronousTestCase):
    """
    twistd finds openocpp through the dropin in C{twisted/plugins/}.
    """

    def test_listed(self):
        """
        An C{IServiceMaker} named C{openocpp} pointing at L{openocpp.tap} is
        among twistd's plugins.
        """
        makers = {maker.tapname: maker for maker in getPlugins(IServiceMaker)}
        self.assertIn("openocpp", makers)
        self.assertEqual(makers["openocpp"].module, "openocpp.tap")


class OptionsTests(SynchronousTestCase):
    """
    L{tap.Options} parses the role subcommands.
    """

    def test_each_subcommand_builds_its_role(self):
        """
        C{centralsystem} parses the central system's options and builds a
        central system; C{chargepoint} the charge point's, a charge point.
        """
        from openocpp.centralsystem.service import CentralSystem
        from openocpp.centralsystem.tap import CentralSystemOptions
        from openocpp.chargepoint.service import ChargePoint
        from openocpp.chargepoint.tap import ChargePointOptions

        roles = {
            "centralsystem": (CentralSystemOptions, CentralSystem, ["--listen", "tcp:0:interface=127.0.0.1"]),
            "chargepoint": (ChargePointOptions, ChargePoint, []),
        }
        for role, (options_type, service_type, arguments) in roles.items():
            options = tap.Options()
            options.parseOptions(["--no-gc-tuning", role, "--db", ":memory:", *arguments])
            self.assertEqual(options.subCommand, role)
            self.assertIsInstance(options.subOptions, options_type, role)
            service = tap.build_service(options, reactor=MemoryReactorClock())
            (built,) = [s for s in service if not isinstance(s, tap.ListeningGuard)]
            self.assertIsInstance(built, service_type, role)
            built.store.close()

    def test_role_required(self):
        """
        Without a subcommand, parsing exits with status 2 and one line
        naming both roles.
        """
        options = tap.Options()
        options.stderr = io.StringIO()
        exit = self.assertRaises(SystemExit, options.parseOptions, [])
        self.assertEqual(exit.code, 2)
        line = options.stderr.getvalue()
        self.assertEqual(line.count("\n"), 1)
        self.assertIn("centralsystem", line)
        self.assertIn("chargepoint", line)

    def test_usage_line_of_a_role(self):
        """
        A role's usage line names the role once, after C{openocpp}'s own
        option (it used to repeat C{<centralsystem|chargepoint> [options]}).
        """
        config = _twistd_options("openocpp", "centralsystem")
        synopsis = config.subOptions.subOptions.getSynopsis()
        self.assertEqual(
            synopsis, "Usage: twistd [options] openocpp [--no-gc-tuning] [--debug-stalls MS] centralsystem [options]"
        )
        self.assertIn(
            "[--no-gc-tuning] [--debug-stalls MS] <centralsystem|chargepoint> [options]",
            tap.Options().getSynopsis(),
        )


def _twistd_options(*arguments):
    """
    twistd's own options, parsed, with C{sys.argv[0]} as twistd's.
    """
    from twisted.scripts._twistd_unix import ServerOptions

    argv = sys.argv[0]
    sys.argv[0] = "twistd"
    try:
        config = ServerOptions()
        config.parseOptions(list(arguments))
    finally:
        sys.argv[0] = argv
    return config


class FilesPerRoleTests(SynchronousTestCase):
    """
    Both roles run from one folder without C{--pidfile}: each gets a pid
    file (and, as a daemon, a log file) of its own.
    """

    def test_pid_file_per_role(self):
        """
        Without C{--pidfile}, the pid file is named after the role.
        """
        for role in ("centralsystem", "chargepoint"):
            config = _twistd_options("-n", "openocpp", role, "--db", ":memory:")
            self.assertEqual(os.path.basename(config["pidfile"]), f"openocpp-{role}.pid")
            self.assertIsNone(config["logfile"])  # -n: the log goes to standard output

    def test_log_file_per_role(self):
        """
        As a daemon without C{--logfile}, the log file is named after the
        role.
        """
        config = _twistd_options("openocpp", "chargepoint", "--db", ":memory:")
        self.assertEqual(config["logfile"], "openocpp-chargepoint.log")

    def test_given_files_kept(self):
        """
        C{--pidfile} and C{--logfile} given are kept (C{--pidfile=} for none).
        """
        config = _twistd_options("--pidfile", "my.pid", "--logfile", "my.log", "openocpp", "centralsystem")
        self.assertEqual(os.path.basename(config["pidfile"]), "my.pid")
        self.assertEqual(config["logfile"], "my.log")
        config = _twistd_options("-n", "--pidfile=", "openocpp", "centralsystem")
        self.assertEqual(config["pidfile"], "")

    def test_usage_lists_roles(self):
        """
        The usage text lists both roles.
        """
        text = str(tap.Options())
        self.assertIn("centralsystem", text)
        self.assertIn("chargepoint", text)


class RolesAlikeTests(SynchronousTestCase):
    """
    The two roles' command lines work alike: the same options for plugins
    and frame logging, their settings in C{options.config}, and errors that
    name the option typed.
    """

    def parse(self, role, *arguments):
        parser = {entry[0]: entry[2] for entry in tap.Options.subCommands}[role]
        options = parser()
        options.parseOptions(["--db", ":memory:", *arguments])
        return options

    def test_plugins_and_frames_options_alike(self):
        """
        C{--plugin} (repeatable) and C{--log-frames} (off by default) are
        described in the same words in both roles' help.
        """
        for role in ROLES:
            text = " ".join(str(self.parse(role)).split())
            self.assertIn(
                "--plugin= A plugin module to load (dotted name), may be repeated.", text
            )
            self.assertIn("--log-frames Log every OCPP frame in and out (debug level).", text)

    def test_plugins_in_config(self):
        """
        Both roles put the C{--plugin}s, in order, in C{options.config.plugins}
        and default to frame logging off.
        """
        for role in ROLES:
            options = self.parse(role, "--plugin", "a.b", "--plugin", "c")
            self.assertEqual(options.config.plugins, ["a.b", "c"], role)
            self.assertFalse(options["log-frames"], role)
            self.assertTrue(self.parse(role, "--log-frames")["log-frames"], role)

    def test_frame_logging_reaches_the_role(self):
        """
        C{--log-frames} turns frame logging on in the service each role
        builds.
        """
        for role in ROLES:
            options = tap.Options()
            options.parseOptions(
                ["--no-gc-tuning", role, "--db", ":memory:", "--log-frames",
                 *(["--listen", "tcp:0:interface=127.0.0.1"] if role == "centralsystem" else [])]
            )
            service = tap.build_service(options, reactor=MemoryReactorClock())
            (built,) = [s for s in service if not isinstance(s, tap.ListeningGuard)]
            log_frames = built.config.log_frames if role == "centralsystem" else built.log_frames
            self.assertTrue(log_frames, role)
            built.store.close()

    def test_errors_name_the_option(self):
        """
        A setting's error names the option that set it, in both roles, by
        the same rule.
        """
        cases = {
            "centralsystem": (["--security-profile", "7"], "--security-profile"),
            "chargepoint": (["--security-profile", "7"], "--security-profile"),
        }
        for role, (arguments, option) in cases.items():
            error = self.assertRaises(usage.UsageError, self.parse, role, *arguments)
            self.assertIn(option, str(error), role)
            self.assertNotIn("security_profile", str(error), role)
        error = self.assertRaises(
            usage.UsageError, self.parse, "chargepoint", "--serial-number", "S" * 26
        )
        self.assertIn("--serial-number", str(error))
        self.assertNotIn("charge_point_serial_number", str(error))


#: The roles of C{twistd openocpp}.
ROLES = ("centralsystem", "chargepoint")


class MakeServiceTests(SynchronousTestCase):
    """
    L{tap.makeService} builds the role's service.
    """

    def test_charge_point(self):
        """
        C{chargepoint} builds a charge point service from its options.
        """
        from openocpp.chargepoint.service import ChargePoint

        options = tap.Options()
        options.parseOptions(["chargepoint", "--db", ":memory:", "--identity", "CP9"])
        service = tap.makeService(options)
        tuning, charge_point, guard = list(service)
        self.assertIsInstance(tuning, GarbageCollectorTuning)
        self.assertIsInstance(charge_point, ChargePoint)
        self.assertIsInstance(guard, tap.ListeningGuard)
        self.assertEqual(charge_point.config.identity, "CP9")


class DebugStallsTests(SynchronousTestCase):
    """
    C{--debug-stalls MS} adds an L{openocpp.stalls.StallDetector}.
    """

    def test_detector_built_with_threshold(self):
        """
        With C{--debug-stalls 2.5} the service tree has a stall detector of
        the role's reactor, 2.5 ms its threshold; without it, none.
        """
        from openocpp.stalls import StallDetector

        reactor = MemoryReactorClock()
        for arguments, expected in ((["--debug-stalls", "2.5"], [0.0025]), ([], [])):
            options = tap.Options()
            options.parseOptions(["--no-gc-tuning", *arguments, "chargepoint", "--db", ":memory:"])
            service = tap.build_service(options, reactor=reactor)
            detectors = [s for s in service if isinstance(s, StallDetector)]
            self.assertEqual([d.threshold for d in detectors], expected)
            self.assertTrue(all(d._reactor is reactor for d in detectors))

    def test_not_a_positive_number(self):
        """
        A value that is not a positive number of milliseconds is one line
        naming the option, exit status 2.
        """
        for value in ("x", "0", "-1", "inf"):
            options = tap.Options()
            options.stderr = io.StringIO()
            exit = self.assertRaises(SystemExit, options.parseOptions, ["--debug-stalls", value, "centralsystem"])
            self.assertEqual(exit.code, 2)
            line = options.stderr.getvalue()
            self.assertEqual(line.count("\n"), 1)
            self.assertIn("--debug-stalls takes a positive number of milliseconds", line)


class _FakeReactor:
    running = True
    stopped = False

    def stop(self):
        self.stopped = True

    def callWhenRunning(self, function):
        self.running = True
        function()


class _Listener(Service):
    """
    A service whose port fails (or not) once started.
    """

    def __init__(self, outcome):
        self.outcome = outcome

    def when_listening(self):
        return self.outcome


class ListeningGuardTests(SynchronousTestCase):
    """
    L{tap.ListeningGuard}: a process whose port cannot listen stops rather
    than keep running without it.
    """

    def guarded(self, outcome):
        reactor = _FakeReactor()
        root = MultiService()
        listener = _Listener(outcome)
        listener.setName("api")
        parent = MultiService()
        listener.setServiceParent(parent)
        parent.setServiceParent(root)
        tap.ListeningGuard(reactor, root).setServiceParent(root)
        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        root.startService()
        self.addCleanup(root.stopService)
        return reactor, events

    def test_listen_failure_stops_the_reactor(self):
        """
        A nested service that fails to listen stops the reactor, with one
        critical line naming it and the reason (no traceback).
        """
        reactor, events = self.guarded(fail(CannotListenError("127.0.0.1", 8081, OSError(98, "in use"))))
        self.assertTrue(reactor.stopped)
        (critical,) = [e for e in events if e.get("log_level") == LogLevel.critical]
        self.assertEqual(critical["service"], "api")
        self.assertIn("8081", critical["reason"])
        self.assertNotIn("log_failure", critical)

    def test_listen_failure_before_the_reactor_runs(self):
        """
        twistd starts services before it runs the reactor: the reactor is
        stopped as soon as it runs.
        """
        reactor = _FakeReactor()
        reactor.running = False
        root = MultiService()
        _Listener(fail(CannotListenError("127.0.0.1", 8080, OSError(98, "in use")))).setServiceParent(root)
        tap.ListeningGuard(reactor, root).setServiceParent(root)
        root.startService()
        self.addCleanup(root.stopService)
        self.assertTrue(reactor.stopped)

    def test_listening_keeps_running(self):
        """
        A service that listens is left alone.
        """
        reactor, events = self.guarded(succeed(object()))
        self.assertFalse(reactor.stopped)


class GarbageCollectorTuningTests(SynchronousTestCase):
    """
    twistd processes tune the garbage collector unless told not to.
    """

    def test_tuned_and_restored(self):
        """
        Running, the thresholds are the server's and start-up objects are
        frozen; stopped, the previous settings are back.
        """
        import gc

        before = gc.get_threshold()
        tuning = GarbageCollectorTuning((12345, 10, 10))
        tuning.startService()
        try:
            self.assertEqual(gc.get_threshold(), (12345, 10, 10))
            self.assertGreater(gc.get_freeze_count(), 0)
        finally:
            tuning.stopService()
        self.assertEqual(gc.get_threshold(), before)
        self.assertEqual(gc.get_freeze_count(), 0)

    def test_opt_out(self):
        """
        C{--no-gc-tuning} leaves the collector alone.
        """
        options = tap.Options()
        options.parseOptions(["--no-gc-tuning", "chargepoint", "--db", ":memory:"])
        service = tap.makeService(options)
        self.assertFalse(any(isinstance(s, GarbageCollectorTuning) for s in service))
