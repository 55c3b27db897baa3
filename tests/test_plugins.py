"""
Tests for L{openocpp.plugins}: the plugin manager and hook calls.
"""

import pluggy
from twisted.internet.defer import succeed
from twisted.trial.unittest import SynchronousTestCase

from openocpp import hookimpl
from openocpp.plugins import call_hook, load_plugin_module, make_plugin_manager


class Builtin:
    @hookimpl
    def openocpp_cs_check_credentials(self, identity):
        return identity == "known"


class Override:
    @hookimpl
    def openocpp_cs_check_credentials(self, identity, password):
        if identity == "special":
            return succeed(password == "secret")
        return None


class Misspelt:
    @hookimpl
    def openocpp_cs_chek_credentials(self, identity):
        return True


class PluginManagerTests(SynchronousTestCase):
    """
    L{make_plugin_manager} orders plugins so installed ones override the
    built-ins, and refuses unknown hooks.
    """

    def ask(self, manager, identity, password=None):
        return self.successResultOf(
            call_hook(
                manager,
                "openocpp_cs_check_credentials",
                identity=identity,
                password=password,
                certificate=None,
                peer=None,
            )
        )

    def test_builtin_decides_alone(self):
        """
        With no other plugin, the built-in answers.
        """
        manager = make_plugin_manager(builtins=[Builtin()], load_entrypoints=False)
        self.assertTrue(self.ask(manager, "known"))
        self.assertFalse(self.ask(manager, "other"))

    def test_override_and_no_opinion(self):
        """
        A later plugin's answer wins, even as a Deferred; its C{None} leaves
        the decision to the built-in.
        """
        manager = make_plugin_manager(
            builtins=[Builtin()], plugins=[Override()], load_entrypoints=False
        )
        self.assertTrue(self.ask(manager, "special", "secret"))
        self.assertFalse(self.ask(manager, "special", "wrong"))
        self.assertTrue(self.ask(manager, "known"))

    def test_registered_in_process(self):
        """
        A test may register a plugin on a fresh manager and remove it again.
        """
        manager = make_plugin_manager(builtins=[Builtin()], load_entrypoints=False)
        manager.register(Override(), name="fake")
        self.assertTrue(self.ask(manager, "special", "secret"))
        manager.unregister(name="fake")
        self.assertFalse(self.ask(manager, "special", "secret"))

    def test_misspelt_hook_fails_loudly(self):
        """
        A plugin implementing a hook that does not exist is refused at start.
        """
        self.assertRaises(
            pluggy.PluginValidationError,
            make_plugin_manager,
            plugins=[Misspelt()],
            load_entrypoints=False,
        )

    def test_failure_propagates(self):
        """
        An implementation that raises fails the Deferred with its error.
        """

        class Broken:
            @hookimpl
            def openocpp_cs_check_credentials(self):
                raise RuntimeError("database down")

        manager = make_plugin_manager(plugins=[Broken()], load_entrypoints=False)
        failure = self.failureResultOf(
            call_hook(
                manager,
                "openocpp_cs_check_credentials",
                identity="x",
                password=None,
                certificate=None,
                peer=None,
            ),
            RuntimeError,
        )
        self.assertIn("database down", str(failure.value))

    def test_entrypoints_load(self):
        """
        Loading installed plugins works on a machine with none installed.
        """
        manager = make_plugin_manager()
        self.assertIsInstance(manager, pluggy.PluginManager)


class LoadPluginModuleTests(SynchronousTestCase):
    """
    L{load_plugin_module} imports plugins named on the command line.
    """

    def test_missing(self):
        """
        A module that does not exist gives a clear error naming it.
        """
        error = self.assertRaises(ValueError, load_plugin_module, "no.such.plugin")
        self.assertIn("no.such.plugin", str(error))

    def test_found(self):
        """
        An importable module is returned.
        """
        self.assertIs(load_plugin_module("tests.test_plugins").Builtin, Builtin)


class NotifyTests(SynchronousTestCase):
    """
    L{notify} tells every plugin, each on its own.
    """

    def test_failure_isolated(self):
        """
        A plugin that raises is logged, and the others are still told.
        """
        from openocpp.plugins import notify

        heard = []

        class Listener:
            @hookimpl
            def openocpp_cs_charge_point_connected(self, charge_point):
                heard.append(charge_point)

        class Broken:
            @hookimpl
            def openocpp_cs_charge_point_connected(self):
                raise RuntimeError("listener down")

        manager = make_plugin_manager(plugins=[Listener(), Broken()], load_entrypoints=False)
        notify(manager, "openocpp_cs_charge_point_connected", charge_point="CP1")
        self.assertEqual(heard, ["CP1"])
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)
