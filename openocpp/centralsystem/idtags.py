"""
How the central system compares id tags: without regard to case.

OCPP 1.6 section 7.28 (with errata 3.73 and 3.74) makes an IdToken a
C{CiString20Type}: C{Child1} and C{CHILD1} are the same tag. The store keeps
each tag once, as it was first written, in a column of SQLite's C{NOCASE}
collation; L{id_tag_key} folds a tag the same way for the store's caches,
so that what SQLite finds and what the caches find never differ.

SQLite's C{NOCASE} folds the 26 ASCII letters only; other characters
compare exactly. That is the whole of case for an id tag: a C{CiString}
allows printable ASCII only (OCPP 1.6 section 2.2), and
L{is_printable_ascii} is how the operator's side (the web API) keeps
other tags, which no folding could make one record, from being stored.
"""

import re
import string

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_PRINTABLE_ASCII = re.compile("[\x20-\x7e]*")


def is_printable_ascii(text: str) -> bool:
    """
    Whether C{text} holds only what a C{CiString} may (OCPP 1.6 section
    2.2: "Only printable ASCII allowed"): the characters from space to
    C{~}, no control character, nothing outside ASCII.
    """
    return _PRINTABLE_ASCII.fullmatch(text) is not None


def id_tag_key(id_tag: str) -> str:
    """
    The form of C{id_tag} under which every spelling of it is one key: its
    ASCII letters in lower case, as SQLite's C{NOCASE} collation compares
    them.
    """
    if id_tag.isascii():
        # The usual case, and the fast one.
        return id_tag.lower()
    return id_tag.translate(_ASCII_LOWER)
