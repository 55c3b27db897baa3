"""
The settings of a central system.
"""

import re
from dataclasses import dataclass, field

from zope.interface import implementer

from openocpp.centralsystem.interfaces import ICentralSystemConfig

#: What a charge point not offering C{ocpp1.6} gets: HTTP 400 (the OCA's
#: TC_088_CSMS) or the handshake and a 1002 close (OCPP-J 1.6 section 3.2).
SUBPROTOCOL_MISMATCH_ANSWERS = ("refuse", "close")

#: What a cluster node's name may be (it is part of Redis keys and channels).
NODE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

#: The answers the C{unknown_charge_points} setting may take.
UNKNOWN_CHARGE_POINT_POLICIES = ("accept", "pending", "reject")


@implementer(ICentralSystemConfig)
@dataclass(kw_only=True)
class CentralSystemConfig:
    """
    A central system's settings, with the defaults of
    C{twistd openocpp centralsystem}. See L{ICentralSystemConfig} for each.

    @raise ValueError: a setting is out of range; the message names it.
    """

    listen: str = "tcp:8080:interface=127.0.0.1"
    security_profile: int = 0
    listen_plain: str | None = None
    listen_plain_profile: int = 1
    tls_key: str | None = None
    tls_certificate: str | None = None
    tls_ca: str | None = None
    tls_extra_chain: str | None = None
    tls_ciphers: str | None = None
    subprotocol_mismatch: str = "refuse"
    certificate_names_identity: bool = True
    cpo_name: str | None = None
    ca_key: str | None = None
    ca_certificate: str | None = None
    manufacturer_roots: str | None = None
    call_timeout: float = 30.0
    ping_interval: float = 60.0
    max_message_size: int = 65536
    database: str = "openocpp-centralsystem.sqlite"
    # Out of repr: the URLs may hold a password.
    store: str | None = field(default=None, repr=False)
    heartbeat_interval: int = 300
    unknown_charge_points: str = "accept"
    accept_any_id_tag: bool = False
    log_frames: bool = False
    pending_on_key_failure: bool = False
    plugins: list = field(default_factory=list)
    auth_threads: int = 1
    auth_max_pending: int = 32
    auth_failures_per_peer: int = 10
    auth_failures_per_identity: int = 5
    auth_failure_window: float = 60.0
    unicode_identities: bool = False
    max_connections: int = 20000
    max_connections_per_address: int = 1000
    output_stall_timeout: float = 30.0
    boot_timeout: float = 60.0
    max_meter_values_per_message: int = 1000
    max_meter_values_per_minute: int = 30000
    wal_size_limit: int = 64 * 1024 * 1024
    trace: str | None = None
    trace_max_bytes: int = 10 * 1024 * 1024
    trace_files: int = 5
    metrics: bool = True
    node_id: str | None = None
    bus: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.security_profile not in (0, 1, 2, 3):
            raise ValueError(f"security_profile must be 0 to 3, not {self.security_profile!r}")
        self._take_ssl_description()
        if self.tls_ciphers is not None:  # pyOpenSSL only when needed: taps stay light
            from openocpp.transport.security import check_ciphers

            check_ciphers("tls_ciphers", self.tls_ciphers)
        if self.subprotocol_mismatch not in SUBPROTOCOL_MISMATCH_ANSWERS:
            raise ValueError(
                "subprotocol_mismatch must be one of "
                f"{', '.join(SUBPROTOCOL_MISMATCH_ANSWERS)}, not {self.subprotocol_mismatch!r}"
            )
        if self.cpo_name is not None and not self.cpo_name.strip():
            raise ValueError("cpo_name must not be empty")
        if self.security_profile >= 2 and not (self.tls_key and self.tls_certificate):
            raise ValueError(
                f"security profile {self.security_profile} needs TLS: "
                "give the server's key and certificate files"
            )
        if self.security_profile == 3 and not self.tls_ca:
            raise ValueError("security profile 3 needs the CA file that signs charge point certificates")
        if self.unknown_charge_points not in UNKNOWN_CHARGE_POINT_POLICIES:
            raise ValueError(
                "unknown_charge_points must be one of "
                f"{', '.join(UNKNOWN_CHARGE_POINT_POLICIES)}, not {self.unknown_charge_points!r}"
            )
        for name in ("call_timeout", "heartbeat_interval", "max_message_size"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)!r}")
        for name in ("auth_threads", "auth_max_pending", "auth_failure_window"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)!r}")
        for name in (
            "auth_failures_per_peer",
            "auth_failures_per_identity",
            "max_connections",
            "max_connections_per_address",
            "output_stall_timeout",
            "boot_timeout",
            "max_meter_values_per_message",
            "max_meter_values_per_minute",
            "wal_size_limit",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 (no limit) or positive, not {getattr(self, name)!r}")
        self._check_cluster()
        if bool(self.ca_key) != bool(self.ca_certificate):
            raise ValueError("a certificate authority needs both ca_key and ca_certificate")
        if self.tls_ca and self.security_profile < 2:
            raise ValueError(
                "a CA for charge point certificates (tls_ca) needs a TLS listener: "
                "give the server's key and certificate files"
            )
        if self.listen_plain is not None:
            if self.security_profile < 2:
                raise ValueError(
                    "listen_plain is a second, plain listener beside a TLS one: give the "
                    "TLS listener's key and certificate too (tls_key and tls_certificate, or an ssl: listen)"
                )
            if self.listen_plain.strip().lower().startswith("ssl:"):
                raise ValueError(f"listen_plain must be a plain endpoint (tcp:, unix:), not {self.listen_plain!r}")
        if self.listen_plain_profile not in (0, 1):
            raise ValueError(f"listen_plain_profile must be 0 or 1, not {self.listen_plain_profile!r}")
        if self.trace_max_bytes < 1024:
            raise ValueError(f"trace_max_bytes must be 1024 or more, not {self.trace_max_bytes!r}")
        if self.trace_files < 1:
            raise ValueError(f"trace_files must be 1 or more, not {self.trace_files!r}")
        if self.manufacturer_roots is not None:
            from openocpp.centralsystem.firmwaresigning import load_roots

            load_roots(self.manufacturer_roots)
        if self.ping_interval < 0:
            raise ValueError(f"ping_interval must be 0 (off) or positive, not {self.ping_interval!r}")

    def _check_cluster(self) -> None:
        # Both or neither; a node id alone would name a node of no cluster.
        if self.node_id is not None:
            if self.bus is None:
                raise ValueError("node_id names a node of a cluster: give bus too (its Redis URL)")
            if not NODE_ID.fullmatch(self.node_id):
                raise ValueError(
                    f"node_id must be 1 to 64 letters, digits, '.', '_' or '-', not {self.node_id!r}"
                )
        if self.bus is not None:
            from openocpp.cluster.address import parse_bus_url

            try:
                parse_bus_url(self.bus)
            except ValueError as error:
                raise ValueError(f"bus: {error}") from None

    def _take_ssl_description(self) -> None:
        # An ssl: endpoint string names the server's files: they become
        # tls_key and tls_certificate, so that the listener is built one
        # way (TLS 1.2 or above, optional client certificates).  A TLS
        # listener is at least profile 2: TLS without credentials is no
        # profile of the whitepaper.
        from openocpp.transport.security import parse_ssl_description

        parsed = parse_ssl_description(self.listen)
        if parsed is not None:
            if self.tls_key or self.tls_certificate:
                raise ValueError(
                    "give the server's key and certificate either in the ssl: listen "
                    "string or as tls_key and tls_certificate, not both"
                )
            self.tls_key = parsed.private_key
            self.tls_certificate = parsed.certificate
            self.tls_extra_chain = parsed.extra_chain
        if bool(self.tls_key) != bool(self.tls_certificate):
            # One alone used to be ignored: a plain listener where the
            # operator asked for TLS.
            raise ValueError(
                "tls_key and tls_certificate go together: give both (the server's key and its certificate)"
            )
        if self.tls_key and self.tls_certificate and self.security_profile < 2:
            self.security_profile = 2

    @property
    def plain_listen(self) -> str:
        """
        The endpoint string the listening socket is made from: C{listen},
        or for an C{ssl:} one its C{tcp:} part (TLS is added with the
        options of L{openocpp.transport.security.server_tls_options}).
        """
        from openocpp.transport.security import parse_ssl_description

        parsed = parse_ssl_description(self.listen)
        return self.listen if parsed is None else parsed.plain
