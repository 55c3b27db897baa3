"""
What the charge point's loopback tests share: a charge point with the
built-in simulated charger that reconnects fast, started with its cleanups,
and a wait for a condition over the real reactor.
"""

import time

from twisted.internet import reactor
from twisted.internet.task import deferLater

from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
from openocpp.chargepoint.config import ChargePointConfig
from openocpp.chargepoint.service import ChargePoint
from openocpp.plugins import make_plugin_manager


def loopback_charge_point(test, url: str, **settings) -> ChargePoint:
    """
    A charge point of the central system at C{url} (not started): its own
    SQLite file, the simulated charger, reconnecting within 0.05-0.2 s.
    """
    config = ChargePointConfig(
        url=url,
        database=test.mktemp(),
        reconnect_initial_delay=0.05,
        reconnect_max_delay=0.2,
        **settings,
    )
    plugins = make_plugin_manager(builtins=[DefaultChargePointBehaviour()], load_entrypoints=False)
    return ChargePoint(config, reactor=reactor, plugins=plugins)


def start_charge_point(test, charge_point: ChargePoint) -> ChargePoint:
    """
    Start a charge point; the test stops it and closes its file at the end.
    """
    charge_point.startService()
    test.addCleanup(charge_point.store.close)
    test.addCleanup(charge_point.stopService)
    return charge_point


async def wait_for(test, condition, what: str, timeout: float = 10) -> None:
    """
    Wait (on the real reactor) until C{condition()} holds; fail the test
    naming C{what} after C{timeout} seconds.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            test.fail(f"gave up waiting for {what}")
        await deferLater(reactor, 0.01, lambda: None)
