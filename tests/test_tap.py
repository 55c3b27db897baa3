"""
Tests for the C{twistd openocpp} dropin and its options.
"""

from twisted.application.service import IServiceMaker
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

    def test_subcommands(self):
        """
        Both roles are listed as subcommands.
        """
        names = [entry[0] for entry in tap.Options.subCommands]
        self.assertEqual(names, ["centralsystem", "chargepoint"])

    def test_role_required(self):
        """
        Without a subcommand, parsing fails with a usage error naming both.
        """
        error = self.assertRaises(usage.UsageError, tap.Options().parseOptions, [])
        self.assertIn("centralsystem", str(error))
        self.assertIn("chargepoint", str(error))

    def test_usage_lists_roles(self):
        """
        The usage text lists both roles.
        """
        text = str(tap.Options())
        self.assertIn("centralsystem", text)
        self.assertIn("chargepoint", text)


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
        tuning, charge_point = list(service)
        self.assertIsInstance(tuning, GarbageCollectorTuning)
        self.assertIsInstance(charge_point, ChargePoint)
        self.assertEqual(charge_point.config.identity, "CP9")


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
