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

An identity names a charge point in logs, the store, the HTTP API and the
operator's tools, so two identities that look alike, or one that means
something else once pasted into a path, would let one charge point pass for
another.  By default an identity is therefore printable ASCII only:

  - no control characters, no C{"/"} or C{"\\"} (also when percent-encoded:
    C{%2F}), no C{"%"} (a second round of decoding would change it), no
    C{"?"} or C{"#"}, and not C{"."}, C{".."} or any other run of dots alone;
  - spaces only inside, one at a time (OCPP-J 1.6 section 3.1.1's own
    example is C{"RDAM 123"}): no leading, trailing or double spaces;
  - no character beyond ASCII: that refuses lookalikes (a Cyrillic C{"С"}
    for a Latin C{"C"}), zero-width and bidirectional controls, and the
    other Unicode spaces.

With C{allow_unicode}, other letters are accepted too: the identity is
normalised to Unicode NFC (so C{"u"} and a combining diaeresis is the same
identity as C{"\u00fc"}), and format characters (zero-width, bidirectional
controls), other spaces and separators, private-use, unassigned and
surrogate code points are still refused.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote, unquote, urlsplit, urlunsplit

MAX_IDENTITY_LENGTH = 48
"""
The longest charge point identity accepted, in characters.
"""

_REFUSED_ASCII = {
    "/": "a '/' (a path separator)",
    "\\": "a '\\' (a path separator on some systems)",
    "%": "a '%' (it would decode again)",
    "?": "a '?' (it starts a URL query)",
    "#": "a '#' (it starts a URL fragment)",
}

# Unicode categories refused even when non-ASCII letters are allowed:
# controls, format characters (zero-width, bidirectional controls),
# separators other than the ASCII space, surrogates, private use and
# unassigned code points.
_REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "a zero-width or bidirectional control character",
    "Zs": "a space other than the ASCII space",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
    "Cs": "a surrogate code point",
    "Co": "a private-use character",
    "Cn": "an unassigned code point",
}


class InvalidIdentity(ValueError):
    """
    A charge point identity (or the path that should carry it) is not
    acceptable.  The message says why.
    """


def _describe(char: str) -> str:
    """
    A character as a reader can identify it: C{U+200B ZERO WIDTH SPACE}.
    """
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def check_identity(identity: str, allow_unicode: bool = False) -> str:
    """
    Check that C{identity} can be a charge point identity: 1 to
    L{MAX_IDENTITY_LENGTH} characters, by the rules of the module
    docstring.

    @param identity: the identity, decoded.
    @param allow_unicode: whether characters beyond ASCII are accepted (the
        identity is then normalised to NFC).
    @return: C{identity} (NFC-normalised when C{allow_unicode}).
    @raise InvalidIdentity: if it is not acceptable; the message names the
        first offending character.
    """
    if not isinstance(identity, str):
        raise InvalidIdentity(
            f"charge point identity must be a str, not {type(identity).__name__}"
        )
    if allow_unicode:
        identity = unicodedata.normalize("NFC", identity)
    if not identity:
        raise InvalidIdentity("charge point identity is empty")
    if len(identity) > MAX_IDENTITY_LENGTH:
        raise InvalidIdentity(
            f"charge point identity is {len(identity)} characters long, "
            f"more than {MAX_IDENTITY_LENGTH}"
        )
    for position, char in enumerate(identity):
        if char in _REFUSED_ASCII:
            raise InvalidIdentity(
                f"charge point identity contains {_REFUSED_ASCII[char]}"
            )
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES and char != " ":
            raise InvalidIdentity(
                f"charge point identity contains {_describe(char)}, "
                f"{_REFUSED_CATEGORIES[category]}"
            )
        if not char.isascii() and not allow_unicode:
            raise InvalidIdentity(
                f"charge point identity contains {_describe(char)}: only printable "
                "ASCII is accepted (no lookalike letters)"
            )
        if category.startswith("M") and position == 0:
            raise InvalidIdentity(
                f"charge point identity starts with {_describe(char)}, a combining mark"
            )
    if identity != identity.strip(" "):
        raise InvalidIdentity("charge point identity starts or ends with a space")
    if "  " in identity:
        raise InvalidIdentity("charge point identity contains two spaces in a row")
    if identity.strip(".") == "":
        raise InvalidIdentity(
            f"charge point identity {identity!r} is only dots (a path step)"
        )
    return identity


def identity_from_path(path: str, allow_unicode: bool = False) -> str:
    """
    Read the charge point identity from a request path: its last segment,
    percent-decoded (UTF-8).

    @param path: the path of the request URL, as sent (still
        percent-encoded, without the query), e.g. C{"/ocpp/RDAM%20123"}.
    @param allow_unicode: see L{check_identity}.
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
    return check_identity(identity, allow_unicode)


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
