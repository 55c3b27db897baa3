"""
The default request and events handlers: each decision goes to the
C{openocpp_cs_*} hooks (see L{openocpp.hookspecs}).
"""

from typing import Any

from twisted.internet.defer import Deferred
from zope.interface import implementer

from openocpp.centralsystem.interfaces import (
    ICentralSystemEventsHandler,
    IChargePointRequestHandler,
)
from openocpp.plugins import DirectHook, call_hook, notify


def _answered(response: Any, hook_name: str) -> Any:
    if response is None:
        raise LookupError(f"no plugin answered {hook_name}")
    return response


def _asks(hook_name: str):
    # One method of IChargePointRequestHandler: ask its hook.
    def answer(self, charge_point: Any, request: Any) -> Any:
        return self._ask(hook_name, charge_point, request)

    answer.__name__ = hook_name.removeprefix("openocpp_cs_")
    answer.__doc__ = f"Answer with the C{{{hook_name}}} hook."
    return answer


@implementer(IChargePointRequestHandler)
class HookRequestHandler:
    """
    Answers charge points' requests with the C{openocpp_cs_*} hooks.

    @param plugins: the C{pluggy.PluginManager}; its built-in plugin
        answers when no installed plugin does.
    """

    def __init__(self, plugins: Any) -> None:
        self._plugins = plugins
        # One DirectHook per hook, made at its first call: the built-in
        # behaviour alone is called without pluggy's per-call overhead.
        self._hooks: dict[str, DirectHook] = {}

    def _ask(self, hook_name: str, charge_point: Any, request: Any) -> Any:
        # Called directly, not through maybeDeferred: most answers are
        # synchronous, and the RPC session takes a value or a Deferred.
        hook = self._hooks.get(hook_name)
        if hook is None:
            hook = self._hooks[hook_name] = DirectHook(self._plugins, hook_name)
        response = hook(charge_point, request)
        if isinstance(response, Deferred):
            return response.addCallback(_answered, hook_name)
        return _answered(response, hook_name)

    authorize = _asks("openocpp_cs_authorize")
    boot_notification = _asks("openocpp_cs_boot_notification")
    data_transfer = _asks("openocpp_cs_data_transfer")
    diagnostics_status_notification = _asks("openocpp_cs_diagnostics_status_notification")
    firmware_status_notification = _asks("openocpp_cs_firmware_status_notification")
    heartbeat = _asks("openocpp_cs_heartbeat")
    meter_values = _asks("openocpp_cs_meter_values")
    start_transaction = _asks("openocpp_cs_start_transaction")
    status_notification = _asks("openocpp_cs_status_notification")
    stop_transaction = _asks("openocpp_cs_stop_transaction")
    log_status_notification = _asks("openocpp_cs_log_status_notification")
    security_event_notification = _asks("openocpp_cs_security_event_notification")
    sign_certificate = _asks("openocpp_cs_sign_certificate")
    signed_firmware_status_notification = _asks("openocpp_cs_signed_firmware_status_notification")


@implementer(ICentralSystemEventsHandler)
class HookEventsHandler:
    """
    Decides on credentials and hears of connections with the
    C{openocpp_cs_*} hooks.

    @param plugins: the C{pluggy.PluginManager}.
    """

    def __init__(self, plugins: Any) -> None:
        self._plugins = plugins

    def check_credentials(self, identity, password, certificate, peer) -> Deferred:
        return call_hook(
            self._plugins,
            "openocpp_cs_check_credentials",
            identity=identity,
            password=password,
            certificate=certificate,
            peer=peer,
        ).addCallback(bool)

    def charge_point_connected(self, charge_point) -> None:
        notify(self._plugins, "openocpp_cs_charge_point_connected", charge_point=charge_point)

    def charge_point_disconnected(self, charge_point) -> None:
        notify(self._plugins, "openocpp_cs_charge_point_disconnected", charge_point=charge_point)
