"""
Which actions exist, their request and response classes, and which role
sends each.
"""

import dataclasses
import enum
from types import MappingProxyType
from typing import Mapping

from openocpp.messages import core, security


class Role(enum.Enum):
    """
    The two roles of OCPP 1.6.
    """

    CHARGE_POINT = "ChargePoint"
    CENTRAL_SYSTEM = "CentralSystem"

    @property
    def peer(self) -> "Role":
        """
        The other role.
        """
        if self is Role.CHARGE_POINT:
            return Role.CENTRAL_SYSTEM
        return Role.CHARGE_POINT


@dataclasses.dataclass(frozen=True, slots=True)
class ActionSpec:
    """
    One OCPP action.

    @ivar name: the action's name on the wire (C{"BootNotification"}).
    @ivar request: its request class.
    @ivar response: its response class.
    @ivar senders: the roles that may send the request: one, except for
        DataTransfer, which goes both ways.
    @ivar profile: the feature profile it belongs to (C{"Core"},
        C{"FirmwareManagement"}, C{"LocalAuthListManagement"},
        C{"Reservation"}, C{"SmartCharging"}, C{"RemoteTrigger"}) or
        C{"Security"} for the Security Whitepaper's.
    """

    name: str
    request: type
    response: type
    senders: frozenset[Role]
    profile: str

    def sent_by(self, role: Role) -> bool:
        """
        Whether C{role} may send this action's request.
        """
        return role in self.senders

    def received_by(self, role: Role) -> bool:
        """
        Whether C{role} may receive this action's request (and answers it).
        """
        return role.peer in self.senders


_CP = Role.CHARGE_POINT
_CS = Role.CENTRAL_SYSTEM
_BOTH = (_CP, _CS)

# action -> (sender, feature profile), per OCPP 1.6 section 3.1 (feature
# profiles) and the Security Whitepaper.
_ACTIONS = {
    "Authorize": (_CP, "Core"),
    "BootNotification": (_CP, "Core"),
    "ChangeAvailability": (_CS, "Core"),
    "ChangeConfiguration": (_CS, "Core"),
    "ClearCache": (_CS, "Core"),
    "DataTransfer": (_BOTH, "Core"),
    "GetConfiguration": (_CS, "Core"),
    "Heartbeat": (_CP, "Core"),
    "MeterValues": (_CP, "Core"),
    "RemoteStartTransaction": (_CS, "Core"),
    "RemoteStopTransaction": (_CS, "Core"),
    "Reset": (_CS, "Core"),
    "StartTransaction": (_CP, "Core"),
    "StatusNotification": (_CP, "Core"),
    "StopTransaction": (_CP, "Core"),
    "UnlockConnector": (_CS, "Core"),
    "GetDiagnostics": (_CS, "FirmwareManagement"),
    "DiagnosticsStatusNotification": (_CP, "FirmwareManagement"),
    "FirmwareStatusNotification": (_CP, "FirmwareManagement"),
    "UpdateFirmware": (_CS, "FirmwareManagement"),
    "GetLocalListVersion": (_CS, "LocalAuthListManagement"),
    "SendLocalList": (_CS, "LocalAuthListManagement"),
    "CancelReservation": (_CS, "Reservation"),
    "ReserveNow": (_CS, "Reservation"),
    "ClearChargingProfile": (_CS, "SmartCharging"),
    "GetCompositeSchedule": (_CS, "SmartCharging"),
    "SetChargingProfile": (_CS, "SmartCharging"),
    "TriggerMessage": (_CS, "RemoteTrigger"),
    "CertificateSigned": (_CS, "Security"),
    "DeleteCertificate": (_CS, "Security"),
    "ExtendedTriggerMessage": (_CS, "Security"),
    "GetInstalledCertificateIds": (_CS, "Security"),
    "GetLog": (_CS, "Security"),
    "InstallCertificate": (_CS, "Security"),
    "LogStatusNotification": (_CP, "Security"),
    "SecurityEventNotification": (_CP, "Security"),
    "SignCertificate": (_CP, "Security"),
    "SignedFirmwareStatusNotification": (_CP, "Security"),
    "SignedUpdateFirmware": (_CS, "Security"),
}


def _spec(name: str, sender, profile: str) -> ActionSpec:
    module = security if profile == "Security" else core
    return ActionSpec(
        name=name,
        request=getattr(module, name + "Request"),
        response=getattr(module, name + "Response"),
        senders=frozenset(sender if isinstance(sender, tuple) else (sender,)),
        profile=profile,
    )


#: Every action, by name.
ACTIONS: Mapping[str, ActionSpec] = MappingProxyType(
    {
        name: _spec(name, sender, profile)
        for name, (sender, profile) in sorted(_ACTIONS.items())
    }
)


def actions_sent_by(role: Role) -> list[ActionSpec]:
    """
    The actions whose requests C{role} sends, by name.
    """
    return [spec for spec in ACTIONS.values() if spec.sent_by(role)]
