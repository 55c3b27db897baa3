"""
The central system's write-ahead log checkpoints, made so that the writer
(the store's connection, on the reactor thread) does not wait for the disk.

SQLite starts its log again from the beginning only when a write begins
with every frame of it copied into the database file. A passive
checkpoint in a thread copies the frames there were when it began; while
it copies and syncs the file, the reactor commits more, so under a steady
load it never catches up and the log grows until the store truncates it
(C{CentralSystemStore._truncate_log}): on the reactor thread, copying and
syncing the last second's frames, tens of milliseconds during which no
charge point is answered (measured: 48-90 ms every 13 s at 1,000 calls/s,
docs/performance.md), and each commit meanwhile makes the file longer.

So L{LogCheckpoints} does the slow part in a thread, with one connection
kept open: two passive checkpoints, each followed by a sync of the database
file, so the pages copied are on disk; and when the log has more than
C{finish_frames} frames, the reactor thread finishes it between two turns'
transactions with one more passive checkpoint, which copies and syncs only
the frames of the last few milliseconds. The next write then starts the log
again: the log stays small, its blocks are reused, and no checkpoint waits
for the writer nor the writer for a checkpoint. Durability is SQLite's:
the same passive checkpoints, with its own syncs.
"""

import os
import sqlite3
from typing import Any, Callable

from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.python.failure import Failure

#: Frames (pages) in the log past which the reactor thread finishes a
#: checkpoint so the log starts again: 4,096 of 4 KiB, 16 MiB.
FINISH_FRAMES = 4096

#: Passive checkpoints a thread's run makes, each followed by a sync: the
#: second copies what was committed during the first.
PASSES = 2


class LogCheckpoints:
    """
    Checkpoints of one SQLite file's write-ahead log (see the module's
    docstring).

    @param path: the SQLite file.
    @param writer: the store's connection (on the reactor thread), which
        finishes a checkpoint.
    @param threads: the C{IReactorThreads} whose pool runs the thread's
        part.
    @param commit: commits the writer's pending transaction (the store's
        group commit), so the writer finishes between transactions.
    @param finish_frames: log frames past which the writer finishes a
        checkpoint (0: never; the log then grows until it is truncated).
    """

    log = Logger()

    def __init__(
        self,
        path: str,
        writer: sqlite3.Connection,
        threads: Any,
        commit: Callable[[], None],
        finish_frames: int = FINISH_FRAMES,
    ) -> None:
        self._path = path
        self._writer = writer
        self._threads = threads
        self._commit = commit
        self._finish_frames = finish_frames
        self._connection: sqlite3.Connection | None = None
        self._file: int | None = None
        self.running = False
        self._failing = False
        self._closed = False
        #: How many checkpoints the writer finished.
        self.finished = 0

    def run(self) -> Deferred:
        """
        Checkpoint in a thread and, if the log is long, finish on the
        calling (reactor) thread.

        @return: a Deferred firing with C{None} when done (a failure is
            logged, once until a checkpoint works again, not returned).
        """
        self.running = True
        running = deferToThreadPool(self._threads, self._threads.getThreadPool(), self._in_thread)
        running.addBoth(self._ran)
        return running

    def _in_thread(self) -> tuple[int, int]:
        if self._connection is None:
            self._connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            self._file = os.open(self._path, os.O_RDONLY)
        log = copied = 0
        for _ in range(PASSES):
            # (log, copied) are of the log as the pass began: the writer
            # committed more meanwhile, whatever they say.
            (_, log, copied) = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            # SQLite syncs the database file only after a checkpoint that
            # copied the whole log: sync what was copied, so that the
            # finishing checkpoint has only its own pages to sync.
            os.fsync(self._file)
        return (log, copied)

    def _ran(self, result: Any) -> None:
        self.running = False
        if isinstance(result, Failure):
            # Opened again at the next one: this one may be what broke.
            self._close_thread_side()
            if not self._failing:
                # Once until one works again: on a full disk every second's
                # checkpoint fails.
                self._failing = True
                self.log.failure("Checkpointing the central system's log failed", result)
            return None
        self._failing = False
        if self._closed:
            self._close_thread_side()
            return None
        (log, copied) = result
        if self._finish_frames and log >= self._finish_frames:
            self.finish()
        return None

    def finish(self) -> None:
        """
        Copy the rest of the log on the writer's connection, between two
        transactions (the pending one committed first), so its next write
        starts the log again.
        """
        self._commit()
        if self._writer.in_transaction:
            return
        try:
            self._writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            self.log.failure("Finishing a checkpoint of the central system's log failed")
            return
        self.finished += 1

    def close(self) -> None:
        """
        Close the thread's connection (at once, or when the running
        checkpoint ends).
        """
        self._closed = True
        if not self.running:
            self._close_thread_side()

    def _close_thread_side(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._file is not None:
            os.close(self._file)
            self._file = None
