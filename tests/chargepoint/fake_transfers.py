"""
A fake L{openocpp.transfer.interfaces.ITransfers} for the firmware and
diagnostics tests: every download and upload waits, as a L{Deferred}, until
the test answers it; each records when (on the test's clock) it was asked.
"""

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.logger import LogPublisher

from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
from openocpp.chargepoint.config import ChargePointConfig
from openocpp.chargepoint.service import ChargePoint
from openocpp.plugins import make_plugin_manager
from tests.chargepoint.fake_centralsystem import ChargePointTestCase, ScriptedCentralSystem


class FakeTransferError(Exception):
    """
    What a failed transfer fails with: like
    C{openocpp.transfer.errors.TransferError}, a one-line C{reason}.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Transfer:
    """
    One transfer asked for.

    @ivar url: its URL.
    @ivar path: the destination (download) or source (upload).
    @ivar file_name: the upload's file name (C{None} for a download).
    @ivar max_bytes: the download's size limit.
    @ivar at: the clock's time when it was asked.
    @ivar deferred: what the charge point waits on.
    """

    def __init__(self, url, path, file_name, max_bytes, at):
        self.url = url
        self.path = path
        self.file_name = file_name
        self.max_bytes = max_bytes
        self.at = at
        self.deferred = Deferred(lambda d: setattr(self, "cancelled", True))
        self.cancelled = False
        self.content = None

    def succeed(self, content: bytes = b"version=2.0\n") -> None:
        """
        Finish it: a download writes C{content} to its destination; an
        upload keeps what the source held in C{content}.
        """
        if self.file_name is None:
            with open(self.path, "wb") as destination:
                destination.write(content)
            self.deferred.callback(len(content))
        else:
            with open(self.path, "rb") as source:
                self.content = source.read()
            self.deferred.callback(None)

    def fail(self, reason: str = "HTTP 404 Not Found") -> None:
        self.deferred.errback(FakeTransferError(reason))


class FakeTransfers:
    """
    Downloads and uploads that wait for the test.

    @ivar transfers: every L{Transfer} asked for, in order.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.transfers: list[Transfer] = []

    def download(self, url, destination, max_bytes=None):
        transfer = Transfer(url, destination, None, max_bytes, self.clock.seconds())
        self.transfers.append(transfer)
        return transfer.deferred

    def upload(self, url, source, file_name):
        transfer = Transfer(url, source, file_name, None, self.clock.seconds())
        self.transfers.append(transfer)
        return transfer.deferred

    @property
    def last(self) -> Transfer:
        return self.transfers[-1]

    def pending(self) -> list[Transfer]:
        return [t for t in self.transfers if not t.deferred.called]


class TransferTestCase(ChargePointTestCase):
    """
    A charge point with L{FakeTransfers} (C{self.transfers}), a log
    publisher of its own (C{self.publisher}) and a download folder in the
    test's temporary folder; C{self.database} names its SQLite file
    (C{":memory:"} unless a test case sets C{file_database}).
    """

    file_database = False

    def setUp(self):
        self.clock = Clock()
        self.cs = ScriptedCentralSystem(self, self.clock)
        self.transfers = FakeTransfers(self.clock)
        self.publisher = LogPublisher()
        self.folder = self.mktemp()
        self.database = self.mktemp() if self.file_database else ":memory:"
        self.plugins = self.make_plugins()
        self.cp = self.make(self.database)

    def make(self, database, **settings):
        """
        A charge point on the test's clock, transfers and folder.
        """
        config = ChargePointConfig(
            database=database, download_folder=self.folder, download_max_bytes=1000,
            **{**self.settings, **settings},
        )
        manager = make_plugin_manager(
            builtins=[DefaultChargePointBehaviour()], plugins=self.plugins, load_entrypoints=False
        )
        charge_point = ChargePoint(
            config, reactor=self.clock, clock=self.clock, plugins=manager, connect=False,
            transfers=self.transfers, log_publisher=self.publisher,
        )
        self.addCleanup(charge_point.store.close)
        return charge_point

    def statuses(self, action: str = "FirmwareStatusNotification") -> list[str]:
        return [request.status for request in self.cs.requests(action)]


class LoopbackTransferMixin:
    """
    For end-to-end tests (a trial C{TestCase} on the real reactor): a
    charge point with the real transfers, connected over WebSocket to a
    L{LoopbackCentralSystem}; L{until} waits for a status notification.
    """

    timeout = 30

    async def start_charge_point(self, **settings):
        from twisted.internet import reactor

        from tests.chargepoint.fake_centralsystem import LoopbackCentralSystem

        self.cs = LoopbackCentralSystem(self, reactor)
        self._waiters: list = []
        for action in ("FirmwareStatusNotification", "DiagnosticsStatusNotification",
                       "BootNotification"):
            self.cs.answers[action] = self._watched(self.cs.answers[action], action)
        port = await self.cs.listen()
        self.addCleanup(self.cs.stop)
        config = ChargePointConfig(
            url=f"ws://127.0.0.1:{port}/openocpp",
            database=self.mktemp(),
            download_folder=self.mktemp(),
            reconnect_initial_delay=0.05,
            reconnect_max_delay=0.2,
            transfer_timeout=10,
            transfer_connect_timeout=5,
            **settings,
        )
        plugins = make_plugin_manager(
            builtins=[DefaultChargePointBehaviour()], load_entrypoints=False
        )
        self.cp = ChargePoint(config, reactor=reactor, plugins=plugins)
        self.cp.startService()
        self.addCleanup(self.cp.store.close)
        self.addCleanup(self.cp.stopService)
        await self.until("BootNotification")
        return self.cp

    def _watched(self, answer, action):
        def watched(request):
            status = getattr(request, "status", None)
            for waiter in list(self._waiters):
                if waiter[0] == action and waiter[1] in (None, status):
                    self._waiters.remove(waiter)
                    waiter[2].callback(request)
            return answer(request)

        return watched

    def until(self, action, status=None) -> Deferred:
        """
        A Deferred firing with the next C{action} request (of C{status},
        when given) the central system receives.
        """
        waiter = Deferred()
        self._waiters.append((action, status, waiter))
        return waiter

    def statuses(self, action):
        return [request.status for request in self.cs.requests(action)]
