"""
The local side of a transfer: the file a download is written into (under a
temporary name until it is complete), with its size limit and its idle
timer, shared by the HTTP and FTP transfers.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Callable

from twisted.logger import Logger

from openocpp.transfer.errors import TransferError


def remove_file(path: str) -> None:
    """
    Remove a file: one that is already gone is no error, one that cannot
    be removed is a warning logged (never raised: the caller has no better
    way on).
    """
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError as error:
        Logger().warn("Cannot remove {path}: {error}", path=path, error=error)


def size_limit_error(max_bytes: int) -> TransferError:
    """
    The failure of a download larger than its limit.

    @param max_bytes: the limit.
    @return: the L{TransferError}.
    """
    return TransferError("larger than the limit of {} bytes".format(max_bytes))


#: Bytes a download may hold in memory, waiting for the writing thread,
#: before its connection is paused (resumed once they are written).
WRITE_BUFFER = 4 * 1024 * 1024


def thread_writer(reactor: Any) -> Callable[..., Any] | None:
    """
    What runs a download's file writes off the reactor thread: the
    reactor's thread pool, or C{None} (writes on the calling thread) for a
    reactor without one (a test's C{Clock}).

    @param reactor: the reactor.
    @return: C{in_thread(function, *args)} returning a Deferred, or C{None}.
    """
    get_pool = getattr(reactor, "getThreadPool", None)
    if get_pool is None:
        return None
    from twisted.internet.threads import deferToThreadPool

    return lambda function, *args: deferToThreadPool(reactor, get_pool(), function, *args)


class PartialFile:
    """
    A download's file while it arrives: written under a temporary name in
    the destination's folder (so that the final rename is atomic and a
    partial file is never at the destination) and counted against the size
    limit.

    With C{in_thread}, the writes (and the final close and rename) run in a
    thread, one batch at a time and in order: a slow or throttled disk
    (the kernel's dirty-page writeback blocks C{write}) never holds the
    reactor.  The chunks waiting for the thread are bounded by
    L{WRITE_BUFFER}: past it the producer (the connection) is paused, and
    resumed once they are written.  A write that fails is raised by the
    next L{write} or by L{complete}.

    @ivar written: the bytes accepted so far (written, or waiting to be).
    """

    def __init__(
        self,
        destination: str,
        max_bytes: int | None,
        in_thread: Callable[..., Any] | None = None,
    ) -> None:
        """
        Create the temporary file.

        @param destination: the final path.
        @param max_bytes: the most bytes accepted, or C{None}.
        @param in_thread: see L{thread_writer}; C{None}: write at once.
        @raise TransferError: when the temporary file can not be created.
        """
        self._destination = destination
        self._max_bytes = max_bytes
        self._in_thread = in_thread
        self._discarded = False
        self.written = 0
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._busy: Any = None  # the Deferred of the batch being written
        self._error: TransferError | None = None
        self._producer: Any = None
        self._paused = False
        self._removed: list[Any] = []
        folder = os.path.dirname(os.path.abspath(destination))
        try:
            handle, self._temporary = tempfile.mkstemp(
                dir=folder, prefix="." + os.path.basename(destination) + ".", suffix=".part"
            )
        except OSError as error:
            raise TransferError(
                "cannot create a file in {}: {}".format(folder, error.strerror or error)
            ) from error
        self._file: Any = os.fdopen(handle, "wb")

    def register_producer(self, producer: Any) -> None:
        """
        @param producer: what L{write}'s data comes from (an
            C{IPushProducer}: the connection), paused while too much waits
            for the thread.
        """
        self._producer = producer

    def write(self, data: bytes) -> None:
        """
        Append a chunk.

        @param data: the chunk.
        @raise TransferError: when the chunk takes the file past its limit
            (nothing of it is written), or the disk refused a chunk.
        """
        if self._discarded:
            # Data still arriving for a transfer given up (cancelled).
            return
        if self._error is not None:
            raise self._error
        if self._max_bytes is not None and self.written + len(data) > self._max_bytes:
            raise size_limit_error(self._max_bytes)
        if self._in_thread is None:
            self._write_now([data])
            self.written += len(data)
            return
        self.written += len(data)
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._busy is None:
            self._flush()
        if self._pending_bytes > WRITE_BUFFER and self._producer is not None and not self._paused:
            self._paused = True
            self._producer.pauseProducing()

    def _write_now(self, chunks: list[bytes]) -> None:
        try:
            self._file.writelines(chunks)
        except OSError as error:
            raise TransferError(
                "cannot write {}: {}".format(self._temporary, error.strerror or error)
            ) from error

    def _flush(self) -> None:
        chunks, self._pending, self._pending_bytes = self._pending, [], 0
        self._busy = busy = self._in_thread(self._write_now, chunks)
        busy.addCallbacks(self._flushed, self._flush_failed)

    def _flushed(self, _: Any) -> None:
        self._busy = None
        if self._discarded:
            self._remove()
            return
        if self._pending:
            self._flush()
        if self._paused and self._pending_bytes <= WRITE_BUFFER // 2:
            self._resume()

    def _flush_failed(self, failure: Any) -> None:
        self._busy = None
        error = failure.value
        if not isinstance(error, TransferError):
            error = TransferError("cannot write {}: {}".format(self._temporary, error))
        self._error = error
        self._pending, self._pending_bytes = [], 0
        if self._discarded:
            self._remove()
            return
        # The next chunk raises the error, which stops the transfer.
        self._resume()

    def _resume(self) -> None:
        if self._paused:
            self._paused = False
            self._producer.resumeProducing()

    def _drained(self) -> Any:
        from twisted.internet.defer import Deferred, succeed

        if self._busy is None:
            return succeed(None)
        done: Deferred = Deferred()

        def check(result: Any) -> Any:
            if self._busy is None:
                done.callback(None)
            else:
                self._busy.addBoth(check)
            return result

        self._busy.addBoth(check)
        return done

    def _close_and_rename(self) -> None:
        self._file.close()
        os.replace(self._temporary, self._destination)

    def complete(self) -> Any:
        """
        Close the file and rename it to its destination (once every chunk
        is written).

        @return: the bytes written (C{int}), or with C{in_thread} a
            Deferred of it.
        @raise TransferError: (or the Deferred fails with it) when a chunk,
            the close or the rename failed (the file is then removed).
        """
        if self._in_thread is None:
            return self._complete_now()
        from twisted.internet.defer import Deferred

        async def complete() -> int:
            await self._drained()
            if self._error is not None:
                self.discard()
                raise self._error
            try:
                await self._in_thread(self._close_and_rename)
            except OSError as error:
                self.discard()
                raise TransferError(
                    "cannot store {}: {}".format(self._destination, error.strerror or error)
                ) from error
            return self.written

        return Deferred.fromCoroutine(complete())

    def _complete_now(self) -> int:
        try:
            self._close_and_rename()
        except OSError as error:
            self.discard()
            raise TransferError(
                "cannot store {}: {}".format(self._destination, error.strerror or error)
            ) from error
        return self.written

    def discard(self) -> Any:
        """
        Close and remove the temporary file (the destination is untouched),
        once the batch being written, if any, is done.

        @return: a Deferred firing once the file is gone.
        """
        from twisted.internet.defer import Deferred, succeed

        self._discarded = True
        self._pending, self._pending_bytes = [], 0
        if self._busy is None:
            self._remove()
            return succeed(None)
        removed: Deferred = Deferred()
        self._removed.append(removed)
        return removed

    def _remove(self) -> None:
        try:
            self._file.close()
        except OSError:
            pass
        try:
            os.unlink(self._temporary)
        except FileNotFoundError:
            pass
        except OSError:
            pass  # the folder went: nothing of the file is left to remove
        removed, self._removed = self._removed, []
        for each in removed:
            each.callback(None)


def remove_partial_files(destination: str) -> int:
    """
    Remove the temporary files downloads to C{destination} left behind (a
    process killed mid-download); other files of the folder stay.

    @param destination: the final path of those downloads.
    @return: how many were removed.
    """
    folder = os.path.dirname(os.path.abspath(destination))
    prefix = "." + os.path.basename(destination) + "."
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    removed = 0
    for name in names:
        if name.startswith(prefix) and name.endswith(".part"):
            try:
                os.unlink(os.path.join(folder, name))
            except OSError:
                continue
            removed += 1
    return removed


class IdleTimer:
    """
    A timer that fires when nothing happened for C{seconds}: each call of
    L{touch} starts it again.
    """

    def __init__(self, reactor: Any, seconds: float, expired: Callable[[], None]) -> None:
        """
        @param reactor: an C{IReactorTime}.
        @param seconds: the idle time allowed (0 or less: no timer).
        @param expired: called once when the time passes without a touch.
        """
        self._reactor = reactor
        self._seconds = seconds
        self._expired = expired
        self._call: Any = None

    def touch(self) -> None:
        """
        Something happened: start the time again.
        """
        if self._seconds <= 0:
            return
        if self._call is not None and self._call.active():
            self._call.reset(self._seconds)
        else:
            self._call = self._reactor.callLater(self._seconds, self._fire)

    def stop(self) -> None:
        """
        Stop the timer for good.
        """
        call, self._call = self._call, None
        if call is not None and call.active():
            call.cancel()

    def _fire(self) -> None:
        self._call = None
        self._expired()


class TouchingFile:
    """
    A file being uploaded (by a C{FileBodyProducer}, over HTTP or an FTP
    data connection) that restarts the idle timer whenever the connection
    takes more of it: the producer reads only when the connection is not
    full, so a read is progress.
    """

    def __init__(self, file: Any, timer: "IdleTimer") -> None:
        self._file = file
        self._timer = timer

    def read(self, size: int = -1) -> bytes:
        self._timer.touch()
        return self._file.read(size)

    def seek(self, *args: Any) -> int:
        return self._file.seek(*args)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self._file.close()
