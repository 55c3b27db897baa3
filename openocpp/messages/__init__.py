"""
The messages of OCPP 1.6 edition 2 and of the Security Whitepaper edition 2:
typed requests and responses for all 39 actions, their enumerations and data
types, the registry of actions, conversion to and from JSON payloads, and
validation against the official schemas.

    >>> from openocpp.messages import codec, HeartbeatRequest
    >>> codec.encode(HeartbeatRequest())
    {}
"""

from openocpp.messages.core import *  # noqa: F401,F403
from openocpp.messages.datatypes import *  # noqa: F401,F403
from openocpp.messages.enums import *  # noqa: F401,F403
from openocpp.messages.errors import ErrorCode, ValidationError  # noqa: F401
from openocpp.messages.registry import ACTIONS, ActionSpec, Role  # noqa: F401
from openocpp.messages.security import *  # noqa: F401,F403
