"""
Tests for C{twistd openocpp chargepoint} (L{openocpp.chargepoint.tap}) and
the charging simulator (L{openocpp.chargepoint.simulator}).
"""

from twisted.internet.task import Clock
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase

from openocpp.chargepoint.service import ChargePoint
from openocpp.chargepoint.simulator import ChargingSimulator
from openocpp.chargepoint.tap import ChargePointOptions, make_service
from tests.chargepoint.fake_centralsystem import ScriptedCentralSystem, assert_no_timers, make_charge_point


def parse(*arguments):
    options = ChargePointOptions()
    options.parseOptions(list(arguments))
    return options


class OptionsTests(SynchronousTestCase):
    def test_defaults(self):
        options = parse()
        config = options.config
        self.assertEqual(config.url, "ws://127.0.0.1:8080/openocpp")
        self.assertEqual(config.identity, "CP001")
        self.assertEqual(config.connectors, 2)
        self.assertEqual(config.database, "openocpp-chargepoint.sqlite")
        self.assertEqual(config.security_profile, 0)
        self.assertFalse(options["simulate"])
        self.assertEqual(config.plugins, [])

    def test_options(self):
        options = parse(
            "--url", "ws://cs.example.com:9000/ocpp", "--identity", "CP 9",
            "--security-profile", "1", "--password", "0123456789abcdef",
            "--connectors", "4", "--db", "/tmp/cp.sqlite", "--plugin", "a.b",
            "--plugin", "c", "--simulate", "--vendor", "ACME", "--model", "Fast",
            "--ocpp-ini", "cp.ini",
        )
        config = options.config
        self.assertEqual(
            (config.url, config.identity, config.security_profile, config.password,
             config.connectors, config.database, config.vendor, config.model, config.ocpp_ini),
            ("ws://cs.example.com:9000/ocpp", "CP 9", 1, "0123456789abcdef", 4,
             "/tmp/cp.sqlite", "ACME", "Fast", "cp.ini"),
        )
        self.assertEqual(config.plugins, ["a.b", "c"])
        self.assertTrue(options["simulate"])

    def test_tls_url(self):
        """
        --tls-url reaches the config (default: none, the scheme switched);
        one that is not wss:// is refused, the option named.
        """
        self.assertIsNone(parse().config.tls_url)
        config = parse("--security-profile", "1", "--password", "0123456789abcdef",
                       "--tls-url", "wss://cs.example.com:8443/ocpp").config
        self.assertEqual(config.tls_url, "wss://cs.example.com:8443/ocpp")
        with self.assertRaises(usage.UsageError) as raised:
            parse("--tls-url", "ws://cs.example.com/ocpp")
        self.assertIn("--tls-url must be a wss:// URL", str(raised.exception))

    def test_smart_charging_options(self):
        """
        The supply's voltage and phases and the charger's maximum reach the
        config (defaults: 230 V, 3 phases, no maximum).
        """
        config = parse().config
        self.assertEqual((config.supply_voltage, config.supply_phases, config.max_current), (230.0, 3, None))
        config = parse("--supply-voltage", "240", "--supply-phases", "1", "--max-current", "16").config
        self.assertEqual((config.supply_voltage, config.supply_phases, config.max_current), (240.0, 1, 16.0))

    def test_refused(self):
        for arguments in [
            ["--security-profile", "5"],
            ["--security-profile", "1"],  # no password
            ["--security-profile", "2", "--password", "0123456789abcdef"],  # ws://
            ["--connectors", "0"],
            ["--url", "http://example.com"],
            ["--identity", ""],
            ["--supply-voltage", "0"],
            ["--supply-phases", "2"],
            ["--max-current", "-1"],
            ["--max-current", "lots"],
        ]:
            self.assertRaises(usage.UsageError, parse, *arguments)


class TransferOptionsTests(SynchronousTestCase):
    """
    The options of firmware downloads and diagnostics uploads.
    """

    def test_defaults(self):
        config = parse().config
        self.assertEqual(
            (config.download_folder, config.download_max_bytes, config.transfer_timeout,
             config.transfer_connect_timeout),
            ("openocpp-downloads", 256 * 1024 * 1024, 600.0, 30.0),
        )

    def test_options(self):
        config = parse(
            "--download-folder", "/var/lib/fw", "--download-max-bytes", "1000",
            "--transfer-timeout", "5", "--transfer-connect-timeout", "2",
        ).config
        self.assertEqual(
            (config.download_folder, config.download_max_bytes, config.transfer_timeout,
             config.transfer_connect_timeout),
            ("/var/lib/fw", 1000, 5.0, 2.0),
        )

    def test_refused_with_the_option_named(self):
        for arguments, named in [
            (["--download-max-bytes", "0"], "--download-max-bytes must be 1 or more"),
            (["--download-max-bytes", "many"], "--download-max-bytes must be a whole number"),
            (["--transfer-timeout", "0"], "--transfer-timeout must be a positive number"),
            (["--transfer-connect-timeout", "nan"], "--transfer-connect-timeout must be a positive"),
            (["--transfer-max-duration", "0"], "--transfer-max-duration must be a positive"),
            (["--download-folder", ""], "--download-folder must name a folder"),
        ]:
            error = self.assertRaises(usage.UsageError, parse, *arguments)
            self.assertIn(named, str(error))

    def test_transfer_max_duration(self):
        """
        --transfer-max-duration bounds a whole transfer (3600 s unless
        given), beside the idle --transfer-timeout.
        """
        self.assertEqual(parse().config.transfer_max_duration, 3600.0)
        self.assertEqual(
            parse("--transfer-max-duration", "120").config.transfer_max_duration, 120.0
        )

    def test_transfer_ca_certificates(self):
        """
        --transfer-ca-certificates names the PEM bundle HTTPS transfers
        trust; without it, the platform's CAs (not --ca-certificates: the
        central system's CA need not be the file servers').
        """
        from tests.transport.certificates import tls_files

        self.assertIsNone(parse().config.transfer_ca_certificates)
        bundle = str(tls_files().ca)
        self.assertIsNone(parse("--ca-certificates", bundle).config.transfer_ca_certificates)
        options = parse("--db", self.mktemp(), "--transfer-ca-certificates", bundle)
        self.assertEqual(options.config.transfer_ca_certificates, bundle)
        make_service(options, Clock()).store.close()

    def test_transfer_ca_certificates_checked_before_start(self):
        """
        A missing bundle, or one without a certificate, is refused before
        anything starts, naming the option.
        """
        empty = self.mktemp()
        with open(empty, "w") as f:
            f.write("no certificate here")
        for path, named in [(self.mktemp(), "--transfer-ca-certificates"),
                            (empty, "no certificate in the CA bundle")]:
            options = parse("--db", self.mktemp(), "--transfer-ca-certificates", path)
            error = self.assertRaises(usage.UsageError, make_service, options, Clock())
            self.assertIn("--transfer-ca-certificates", str(error))
            self.assertIn(named, str(error))

    def test_download_folder_checked_before_start(self):
        """
        A download folder that is a file, or whose parent folder is
        missing, is refused before anything starts; a missing one in an
        existing folder is made when first needed.
        """
        not_a_folder = self.mktemp()
        with open(not_a_folder, "w") as f:
            f.write("x")
        for folder, named in [
            (not_a_folder, "is not a folder"),
            (self.mktemp() + "/missing/fw", "does not exist"),
        ]:
            options = parse("--db", self.mktemp(), "--download-folder", folder)
            error = self.assertRaises(usage.UsageError, make_service, options, Clock())
            self.assertIn("--download-folder", str(error))
            self.assertIn(named, str(error))
        service = make_service(
            parse("--db", self.mktemp(), "--download-folder", self.mktemp()), reactor=Clock()
        )
        self.addCleanup(service.store.close)


class MakeServiceTests(SynchronousTestCase):
    def test_charge_point(self):
        path = self.mktemp()
        service = make_service(parse("--db", path, "--connectors", "3"), reactor=Clock())
        self.addCleanup(service.store.close)
        self.assertIsInstance(service, ChargePoint)
        self.assertEqual(service.connector_count, 3)
        self.assertEqual(service.ocpp_config.get("NumberOfConnectors"), "3")
        self.assertEqual(list(service), [])

    def test_simulator(self):
        service = make_service(parse("--db", self.mktemp(), "--simulate"), reactor=Clock())
        self.addCleanup(service.store.close)
        simulator = service.getServiceNamed("simulator")
        self.assertIsInstance(simulator, ChargingSimulator)
        self.assertIs(simulator.charge_point, service)

    def test_bad_plugin(self):
        options = parse("--db", self.mktemp(), "--plugin", "no.such.plugin.module")
        self.assertRaises(usage.UsageError, make_service, options, Clock())


class SimulatorTests(SynchronousTestCase):
    """
    The simulator runs sessions like the Open OCPP quick start.
    """

    def test_sessions(self):
        clock = Clock()
        cs = ScriptedCentralSystem(self, clock)
        cp = make_charge_point(self, clock)
        simulator = ChargingSimulator(cp, idle_time=10, plug_time=5, charge_time=60)
        simulator.setServiceParent(cp)
        cp.startService()
        cs.connect(cp)
        cs.clear()
        cs.advance(5 + 5 + 60 + 5 + 10, step=5)
        self.assertEqual(
            [(a, getattr(r, "status", None)) for a, r in cs.received if a != "MeterValues"],
            [
                ("StatusNotification", "Preparing"),
                ("Authorize", None),
                ("StartTransaction", None),
                ("StatusNotification", "Charging"),
                # a status that follows a stop waits for its StopTransaction
                # (here behind the last MeterValues in the queue)
                ("StopTransaction", None),
                ("StatusNotification", "Finishing"),
                ("StatusNotification", "Available"),
                ("StatusNotification", "Preparing"),
            ],
        )
        self.assertEqual(simulator.sessions, 1)
        cp.stopService()
        self.assertFalse(simulator.running)
        cs.disconnect()
        assert_no_timers(self, clock)

    def test_refused(self):
        from openocpp.messages import AuthorizeResponse, IdTagInfo

        clock = Clock()
        cs = ScriptedCentralSystem(self, clock)
        cs.answers["Authorize"] = lambda r: AuthorizeResponse(id_tag_info=IdTagInfo(status="Blocked"))
        cp = make_charge_point(self, clock)
        simulator = ChargingSimulator(cp, idle_time=10, plug_time=5)
        simulator.setServiceParent(cp)
        cp.startService()
        cs.connect(cp)
        cs.clear()
        cs.advance(20, step=5)
        self.assertEqual(cs.actions(), ["StatusNotification", "Authorize", "StatusNotification",
                                        "StatusNotification"])
        self.assertEqual(simulator.sessions, 0)
        cp.stopService()
        cs.disconnect()
        assert_no_timers(self, clock)
