"""
Tests for L{openocpp.plugins}: the plugin manager and hook calls.
"""

import pluggy
from twisted.internet.defer import fail, succeed
from twisted.internet.task import Clock
from twisted.internet.testing import EventLoggingObserver
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from openocpp import hookimpl
from openocpp.chargepoint.keys import KeyDefinition, KeyType
from openocpp.messages.enums import ConfigurationStatus
from openocpp.plugins import (
    DirectHook,
    call_hook,
    hook_problem,
    load_plugin_module,
    make_plugin_manager,
    notify,
)
from tests.chargepoint.fake_centralsystem import make_charge_point
from tests.plugins.fake_distribution import install_distribution


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

    def test_installed_plugin_between_builtins_and_plugins(self):
        """
        A plugin installed under the C{openocpp} entry point is registered
        under its entry point's name, overrides the built-ins and is
        overridden by the plugins passed in; with entry points off it is not
        loaded.
        """
        install_distribution(
            self,
            """
            from openocpp import hookimpl

            @hookimpl
            def openocpp_cs_check_credentials(identity):
                return True if identity in ("installed", "special") else None
            """,
        )
        manager = make_plugin_manager(builtins=[Builtin()], plugins=[Override()])
        self.assertIn("site", [name for name, _ in manager.list_name_plugin()])
        self.assertTrue(self.ask(manager, "installed"))
        self.assertFalse(self.ask(manager, "special", "wrong"))
        self.assertFalse(self.ask(manager, "other"))
        without = make_plugin_manager(builtins=[Builtin()], load_entrypoints=False)
        self.assertNotIn("site", [name for name, _ in without.list_name_plugin()])
        self.assertFalse(self.ask(without, "installed"))


class HookProblemTests(SynchronousTestCase):
    """
    L{hook_problem} says in one line what is wrong with a plugin's hooks.
    """

    def test_a_good_plugin_has_none(self):
        self.assertIsNone(hook_problem(Override()))

    def test_misspelt_hook_is_named_with_the_likely_one(self):
        self.assertEqual(
            hook_problem(Misspelt()),
            "unknown hook openocpp_cs_chek_credentials (did you mean openocpp_cs_check_credentials?)",
        )

    def test_unknown_hook_without_a_close_one(self):
        class Unknown:
            @hookimpl
            def zzz(self):
                pass

        self.assertEqual(hook_problem(Unknown()), "unknown hook zzz")

    def test_optional_hook_is_no_problem(self):
        class Optional:
            @hookimpl(optionalhook=True)
            def openocpp_some_later_hook(self):
                pass

        self.assertIsNone(hook_problem(Optional()))

    def test_argument_not_in_the_specification(self):
        class WrongArguments:
            @hookimpl
            def openocpp_cs_check_credentials(self, identity, passwd):
                return None

        problem = hook_problem(WrongArguments())
        self.assertTrue(problem.startswith("hook openocpp_cs_check_credentials: argument(s) "), problem)
        self.assertIn("passwd", problem)
        self.assertNotIn("\n", problem)


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
        self.assertIs(load_plugin_module("tests.plugins.test_manager").Builtin, Builtin)


class _Listener:
    """
    Hears C{openocpp_cs_charge_point_connected} into a shared list.
    """

    def __init__(self, heard, label):
        self._heard = heard
        self._label = label

    @hookimpl
    def openocpp_cs_charge_point_connected(self, charge_point):
        self._heard.append((self._label, charge_point))


class _BrokenListener:
    """
    Fails in C{openocpp_cs_charge_point_connected}, at once or later.
    """

    def __init__(self, later=False):
        self._later = later

    @hookimpl
    def openocpp_cs_charge_point_connected(self):
        if self._later:
            return fail(RuntimeError("listener down later"))
        raise RuntimeError("listener down")


class NotifyTests(SynchronousTestCase):
    """
    L{notify} tells every plugin through pluggy, each on its own.
    """

    def setUp(self):
        self.heard = []
        self.events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)
        self.manager = make_plugin_manager(load_entrypoints=False)

    def notify(self):
        notify(self.manager, "openocpp_cs_charge_point_connected", charge_point="CP1")

    def failures_logged(self):
        return [
            (event["plugin"], event["hook"])
            for event in self.events
            if event.get("log_failure") is not None and "plugin" in event
        ]

    def test_failing_plugin_does_not_stop_the_next(self):
        """
        A plugin that raises is logged with its name and the hook's, and the
        plugins called after it (registered before it) are still told.
        """
        self.manager.register(_Listener(self.heard, "first"), name="first")
        self.manager.register(_BrokenListener(), name="broken")
        self.manager.register(_Listener(self.heard, "last"), name="last")
        self.notify()
        self.assertEqual(self.heard, [("last", "CP1"), ("first", "CP1")])
        self.assertEqual(self.failures_logged(), [("broken", "openocpp_cs_charge_point_connected")])
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    def test_failing_deferred_is_logged(self):
        """
        A plugin whose Deferred fails is logged with its name; the others
        are told.
        """
        self.manager.register(_Listener(self.heard, "first"), name="first")
        self.manager.register(_BrokenListener(later=True), name="broken")
        self.notify()
        self.assertEqual(self.heard, [("first", "CP1")])
        self.assertEqual(self.failures_logged(), [("broken", "openocpp_cs_charge_point_connected")])
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    def test_wrapper_runs(self):
        """
        A C{wrapper=True} implementation of a notification hook runs around
        the delivery and sees the listener's answer; with several listeners
        it wraps each delivery. An old-style C{hookwrapper} runs too.
        """
        wrapped = []

        class Wrapper:
            @hookimpl(wrapper=True)
            def openocpp_cs_charge_point_connected(self, charge_point):
                wrapped.append(("before", charge_point))
                answers = yield
                wrapped.append(("after", len(self_heard)))
                return answers

        class OldWrapper:
            @hookimpl(hookwrapper=True)
            def openocpp_cs_charge_point_connected(self):
                wrapped.append("old")
                yield

        self_heard = self.heard
        self.manager.register(Wrapper(), name="wrapper")
        self.manager.register(OldWrapper(), name="old")
        self.manager.register(_Listener(self.heard, "one"), name="one")
        self.notify()
        self.assertEqual(wrapped, ["old", ("before", "CP1"), ("after", 1)])
        del wrapped[:]
        self.manager.register(_Listener(self.heard, "two"), name="two")
        self.notify()
        self.assertEqual(
            wrapped,
            ["old", ("before", "CP1"), ("after", 2), "old", ("before", "CP1"), ("after", 3)],
        )
        self.assertEqual([label for label, _ in self.heard], ["one", "two", "one"])

    def test_wrapper_sees_failure(self):
        """
        A wrapper around a failing plugin sees its exception; the failure is
        still logged under the plugin's name and the next plugin is told.
        """
        seen = []

        class Wrapper:
            @hookimpl(wrapper=True)
            def openocpp_cs_charge_point_connected(self):
                try:
                    return (yield)
                except RuntimeError as error:
                    seen.append(str(error))
                    raise

        self.manager.register(Wrapper(), name="wrapper")
        self.manager.register(_Listener(self.heard, "first"), name="first")
        self.manager.register(_BrokenListener(), name="broken")
        self.notify()
        self.assertEqual(seen, ["listener down"])
        self.assertEqual(self.heard, [("first", "CP1")])
        self.assertEqual(self.failures_logged(), [("broken", "openocpp_cs_charge_point_connected")])
        self.flushLoggedErrors(RuntimeError)

    def test_failing_wrapper_alone_is_logged(self):
        """
        A wrapper that fails when no plugin listens is logged with its name.
        """

        class BrokenWrapper:
            @hookimpl(wrapper=True)
            def openocpp_cs_charge_point_connected(self):
                yield
                raise RuntimeError("wrapper down")

        self.manager.register(BrokenWrapper(), name="broken-wrapper")
        self.notify()
        self.assertEqual(
            self.failures_logged(), [("broken-wrapper", "openocpp_cs_charge_point_connected")]
        )
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    def test_monitoring_sees_each_delivery(self):
        """
        C{add_hookcall_monitoring} sees the notification: one call per
        listener, each naming the implementation it was delivered to, with
        the arguments given.
        """
        calls = []
        self.manager.register(_Listener(self.heard, "first"), name="first")
        self.manager.register(_Listener(self.heard, "last"), name="last")
        undo = self.manager.add_hookcall_monitoring(
            lambda hook, implementations, kwargs: calls.append(
                (hook, [i.plugin_name for i in implementations], dict(kwargs))
            ),
            lambda outcome, hook, implementations, kwargs: None,
        )
        self.addCleanup(undo)
        self.notify()
        hook = "openocpp_cs_charge_point_connected"
        self.assertEqual(
            calls,
            [(hook, ["last"], {"charge_point": "CP1"}), (hook, ["first"], {"charge_point": "CP1"})],
        )

    def test_tracing_sees_the_call(self):
        """
        C{enable_tracing} writes the notification to the manager's trace.
        """
        lines = []
        self.manager.trace.root.setwriter(lines.append)
        self.manager.register(_Listener(self.heard, "only"), name="only")
        self.addCleanup(self.manager.enable_tracing())
        self.notify()
        self.assertTrue(
            any("openocpp_cs_charge_point_connected" in line for line in lines), lines
        )

    def test_nothing_implements_it(self):
        """
        A hook no plugin implements is quietly not called.
        """
        calls = []
        self.addCleanup(
            self.manager.add_hookcall_monitoring(
                lambda *args: calls.append(args), lambda *args: None
            )
        )
        self.notify()
        self.assertEqual(calls, [])


class _SiteKeys:
    """
    A plugin with a configuration key of its own.
    """

    def __init__(self, name="SiteLateKey"):
        self._name = name

    @hookimpl
    def openocpp_cp_configuration_keys(self, charge_point):
        return [KeyDefinition(name=self._name, type=KeyType.INTEGER, readonly=False,
                              default="7", profile="Site")]


class ConfigurationKeysTests(SynchronousTestCase):
    """
    C{openocpp_cp_configuration_keys} is historic: the charge point asks
    the plugins it was made with, and each plugin registered later.
    """

    def test_plugin_registered_later_gets_its_keys(self):
        """
        A plugin registered after the charge point was made has its key in
        the OCPP configuration at once, with its default, changeable.
        """
        charge_point = make_charge_point(self, Clock())
        self.assertIsNone(charge_point.ocpp_config.definition("SiteLateKey"))
        charge_point.plugins.register(_SiteKeys(), name="late")
        self.assertEqual(charge_point.ocpp_config.integer("SiteLateKey"), 7)
        self.assertEqual(
            charge_point.ocpp_config.change("SiteLateKey", "9"), ConfigurationStatus.ACCEPTED
        )
        self.assertEqual(charge_point.ocpp_config.integer("SiteLateKey"), 9)

    def test_plugin_given_at_construction_gets_its_keys(self):
        """
        A plugin the charge point is made with has its key, registered once.
        """
        charge_point = make_charge_point(self, Clock(), plugins=[_SiteKeys("SiteEarlyKey")])
        self.assertEqual(charge_point.ocpp_config.integer("SiteEarlyKey"), 7)
        self.assertEqual(
            [d.name for d in charge_point.ocpp_config.definitions()].count("SiteEarlyKey"), 1
        )

    def test_later_plugin_with_an_existing_key_is_refused(self):
        """
        A later plugin redefining a key the charge point has is refused by
        C{register} with a L{ValueError} naming the key.
        """
        charge_point = make_charge_point(self, Clock())
        error = self.assertRaises(
            ValueError, charge_point.plugins.register, _SiteKeys("HeartbeatInterval"), name="dup"
        )
        self.assertIn("HeartbeatInterval", str(error))


class _BuiltinHeartbeat:
    @hookimpl
    def openocpp_cs_heartbeat(self, charge_point, request):
        return ("builtin", charge_point, request)


class _SiteHeartbeat:
    @hookimpl
    def openocpp_cs_heartbeat(self, charge_point, request):
        return ("site", charge_point, request)


class _RequestOnlyHeartbeat:
    @hookimpl
    def openocpp_cs_heartbeat(self, request):
        return ("request only", request)


class DirectHookTests(SynchronousTestCase):
    """
    L{DirectHook} calls the built-in implementation alone without pluggy,
    and goes through pluggy as soon as anything else is there.
    """

    def manager(self):
        return make_plugin_manager(builtins=[_BuiltinHeartbeat()], load_entrypoints=False)

    def test_builtin_alone_answers_without_pluggy(self):
        """
        With only the built-in implementation, its answer comes back and
        pluggy's hook execution is not entered.
        """
        manager = self.manager()
        entered = []
        original = manager._hookexec
        manager._hookexec = lambda *arguments: entered.append(arguments) or original(*arguments)
        hook = DirectHook(manager, "openocpp_cs_heartbeat")
        self.assertEqual(hook("CP1", "req"), ("builtin", "CP1", "req"))
        self.assertEqual(entered, [])

    def test_plugin_registered_later_is_called(self):
        """
        A plugin registered after the first calls answers the next call,
        and the built-in answers again once it is unregistered.
        """
        manager = self.manager()
        hook = DirectHook(manager, "openocpp_cs_heartbeat")
        self.assertEqual(hook("CP1", "req")[0], "builtin")
        site = _SiteHeartbeat()
        manager.register(site)
        self.assertEqual(hook("CP1", "req"), ("site", "CP1", "req"))
        manager.unregister(site)
        self.assertEqual(hook("CP1", "req")[0], "builtin")

    def test_builtin_replaced_is_not_called(self):
        """
        With the built-in unregistered and another single plugin in its
        place, that plugin answers.
        """
        manager = pluggy.PluginManager("openocpp")
        from openocpp import hookspecs

        manager.add_hookspecs(hookspecs)
        builtin = _BuiltinHeartbeat()
        manager.register(builtin)
        hook = DirectHook(manager, "openocpp_cs_heartbeat")
        self.assertEqual(hook("CP1", "req")[0], "builtin")
        manager.unregister(builtin)
        manager.register(_SiteHeartbeat())
        self.assertEqual(hook("CP1", "req")[0], "site")

    def test_wrapper_registered_later_wraps(self):
        """
        A hook wrapper registered later sees the call and its result.
        """
        manager = self.manager()
        hook = DirectHook(manager, "openocpp_cs_heartbeat")
        hook("CP1", "req")
        seen = []

        class Wrapper:
            @hookimpl(wrapper=True)
            def openocpp_cs_heartbeat(self, charge_point, request):
                result = yield
                seen.append(result)
                return ("wrapped",) + result

        manager.register(Wrapper())
        self.assertEqual(hook("CP1", "req"), ("wrapped", "builtin", "CP1", "req"))
        self.assertEqual(seen, [("builtin", "CP1", "req")])

    def test_monitoring_sees_calls(self):
        """
        With hook call monitoring on, every call goes through pluggy and is
        seen; once it is undone, the built-in answers all the same.
        """
        manager = self.manager()
        hook = DirectHook(manager, "openocpp_cs_heartbeat")
        before = []
        undo = manager.add_hookcall_monitoring(
            lambda name, implementations, kwargs: before.append((name, dict(kwargs))),
            lambda outcome, name, implementations, kwargs: None,
        )
        self.assertEqual(hook("CP1", "req")[0], "builtin")
        self.assertEqual(before, [("openocpp_cs_heartbeat", {"charge_point": "CP1", "request": "req"})])
        undo()
        self.assertEqual(hook("CP1", "req")[0], "builtin")
        self.assertEqual(len(before), 1)

    def test_implementation_with_fewer_arguments(self):
        """
        An implementation taking only some of the arguments is called
        through pluggy with those it names.
        """
        manager = make_plugin_manager(builtins=[_RequestOnlyHeartbeat()], load_entrypoints=False)
        self.assertEqual(DirectHook(manager, "openocpp_cs_heartbeat")("CP1", "req"), ("request only", "req"))

    def test_failure_propagates(self):
        """
        What the implementation raises reaches the caller, as through
        pluggy.
        """

        class Broken:
            @hookimpl
            def openocpp_cs_heartbeat(self, charge_point, request):
                raise ZeroDivisionError("broken")

        manager = make_plugin_manager(builtins=[Broken()], load_entrypoints=False)
        self.assertRaises(ZeroDivisionError, DirectHook(manager, "openocpp_cs_heartbeat"), "CP1", "req")

    def test_no_answer_is_none(self):
        """
        An implementation answering C{None} gives C{None}, as pluggy does
        for a firstresult hook.
        """

        class Silent:
            @hookimpl
            def openocpp_cs_heartbeat(self, charge_point, request):
                return None

        manager = make_plugin_manager(builtins=[Silent()], load_entrypoints=False)
        self.assertIsNone(DirectHook(manager, "openocpp_cs_heartbeat")("CP1", "req"))

    def test_notification_hook_refused(self):
        """
        A hook that is not C{firstresult} is refused: its answer is a list.
        """
        self.assertRaises(ValueError, DirectHook, self.manager(), "openocpp_cs_charge_point_connected")
