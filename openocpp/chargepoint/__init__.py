"""
The Charge Point role of OCPP 1.6-J: a complete Core charge point that a
charger's firmware (or a simulator) drives through L{IChargePoint} and
answers through C{openocpp_cp_*} hooks::

    from openocpp.chargepoint import ChargePoint, ChargePointConfig

    charge_point = ChargePoint(ChargePointConfig(
        url="ws://127.0.0.1:8080/openocpp", identity="CP001"))
    charge_point.setServiceParent(application)

See C{docs/chargepoint.md}.
"""

from openocpp._lazy import lazy_exports

# Each name is imported when first used, so that importing a module of this
# package (C{openocpp.chargepoint.tap} for C{twistd --help}) loads neither
# autobahn nor the service.
_PUBLIC = {
    "ChargePoint": "openocpp.chargepoint.service",
    "ChargePointConfig": "openocpp.chargepoint.config",
    "IChargePoint": "openocpp.chargepoint.interfaces",
    "IChargePointConfig": "openocpp.chargepoint.interfaces",
    "IOcppConfig": "openocpp.chargepoint.interfaces",
    "IniOcppConfig": "openocpp.chargepoint.ocppconfig",
    "InstallResult": "openocpp.chargepoint.firmware",
    "KeyDefinition": "openocpp.chargepoint.keys",
    "KeyType": "openocpp.chargepoint.keys",
    "NotAccepted": "openocpp.chargepoint.errors",
    "NotConnected": "openocpp.chargepoint.errors",
    "OcppConfig": "openocpp.chargepoint.ocppconfig",
    "STANDARD_KEYS": "openocpp.chargepoint.keys",
}


__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)

__all__ = [
    "ChargePoint",
    "ChargePointConfig",
    "IChargePoint",
    "IChargePointConfig",
    "IOcppConfig",
    "IniOcppConfig",
    "InstallResult",
    "KeyDefinition",
    "KeyType",
    "NotAccepted",
    "NotConnected",
    "OcppConfig",
    "STANDARD_KEYS",
]
