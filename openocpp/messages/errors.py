"""
The OCPP-J error codes, and the error raised when a payload breaks its schema.
"""

import enum


class ErrorCode(enum.StrEnum):
    """
    The error codes of a CALLERROR (OCPP-J 1.6, section 4.2.3, table 7).

    The spellings C{OccurenceConstraintViolation} and C{FormationViolation}
    are the ones on the wire: the errata keep them so implementations stay
    compatible.
    """

    NOT_IMPLEMENTED = "NotImplemented"
    NOT_SUPPORTED = "NotSupported"
    INTERNAL_ERROR = "InternalError"
    PROTOCOL_ERROR = "ProtocolError"
    SECURITY_ERROR = "SecurityError"
    FORMATION_VIOLATION = "FormationViolation"
    PROPERTY_CONSTRAINT_VIOLATION = "PropertyConstraintViolation"
    OCCURENCE_CONSTRAINT_VIOLATION = "OccurenceConstraintViolation"
    TYPE_CONSTRAINT_VIOLATION = "TypeConstraintViolation"
    GENERIC_ERROR = "GenericError"


class ValidationError(ValueError):
    """
    A payload does not conform to its action's schema.

    @ivar code: the L{ErrorCode} a CALLERROR answering it carries.
    @ivar description: what is wrong, naming the field
        (C{"idTag: longer than 20 characters"}).
    """

    def __init__(self, code: ErrorCode, description: str) -> None:
        super().__init__(code, description)
        self.code = code
        self.description = description

    def __str__(self) -> str:
        return f"{self.code}: {self.description}"
