"""
Building the plugin manager, and calling hooks so that implementations may
answer with a value or a Deferred.
"""

import importlib
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


def notify(manager: pluggy.PluginManager, name: str, **kwargs: Any) -> None:
    """
    Tell every implementation of observer hook C{name}, each on its own: one
    that raises (or returns a Deferred that fails) is logged, and the others
    are told all the same.
    """
    for implementation in reversed(getattr(manager.hook, name).get_hookimpls()):
        arguments = [kwargs[argument] for argument in implementation.argnames]
        try:
            result = implementation.function(*arguments)
        except Exception:
            _log.failure(
                "Plugin {plugin} failed in {hook}", plugin=implementation.plugin_name, hook=name
            )
            continue
        if isinstance(result, Deferred):
            result.addErrback(
                lambda failure, plugin=implementation.plugin_name: _log.failure(
                    "Plugin {plugin} failed in {hook}", failure, plugin=plugin, hook=name
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
