"""
The settings of a charge point.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from zope.interface import implementer

from openocpp.chargepoint.interfaces import IChargePointConfig
from openocpp.transport.client import check_client_configuration
from openocpp.transport.identity import connection_url
from openocpp.transport.security import check_ciphers


#: The longest values BootNotification.req takes (OCPP 1.6 section 6.3).
_BOOT_LIMITS = {
    "charge_point_serial_number": 25,
    "charge_box_serial_number": 25,
    "firmware_version": 50,
    "iccid": 20,
    "imsi": 20,
    "meter_type": 25,
    "meter_serial_number": 25,
}


@implementer(IChargePointConfig)
@dataclass(kw_only=True)
class ChargePointConfig:
    """
    A charge point's settings, with the defaults of
    C{twistd openocpp chargepoint}. See L{IChargePointConfig} for each.

    @raise ValueError: a setting is out of range, or the URL, password and
        certificates do not make the security profile; the message says
        which.
    """

    url: str = "ws://127.0.0.1:8080/openocpp"
    tls_url: str | None = None
    identity: str = "CP001"
    security_profile: int = 0
    password: str | None = None
    ca_certificates: str | None = None
    client_certificate: str | None = None
    client_key: str | None = None
    tls_ciphers: str | None = None
    crl_folder: str | None = None
    database: str = "openocpp-chargepoint.sqlite"
    connectors: int = 2
    call_timeout: float = 30.0
    reconnect_initial_delay: float = 1.0
    reconnect_max_delay: float = 60.0
    security_profile_attempts: int = 3
    boot_retry_interval: float = 60.0
    vendor: str = "openocpp"
    model: str = "Simulator"
    charge_point_serial_number: str | None = None
    charge_box_serial_number: str | None = None
    firmware_version: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None
    ocpp_ini: str | None = None
    plugins: list = field(default_factory=list)
    download_folder: str = "openocpp-downloads"
    download_max_bytes: int = 256 * 1024 * 1024
    transfer_timeout: float = 600.0
    transfer_connect_timeout: float = 30.0
    transfer_ca_certificates: str | None = None
    transfer_max_duration: float = 3600.0
    supply_voltage: float = 230.0
    supply_phases: int = 3
    max_current: float | None = None
    signed_firmware_only: bool = False

    def __post_init__(self) -> None:
        if self.security_profile not in (0, 1, 2, 3):
            raise ValueError(f"security_profile must be 0 to 3, not {self.security_profile!r}")
        check_client_configuration(
            self.security_profile,
            self.url,
            self.password,
            self.client_certificate is not None if self.security_profile == 3 else None,
        )
        if self.password:
            from openocpp.chargepoint.keys import check_authorization_key

            check_authorization_key("password", self.password)
        check_ciphers("tls_ciphers", self.tls_ciphers)
        connection_url(self.url, self.identity)  # checks both
        if self.tls_url is not None:
            if urlsplit(self.tls_url).scheme.lower() != "wss":
                raise ValueError(f"tls_url must be a wss:// URL, not {self.tls_url!r}")
            connection_url(self.tls_url, self.identity)
        if self.connectors < 1:
            raise ValueError(f"connectors must be 1 or more, not {self.connectors!r}")
        for name in (
            "call_timeout", "reconnect_initial_delay", "boot_retry_interval",
            "transfer_timeout", "transfer_connect_timeout", "transfer_max_duration",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)!r}")
        if self.security_profile_attempts < 1:
            raise ValueError(
                f"security_profile_attempts must be 1 or more, not {self.security_profile_attempts!r}"
            )
        if self.reconnect_max_delay < self.reconnect_initial_delay:
            raise ValueError("reconnect_max_delay must not be less than reconnect_initial_delay")
        for name, limit in _BOOT_LIMITS.items():
            value = getattr(self, name)
            if value is not None and len(value) > limit:
                raise ValueError(f"{name} is at most {limit} characters (BootNotification)")
        if self.download_max_bytes < 1:
            raise ValueError(
                f"download_max_bytes must be 1 or more, not {self.download_max_bytes!r}"
            )
        if not self.download_folder:
            raise ValueError("download_folder must name a folder")
        if not self.supply_voltage > 0:  # also refuses nan
            raise ValueError(f"supply_voltage must be positive, not {self.supply_voltage!r}")
        if self.supply_phases not in (1, 3):
            raise ValueError(f"supply_phases must be 1 or 3, not {self.supply_phases!r}")
        if self.max_current is not None and not self.max_current > 0:
            raise ValueError(f"max_current must be positive, not {self.max_current!r}")
        if not self.vendor or len(self.vendor) > 20:
            raise ValueError("vendor must be 1 to 20 characters")
        if not self.model or len(self.model) > 20:
            raise ValueError("model must be 1 to 20 characters")
