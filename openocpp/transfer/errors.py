"""
The one failure of a file transfer, and L{redact}: what keeps a URL's
password out of its reason and out of every log line about transfers.
"""

from __future__ import annotations

import re

# A URL's user information with a password: "scheme://user:password@".  The
# password runs to the last "@" before the path (an unencoded "@" in it
# stays hidden too).
_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/@\s:]*):[^/\s]*@")


def redact(text: str) -> str:
    """
    Hide the passwords of the URLs in a text (C{ftp://user:secret@host/x}
    becomes C{ftp://user:***@host/x}): what a log line or a status may say
    of a location (section 8's C{user:password@} is a credential).

    @param text: a URL, or a text holding URLs.
    @return: the text with each URL's password replaced by C{***}.
    """
    return _CREDENTIALS.sub(r"\g<head>:***@", text)


class TransferError(Exception):
    """
    A download or an upload did not complete.

    @ivar reason: what went wrong, as text meant for one log line (for
        example C{"HTTP 404 Not Found from http://host/fw.bin"}, C{"timed
        out after 30 s connecting to host:21"}, C{"larger than the limit of
        1000 bytes"}, C{"FTP 530 Login incorrect"}, C{"unsupported scheme
        'gopher'"}), the password of any URL in it hidden (L{redact}).
    """

    def __init__(self, reason: str) -> None:
        """
        @param reason: see L{TransferError.reason}.
        """
        reason = redact(reason)
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason
