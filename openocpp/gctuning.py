"""
Tuning CPython's cyclic garbage collector for a long-running OCPP server.

With CPython's defaults the collector runs every 700 allocations of
container objects, and each run walks every young object; a busy central
system allocates a few dozen such objects per message, so it spends about a
tenth of its time collecting (measured with
C{benchmarks/bench_centralsystem.py}: 98 -> 87 us of CPU per call at 1,000
charge points). Messages make little cyclic garbage: collecting less often
costs a little memory and saves that time.
"""

import gc

from twisted.application.service import Service
from twisted.logger import Logger

#: Collect the youngest generation every 20,000 allocations (not 700), the
#: middle one every 50 of those, the oldest every 1,000 of those.
SERVER_THRESHOLDS = (20_000, 50, 1_000)


class GarbageCollectorTuning(Service):
    """
    While running: the objects made at start-up (modules, classes,
    configuration) are frozen out of collections, and the collector runs
    less often. Stopping restores what was there.

    It changes the whole process, so C{twistd openocpp} uses it (the process
    is ours), and a program embedding openocpp decides for itself.

    @param thresholds: the collector's thresholds while running.
    """

    log = Logger()

    def __init__(self, thresholds: tuple[int, int, int] = SERVER_THRESHOLDS) -> None:
        self.thresholds = thresholds
        self._previous: tuple[int, int, int] | None = None

    def startService(self) -> None:
        super().startService()
        self._previous = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(*self.thresholds)
        self.log.info(
            "Garbage collector tuned for a server: thresholds {thresholds}",
            thresholds=self.thresholds,
        )

    def stopService(self) -> None:
        super().stopService()
        if self._previous is not None:
            gc.set_threshold(*self._previous)
            gc.unfreeze()
            self._previous = None
