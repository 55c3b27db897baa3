"""
The Charge Point role of OCPP 1.6-J: a complete Core charge point that a
charger's firmware (or a simulator) drives through L{IChargePoint} and
answers through C{openocpp_cp_*} hooks.

    from openocpp.chargepoint import ChargePoint, ChargePointConfig

    charge_point = ChargePoint(ChargePointConfig(
        url="ws://127.0.0.1:8080/openocpp", identity="CP001"))
    charge_point.setServiceParent(application)

See C{docs/chargepoint.md}.
"""

from openocpp.chargepoint.config import ChargePointConfig
from openocpp.chargepoint.errors import NotAccepted, NotConnected
from openocpp.chargepoint.interfaces import (
    IChargePoint,
    IChargePointConfig,
    IOcppConfig,
)
from openocpp.chargepoint.keys import STANDARD_KEYS, KeyDefinition, KeyType
from openocpp.chargepoint.ocppconfig import IniOcppConfig, OcppConfig
from openocpp.chargepoint.service import ChargePoint

__all__ = [
    "ChargePoint",
    "ChargePointConfig",
    "IChargePoint",
    "IChargePointConfig",
    "IOcppConfig",
    "IniOcppConfig",
    "KeyDefinition",
    "KeyType",
    "NotAccepted",
    "NotConnected",
    "OcppConfig",
    "STANDARD_KEYS",
]
