"""
Quick start: a central system embedded in a plain Twisted application.

    python examples/quick_start_centralsystem.py [--listen tcp:8080:interface=127.0.0.1]

It accepts every charge point and id tag, and for each charge point that
connects it reads the configuration, sets HeartbeatInterval to 60 seconds and
asks for a StatusNotification of every connector, logging what it learns.
Stop it with Ctrl-C. Point a charge point at ws://127.0.0.1:8080/ocpp/<identity>
(e.g. `twistd -n openocpp chargepoint`).
"""

import argparse
import sys

from twisted.internet import defer, task
from twisted.logger import Logger, globalLogBeginner, textFileLogObserver

from openocpp import hookimpl
from openocpp.centralsystem.config import CentralSystemConfig
from openocpp.centralsystem.handler import HookRequestHandler
from openocpp.centralsystem.service import CentralSystem

log = Logger(namespace="quick_start")


class QuickStartHandler(HookRequestHandler):
    """
    A custom request handler: the default answers, plus a log line for
    every status a connector reports.
    """

    def status_notification(self, charge_point, request):
        log.info(
            "{identity} connector {connector}: {status}",
            identity=charge_point.identity,
            connector=request.connector_id,
            status=str(request.status),
        )
        return super().status_notification(charge_point, request)


class QuickStartPlugin:
    """
    Site behaviour as a plugin: configure each charge point as it connects.
    """

    def __init__(self):
        self.configured = []

    @hookimpl
    def openocpp_cs_charge_point_connected(self, charge_point):
        # Not waited for: the connection is announced at once, and the
        # configuration goes on while the charge point boots.
        defer.ensureDeferred(self.configure(charge_point)).addErrback(
            lambda failure: log.failure("Configuring {identity} failed", failure, identity=charge_point.identity)
        )

    async def configure(self, charge_point):
        configuration = await charge_point.get_configuration()
        for key in configuration.configuration_key or []:
            log.info("{identity}: {key} = {value}", identity=charge_point.identity, key=key.key, value=key.value)
        changed = await charge_point.change_configuration("HeartbeatInterval", "60")
        log.info("{identity}: HeartbeatInterval 60 -> {status}", identity=charge_point.identity, status=str(changed.status))
        triggered = await charge_point.trigger_message("StatusNotification")
        log.info("{identity}: StatusNotification triggered -> {status}", identity=charge_point.identity, status=str(triggered.status))
        self.configured.append(charge_point.identity)


def make_central_system(reactor, listen="tcp:8080:interface=127.0.0.1", database="quick-start.sqlite"):
    """
    The quick start's central system, not yet started; its plugin is its
    C{quick_start} attribute.
    """
    config = CentralSystemConfig(
        listen=listen, database=database, accept_any_id_tag=True, heartbeat_interval=60
    )
    quick_start = QuickStartPlugin()
    # The central system builds its store, its built-in behaviour (which
    # hashes passwords in the service's thread pool) and the plugin
    # manager; the handler class is called with that manager.
    central = CentralSystem(
        config,
        reactor=reactor,
        plugins=[quick_start],
        request_handler=QuickStartHandler,
    )
    central.quick_start = quick_start
    return central


async def main(reactor, listen):
    central = make_central_system(reactor, listen)
    central.startService()
    await central.when_listening()
    stopped = defer.Deferred()
    reactor.addSystemEventTrigger("before", "shutdown", lambda: central.stopService())
    await stopped  # runs until Ctrl-C


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="openocpp central system quick start")
    parser.add_argument("--listen", default="tcp:8080:interface=127.0.0.1")
    arguments = parser.parse_args()
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stdout)])
    task.react(lambda reactor: defer.ensureDeferred(main(reactor, arguments.listen)))
