"""
Frames as they may be written to a log: a ChangeConfiguration of the
AuthorizationKey (the charge point's Basic-auth password) has its value
replaced, so that neither role puts the password in clear text in a log
line or debug output (Security Whitepaper edition 2, A01.FR.09 for the
central system, A01.FR.12 for the charge point).
"""

import re

REDACTED = "<redacted>"
"""
What a redacted value reads as.
"""

_KEY = re.compile("authorizationkey", re.IGNORECASE)
# Every "value" string of the frame, well formed or not: a malformed frame
# is logged too, and a frame naming the key has no other value worth
# keeping.
_VALUE = re.compile(r'("value"\s*:\s*)"(?:[^"\\]|\\.)*("?)')


def loggable_frame(text: str) -> str:
    """
    A frame's text fit for a log.

    @param text: an OCPP-J frame, as sent or received (maybe malformed).
    @return: C{text} itself, or, when it names the AuthorizationKey (in any
        case), C{text} with every C{"value"} string replaced by
        L{REDACTED}.
    """
    if _KEY.search(text) is None:
        return text
    return _VALUE.sub(lambda match: f'{match.group(1)}"{REDACTED}"', text)
