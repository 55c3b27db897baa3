"""
Tests for the C{twistd openocpp} dropin and its options.
"""

from twisted.application.service import IServiceMaker
from twisted.plugin import getPlugins
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase

from openocpp import tap


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
        (charge_point,) = list(service)
        self.assertIsInstance(charge_point, ChargePoint)
        self.assertEqual(charge_point.config.identity, "CP9")
