"""
The charge point identity in the OCPP-J connection URL.

OCPP-J 1.6 section 3.1.1: a charge point derives its connection URL from the
central system's OCPP-J endpoint URL by appending C{"/"} and its identity,
percent-encoded as RFC 3986 requires (C{"RDAM 123"} at
C{"wss://centralsystem.example.com/ocppj"} connects to
C{"wss://centralsystem.example.com/ocppj/RDAM%20123"}).  The central system
reads the identity back from the last path segment.

The OCPP 1.6 documents (edition 2, OCPP-J, the Security Whitepaper edition 2
and the errata) give the identity no maximum length.  We apply the 48
characters OCPP 2.0.1 fixes for it (its C{identifierString} of at most 48),
which every OCPP 1.6 identity seen in practice fits: an identity that long
is refused by the server and the client alike.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote, unquote, urlsplit, urlunsplit

MAX_IDENTITY_LENGTH = 48
"""
The longest charge point identity accepted, in characters.
"""


class InvalidIdentity(ValueError):
    """
    A charge point identity (or the path that should carry it) is not
    acceptable.  The message says why.
    """


def check_identity(identity: str) -> str:
    """
    Check that C{identity} can be a charge point identity: 1 to
    L{MAX_IDENTITY_LENGTH} characters, none of them a control character.

    @param identity: the identity, decoded.
    @return: C{identity}.
    @raise InvalidIdentity: if it is not acceptable.
    """
    if not isinstance(identity, str):
        raise InvalidIdentity(
            f"charge point identity must be a str, not {type(identity).__name__}"
        )
    if not identity:
        raise InvalidIdentity("charge point identity is empty")
    if len(identity) > MAX_IDENTITY_LENGTH:
        raise InvalidIdentity(
            f"charge point identity is {len(identity)} characters long, "
            f"more than {MAX_IDENTITY_LENGTH}"
        )
    if any(unicodedata.category(char) == "Cc" for char in identity):
        raise InvalidIdentity("charge point identity contains control characters")
    return identity


def identity_from_path(path: str) -> str:
    """
    Read the charge point identity from a request path: its last segment,
    percent-decoded (UTF-8).

    @param path: the path of the request URL, as sent (still
        percent-encoded, without the query), e.g. C{"/ocpp/RDAM%20123"}.
    @return: the identity, e.g. C{"RDAM 123"}.
    @raise InvalidIdentity: if the last segment is empty, not valid
        percent-encoded UTF-8, or not an acceptable identity (see
        L{check_identity}).
    """
    segment = path.rsplit("/", 1)[-1]
    if not segment:
        raise InvalidIdentity(
            f"request path {path!r} does not end with a charge point identity"
        )
    try:
        identity = unquote(segment, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise InvalidIdentity(
            f"charge point identity {segment!r} is not percent-encoded UTF-8"
        ) from None
    return check_identity(identity)


def connection_url(endpoint_url: str, identity: str) -> str:
    """
    Build a charge point's connection URL from the central system's OCPP-J
    endpoint URL (OCPP-J 1.6 section 3.1.1).

    @param endpoint_url: the OCPP-J endpoint URL, C{ws://} or C{wss://}, with
        or without a trailing C{"/"} (C{"ws://cs.example.com/ocpp"}).  A
        query string is kept after the identity.
    @param identity: the charge point identity (see L{check_identity}).
    @return: the endpoint URL with C{"/"} and the percent-encoded identity
        appended to its path (C{"ws://cs.example.com/ocpp/RDAM%20123"}).
    @raise InvalidIdentity: if C{identity} is not acceptable.
    @raise ValueError: if C{endpoint_url} is not a C{ws://} or C{wss://} URL
        with a host, or has a fragment.
    """
    check_identity(identity)
    parts = urlsplit(endpoint_url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(
            f"OCPP-J endpoint URL {endpoint_url!r} is not a ws:// or wss:// URL "
            "with a host"
        )
    if parts.fragment:
        raise ValueError(
            f"OCPP-J endpoint URL {endpoint_url!r} may not have a fragment"
        )
    path = parts.path.rstrip("/") + "/" + quote(identity, safe="")
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
