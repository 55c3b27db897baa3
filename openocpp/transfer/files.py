"""
The local side of a transfer: the file a download is written into (under a
temporary name until it is complete), with its size limit and its idle
timer, shared by the HTTP and FTP transfers.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Callable

from openocpp.transfer.errors import TransferError


def size_limit_error(max_bytes: int) -> TransferError:
    """
    The failure of a download larger than its limit.

    @param max_bytes: the limit.
    @return: the L{TransferError}.
    """
    return TransferError("larger than the limit of {} bytes".format(max_bytes))


class PartialFile:
    """
    A download's file while it arrives: written under a temporary name in
    the destination's folder (so that the final rename is atomic and a
    partial file is never at the destination) and counted against the size
    limit.

    @ivar written: the bytes written so far.
    """

    def __init__(self, destination: str, max_bytes: int | None) -> None:
        """
        Create the temporary file.

        @param destination: the final path.
        @param max_bytes: the most bytes accepted, or L{None}.
        @raise TransferError: when the temporary file can not be created.
        """
        self._destination = destination
        self._max_bytes = max_bytes
        self._discarded = False
        self.written = 0
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

    def write(self, data: bytes) -> None:
        """
        Append a chunk.

        @param data: the chunk.
        @raise TransferError: when the chunk takes the file past its limit
            (nothing of it is written), or the disk refuses it.
        """
        if self._discarded:
            # Data still arriving for a transfer given up (cancelled).
            return
        if self._max_bytes is not None and self.written + len(data) > self._max_bytes:
            raise size_limit_error(self._max_bytes)
        try:
            self._file.write(data)
        except OSError as error:
            raise TransferError(
                "cannot write {}: {}".format(self._temporary, error.strerror or error)
            ) from error
        self.written += len(data)

    def complete(self) -> int:
        """
        Close the file and rename it to its destination.

        @return: the bytes written.
        @raise TransferError: when the file can not be closed or renamed (it
            is then removed).
        """
        try:
            self._file.close()
            os.replace(self._temporary, self._destination)
        except OSError as error:
            self.discard()
            raise TransferError(
                "cannot store {}: {}".format(self._destination, error.strerror or error)
            ) from error
        return self.written

    def discard(self) -> None:
        """
        Close and remove the temporary file (the destination is untouched).
        """
        self._discarded = True
        try:
            self._file.close()
        except OSError:
            pass
        try:
            os.unlink(self._temporary)
        except FileNotFoundError:
            pass


class IdleTimer:
    """
    A timer that fires when nothing happened for C{seconds}: each call of
    L{touch} starts it again.
    """

    def __init__(self, reactor: Any, seconds: float, expired: Callable[[], None]) -> None:
        """
        @param reactor: an L{IReactorTime}.
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
