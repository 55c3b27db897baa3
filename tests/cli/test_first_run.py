"""
A newcomer's first run, as the README's first screen gives it: a central
system and a simulated charge point with their default settings charge a
session, and it lands in the central system's SQLite file.
"""

import os
import sqlite3

from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.trial.unittest import TestCase

from openocpp.centralsystem.service import CentralSystem
from openocpp.hookspecs import hookimpl
from openocpp.centralsystem.tap import CentralSystemOptions
from openocpp.centralsystem.tap import make_service as make_central_system
from openocpp.chargepoint.tap import ChargePointOptions
from openocpp.chargepoint.tap import make_service as make_charge_point


def _rows(path: str, sql: str) -> list[tuple]:
    # A connection of our own: what is in the file is what a user sees.
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []  # not created yet
    finally:
        connection.close()


class FirstRunTests(TestCase):
    """
    C{twistd -n openocpp centralsystem --accept-idtag SIM-0001} and
    C{twistd -n openocpp chargepoint --simulate}, over loopback.
    """

    def start(self, *central_arguments: str):
        folder = os.path.abspath(self.mktemp())
        os.makedirs(folder)
        self.cs_db = os.path.join(folder, "openocpp-centralsystem.sqlite")
        self.cp_db = os.path.join(folder, "openocpp-chargepoint.sqlite")
        options = CentralSystemOptions()
        options.parseOptions(
            ["--db", self.cs_db, "--listen", "tcp:0:interface=127.0.0.1", *central_arguments]
        )
        service = make_central_system(options, reactor)
        central = service if isinstance(service, CentralSystem) else service.getServiceNamed("centralsystem")
        self.session_over = _SessionOver(central.store, refused="--accept-idtag" not in central_arguments)
        central.plugins.register(self.session_over)
        service.startService()
        self.addCleanup(service.stopService)
        return central.when_listening()

    @inlineCallbacks
    def simulate(self, port: int):
        options = ChargePointOptions()
        # The README's charge point, on the test's port, the session shortened.
        options.parseOptions(
            ["--db", self.cp_db, "--url", f"ws://127.0.0.1:{port}/openocpp", "--simulate",
             "--charge-time", "0.2"]
        )
        charge_point = make_charge_point(options, reactor)
        simulator = charge_point.getServiceNamed("simulator")
        simulator.plug_time = 0.05
        simulator.idle_time = 3600.0  # one session
        charge_point.startService()
        self.addCleanup(charge_point.stopService)
        # Until the session ended: stopped, or refused (the connector went
        # Finishing without a transaction), and written to the file.
        yield self.session_over.done.addTimeout(60, reactor)
        return simulator

    @inlineCallbacks
    def test_simulated_session_lands_in_sqlite(self):
        """
        With the simulator's tag accepted (C{--accept-idtag SIM-0001}, as
        the README's first screen runs it), a simulated session charges and
        its transaction, start to stop, is in the central system's file.
        """
        port = yield self.start("--accept-idtag", "SIM-0001")
        simulator = yield self.simulate(port.getHost().port)
        self.assertEqual(simulator.sessions, 1)
        rows = _rows(
            self.cs_db,
            "SELECT identity, id_tag, meter_start, meter_stop, stop_timestamp IS NOT NULL FROM transactions",
        )
        self.assertEqual(len(rows), 1)
        identity, id_tag, meter_start, meter_stop, stopped = rows[0]
        self.assertEqual((identity, id_tag, stopped), ("CP001", "SIM-0001", 1))
        self.assertGreaterEqual(meter_stop, meter_start)

    @inlineCallbacks
    def test_unknown_tag_refused_by_default(self):
        """
        Without it, the central system keeps its safe default: an unknown
        tag does not charge (the simulator says so in its log).
        """
        port = yield self.start()
        simulator = yield self.simulate(port.getHost().port)
        self.assertEqual(simulator.sessions, 0)
        self.assertEqual(_rows(self.cs_db, "SELECT id FROM transactions"), [])


class _SessionOver:
    """
    A central-system plugin whose C{done} fires once the simulated session
    is over, and what the central system wrote is committed: its
    StopTransaction, or (C{refused}: its idTag refused) its connector
    Finishing without a transaction.
    """

    def __init__(self, store, refused: bool) -> None:
        self._store = store
        self._refused = refused
        self.done = Deferred()

    @hookimpl
    def openocpp_cs_request_handled(self, charge_point, request, response):
        if self._refused:
            over = request.action == "StatusNotification" and request.status == "Finishing"
        else:
            over = request.action == "StopTransaction"
        if over and not self.done.called:
            self._store.when_committed().chainDeferred(self.done)
