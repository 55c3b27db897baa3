"""
The C{--bus} URL: where the cluster's Redis is, and the credentials to
give it. Light to import (the command line parses it).
"""

from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from openocpp.transfer.errors import redact

#: The URL forms a C{--bus} may take, for error messages.
FORMS = "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]"


@dataclass(frozen=True)
class BusAddress:
    """
    Where Redis is, and how to log in: the parsed C{--bus} URL.

    @ivar host: its host name or address.
    @ivar port: its TCP port.
    @ivar db: the database number (C{SELECT}); pub/sub ignores it.
    @ivar username: the ACL user (Redis 6 and later), or C{None}: the
        C{default} user.
    @ivar password: the password C{AUTH} gives, or C{None}: no C{AUTH}.
        Never in a C{repr}, a log line or an answer of the API: see
        L{redacted}.
    """

    host: str
    port: int
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def redacted(self) -> str:
        """
        @return: the address as a URL for log lines, its password shown as
            C{***}.
        """
        credentials = ""
        if self.password is not None:
            credentials = f"{self.username or ''}:***@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"redis://{credentials}{host}:{self.port}/{self.db}"

    def auth(self) -> tuple | None:
        """
        @return: the C{AUTH} command's arguments, or C{None} without a
            password.
        """
        if self.password is None:
            return None
        if self.username:
            return ("AUTH", self.username, self.password)
        return ("AUTH", self.password)


def parse_bus_url(url: str) -> BusAddress:
    """
    Parse C{redis://[[user]:password@]host[:port][/db]} (port 6379 and db 0
    by default; the user and password percent-encoded, as in Redis's own
    clients: C{redis://:p%40ss@host} for the password C{p@ss}).

    @raise ValueError: anything else; the message says what is wrong, and
        never holds the password.
    """
    shown = redact(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ValueError(f"{shown!r} is not a {FORMS} URL ({redact(str(error))})") from None
    if parts.scheme != "redis" or not parts.hostname:
        raise ValueError(f"{shown!r} is not a {FORMS} URL")
    if parts.query or parts.fragment:
        raise ValueError(f"{shown!r}: only {FORMS} is supported (no query)")
    if parts.username and parts.password is None:
        raise ValueError(
            f"{shown!r}: a user needs a password (redis://USER:PASSWORD@HOST, or redis://:PASSWORD@HOST "
            "for a password alone)"
        )
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise ValueError(f"{shown!r}: the database is a number (redis://host:port/0)")
    return BusAddress(
        parts.hostname,
        6379 if port is None else port,
        int(path) if path else 0,
        unquote(parts.username) if parts.username else None,
        None if parts.password is None else unquote(parts.password),
    )
