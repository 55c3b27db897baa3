"""
The C{--bus} URL: where the cluster's Redis is. Light to import (the
command line parses it).
"""

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class BusAddress:
    """
    Where Redis is: the parsed C{--bus} URL.

    @ivar host: its host name or address.
    @ivar port: its TCP port.
    @ivar db: the database number (C{SELECT}); pub/sub ignores it.
    """

    host: str
    port: int
    db: int = 0


def parse_bus_url(url: str) -> BusAddress:
    """
    Parse C{redis://host[:port][/db]} (port 6379 and db 0 by default).

    @raise ValueError: anything else; the message says what is wrong.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ValueError(f"{url!r} is not a redis://host:port[/db] URL ({error})") from None
    if parts.scheme != "redis" or not parts.hostname:
        raise ValueError(f"{url!r} is not a redis://host:port[/db] URL")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"{url!r}: only redis://host:port[/db] is supported (no credentials or query)")
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise ValueError(f"{url!r}: the database is a number (redis://host:port/0)")
    return BusAddress(parts.hostname, 6379 if port is None else port, int(path) if path else 0)
