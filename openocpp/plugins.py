"""
Building the plugin manager, and calling hooks so that implementations may
answer with a value or a Deferred.
"""

import difflib
import importlib
import re
from typing import Any, Iterable

import pluggy
from twisted.logger import Logger
from twisted.internet.defer import Deferred, gatherResults, maybeDeferred

from openocpp import hookspecs

_log = Logger()

#: The entry-point group installed plugins register under.
ENTRY_POINT_GROUP = "openocpp"


def load_plugin_module(dotted_name: str) -> Any:
    """
    Import a plugin named on the command line (C{--plugin mysite.hooks}).

    @raise ValueError: it cannot be imported; the message says why.
    """
    try:
        return importlib.import_module(dotted_name)
    except ImportError as error:
        raise ValueError(f"cannot load plugin {dotted_name!r}: {error}") from error


def hook_problem(plugin: Any) -> str | None:
    """
    What is wrong with a plugin's hook implementations, as one line, or
    C{None}: checked on a plugin manager of its own, so that a plugin is
    refused at start, before any file is created.

    @param plugin: a plugin object (a module or an instance).
    @return: e.g. C{"unknown hook openocpp_cs_authorise (did you mean
        openocpp_cs_authorize?)"}, or C{"hook openocpp_cs_heartbeat: ..."}
        for arguments its specification does not have.
    """
    manager = pluggy.PluginManager("openocpp")
    manager.add_hookspecs(hookspecs)
    try:
        manager.register(plugin)
    except pluggy.PluginValidationError as error:
        # pluggy's message spans lines and prints the implementation.
        found = re.search(r"for hook '(\w+)'", str(error))
        hook = found.group(1) if found else "?"
        missing = re.search(r"Argument\(s\) (\{.*?\})", str(error))
        detail = (
            f"argument(s) {missing.group(1)} not in its specification" if missing
            else " ".join(str(error).split())
        )
        return f"hook {hook}: {detail}"
    known = [name for name, caller in vars(manager.hook).items() if caller.spec is not None]
    for name, caller in sorted(vars(manager.hook).items()):
        if caller.spec is None and any(not i.optionalhook for i in caller.get_hookimpls()):
            close = difflib.get_close_matches(name, known, n=1)
            return f"unknown hook {name}" + (f" (did you mean {close[0]}?)" if close else "")
    return None


def make_plugin_manager(
    builtins: Iterable[Any] = (),
    plugins: Iterable[Any] = (),
    load_entrypoints: bool = True,
) -> pluggy.PluginManager:
    """
    A plugin manager with openocpp's hook specifications.

    Built-in behaviour is registered first, so that every other plugin
    (called last-registered-first) overrides it; then installed plugins from
    the C{openocpp} entry-point group; then C{plugins}, e.g. those named on
    the command line.

    @param builtins: plugin objects holding the default behaviour.
    @param plugins: further plugin objects (modules or instances).
    @param load_entrypoints: whether to load installed plugins; tests turn
        it off and register their plugins in-process.
    @raise pluggy.PluginValidationError: a plugin implements a hook that does
        not exist (a misspelt name fails loudly, at start).
    """
    manager = pluggy.PluginManager("openocpp")
    manager.add_hookspecs(hookspecs)
    for builtin in builtins:
        manager.register(builtin)
    if load_entrypoints:
        manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in plugins:
        manager.register(plugin)
    manager.check_pending()
    return manager


def call_hook(manager: pluggy.PluginManager, name: str, **kwargs: Any) -> Deferred:
    """
    Call hook C{name} with keyword arguments.

    @return: a Deferred firing with the hook's result (for a C{firstresult}
        hook, the first answer; else the list of answers), with the value a
        Deferred-returning implementation fired with, or failing with what an
        implementation raised.
    """
    caller = getattr(manager.hook, name)
    return maybeDeferred(caller, **kwargs).addCallback(_settle)


#: What a new plugin manager executes hook calls with (pluggy's own
#: multicall): another function there means hook call monitoring or
#: tracing is on, which the fast path must not bypass.
_PLAIN_HOOKEXEC = getattr(pluggy.PluginManager("openocpp-probe"), "_inner_hookexec", None)


class DirectHook:
    """
    A C{firstresult} hook called with its arguments by position, the
    arguments of its specification in their order: C{DirectHook(manager,
    "openocpp_cs_heartbeat")(charge_point, request)}.

    When only one implementation is registered (the built-in one, at
    defaults), it is not a wrapper, takes the specification's arguments
    in the same order and no hook call monitoring is on, it is called
    directly: what pluggy would do (its answer, or C{None}; what it raises
    propagates), without pluggy's keyword dictionary, argument checks and
    result list on every call. That is checked on every call (a length, an
    identity and an attribute), so a plugin registered, or monitoring
    turned on, later is honoured at the next call. Otherwise the hook is
    called through pluggy as usual.

    @param manager: the C{pluggy.PluginManager}.
    @param name: a C{firstresult} hook's name.
    """

    __slots__ = ("_manager", "_caller", "_argnames", "_direct")

    def __init__(self, manager: pluggy.PluginManager, name: str) -> None:
        self._manager = manager
        self._caller = getattr(manager.hook, name)
        spec = self._caller.spec
        if spec is None or not spec.opts.get("firstresult"):
            raise ValueError(f"{name} is not a firstresult hook")
        self._argnames = tuple(spec.argnames)
        # Without pluggy's private attributes (another pluggy), no fast path.
        self._direct = _PLAIN_HOOKEXEC is not None and spec.kwargnames == () and hasattr(
            self._caller, "_hookimpls"
        )

    def __call__(self, *arguments: Any) -> Any:
        if self._direct:
            implementations = self._caller._hookimpls
            if (
                len(implementations) == 1
                and self._manager._inner_hookexec is _PLAIN_HOOKEXEC
            ):
                implementation = implementations[0]
                if (
                    not (implementation.wrapper or implementation.hookwrapper)
                    and not implementation.kwargnames
                    and implementation.argnames == self._argnames
                ):
                    return implementation.function(*arguments)
        return self._caller(**dict(zip(self._argnames, arguments)))


def notify(manager: pluggy.PluginManager, name: str, **kwargs: Any) -> None:
    """
    Tell every implementation of notification hook C{name}, each on its
    own: one that raises (or returns a Deferred that fails) is logged with
    its plugin's name, and the others are told all the same.

    Every delivery goes through pluggy, so hook wrappers
    (C{wrapper=True}, C{hookwrapper=True}) and hook monitoring
    (C{add_hookcall_monitoring}, C{enable_tracing}) see it. pluggy stops a
    call at the first implementation that raises, so with several
    implementations each is called through a hook caller of its own (the
    wrappers and that one implementation): a wrapper then wraps each
    delivery, and monitoring sees one call per implementation. With one
    implementation, or only wrappers, it is one ordinary call; a hook that
    nothing implements is not called at all (nothing would hear it, and the
    central system notifies on its hot path).
    """
    caller = getattr(manager.hook, name)
    implementations = caller.get_hookimpls()
    if not implementations:
        return
    # Called last-registered-first, as pluggy calls them.
    listeners = []
    for implementation in reversed(implementations):
        if not (implementation.wrapper or implementation.hookwrapper):
            if implementation.plugin not in (plugin for plugin, _ in listeners):
                listeners.append((implementation.plugin, implementation.plugin_name))
    if len(listeners) <= 1:
        # With no listener, only a wrapper can fail: name the wrappers.
        plugin_name = listeners[0][1] if listeners else ", ".join(
            implementation.plugin_name for implementation in reversed(implementations)
        )
        _deliver(caller, name, plugin_name, kwargs)
        return
    plugins = [plugin for plugin, _ in listeners]
    for plugin, plugin_name in listeners:
        others = [other for other in plugins if other is not plugin]
        _deliver(manager.subset_hook_caller(name, others), name, plugin_name, kwargs)


def _deliver(caller: Any, name: str, plugin_name: str, kwargs: dict) -> None:
    # One pluggy call of a notification hook; at most one plugin that is not
    # a wrapper answers it, so a failure is that plugin's (or a wrapper's).
    try:
        results = caller(**kwargs)
    except Exception:
        _log.failure("Plugin {plugin} failed in {hook}", plugin=plugin_name, hook=name)
        return
    # A wrapper may have replaced the list of answers with anything.
    for result in results if isinstance(results, list) else ():
        if isinstance(result, Deferred):
            result.addErrback(
                lambda failure: _log.failure(
                    "Plugin {plugin} failed in {hook}", failure, plugin=plugin_name, hook=name
                )
            )


def _settle(result: Any) -> Any:
    # A firstresult answer may itself be a Deferred: chaining it makes the
    # outer Deferred fire with its value. Lists of answers are settled whole.
    if isinstance(result, list) and any(isinstance(r, Deferred) for r in result):
        return gatherResults(
            [maybeDeferred(lambda r=r: r) for r in result], consumeErrors=True
        )
    return result
