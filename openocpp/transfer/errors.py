"""
The one failure of a file transfer.
"""

from __future__ import annotations


class TransferError(Exception):
    """
    A download or an upload did not complete.

    @ivar reason: what went wrong, as text meant for one log line (for
        example C{"HTTP 404 Not Found from http://host/fw.bin"}, C{"timed
        out after 30 s connecting to host:21"}, C{"larger than the limit of
        1000 bytes"}, C{"FTP 530 Login incorrect"}, C{"unsupported scheme
        'gopher'"}).
    """

    def __init__(self, reason: str) -> None:
        """
        @param reason: see L{TransferError.reason}.
        """
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason
