"""
The C{twistd openocpp centralsystem} subcommand: its options and the service
they build::

    twistd -n openocpp centralsystem --listen tcp:8080:interface=127.0.0.1

Heavy imports happen inside L{make_service}, so C{twistd --help} stays fast.
"""

from twisted.application.service import IService
from twisted.python import usage

from openocpp.centralsystem.config import UNKNOWN_CHARGE_POINT_POLICIES, CentralSystemConfig
from openocpp.preflight import number
from openocpp.roletap import RoleOptions


class CentralSystemOptions(RoleOptions):
    """
    Options of C{twistd openocpp centralsystem}; after parsing, C{config}
    holds the L{CentralSystemConfig} and C{api_config} the
    L{openocpp.web.config.ApiConfig} (or C{None}).
    """

    longdesc = (
        "Run an OCPP 1.6-J central system: it listens for charge points, "
        "registers them, authorizes id tags, records transactions, meter "
        "values, statuses and security events in an SQLite file."
    )

    optParameters = [
        ["listen", "l", "tcp:8080:interface=127.0.0.1",
         "Twisted server endpoint string to listen on (tcp:PORT:interface=ADDR, ssl:...)."],
        ["listen-plain", None, None,
         "A second, plain endpoint beside a TLS --listen, for charge points of profiles 0 and 1 "
         "(the upgrade path to 2 and 3 in one process; those registered for 2 or 3 are refused there)."],
        ["listen-plain-profile", None, 1, "The least Security Profile on --listen-plain: 1 (HTTP Basic) or 0.",
         number("--listen-plain-profile", int)],
        ["db", None, "openocpp-centralsystem.sqlite", "SQLite file of the central system (':memory:' for none)."],
        ["store", None, None,
         "A PostgreSQL store instead of --db, which several central systems may share: "
         "postgresql://USER@HOST:PORT/DB (or postgresql:///DB?host=/socket/folder)."],
        ["node-id", None, None,
         "This node's name in a cluster (letters, digits, '.', '_', '-'; default with --bus: HOST-PID)."],
        ["bus", None, None,
         "The cluster's Redis, redis://[[USER]:PASSWORD@]HOST:PORT[/DB]: presence, command routing, "
         "cache invalidation and live events shared with the other nodes (see the Cluster page)."],
        ["security-profile", None, 0, "Security Profile to enforce: 0 to 3.",
         number("--security-profile", int)],
        ["tls-key", None, None, "PEM file of the server's TLS private key (profiles 2, 3)."],
        ["tls-cert", None, None, "PEM file of the server's certificate chain (profiles 2, 3)."],
        ["tls-ciphers", None, None, "The TLS 1.2 cipher suites, an OpenSSL cipher string (default: the whitepaper's)."],
        ["tls-ca", None, None,
         "PEM file of the CA signing charge point certificates: required at profile 3; "
         "at profile 2 client certificates are then optional (one listener for 2 and 3)."],
        ["subprotocol-mismatch", None, "refuse",
         "A charge point not offering ocpp1.6: refuse (HTTP 400, TC_088_CSMS) or close "
         "(handshake, then close 1002: OCPP-J 1.6 section 3.2)."],
        ["ca-key", None, None,
         "PEM file of a CA key signing charge points' CSRs (SignCertificate); with --ca-cert."],
        ["ca-cert", None, None, "PEM file of that CA's certificate (then any intermediates)."],
        ["manufacturer-root", None, None,
         "PEM file of the manufacturer root certificate(s): the signing certificate of a "
         "SignedUpdateFirmware the API sends must be issued by one (L01.FR.11)."],
        ["cpo-name", None, None,
         "The CPO name a charge point certificate's (and CSR's) subject O must be."],
        ["heartbeat-interval", None, 300, "Heartbeat interval given to charge points, in seconds.",
         number("--heartbeat-interval", int)],
        ["unknown-chargepoints", None, "accept",
         "Answer to unknown charge points' boot: " + "|".join(UNKNOWN_CHARGE_POINT_POLICIES) + "."],
        ["call-timeout", None, 30.0, "Seconds to wait for a charge point's answer.",
         number("--call-timeout", float)],
        ["ping-interval", None, 60.0, "Seconds between WebSocket pings (0: off).",
         number("--ping-interval", float)],
        ["max-message-size", None, 65536, "Largest WebSocket message accepted, in bytes.",
         number("--max-message-size", int)],
        ["auth-threads", None, 1, "Threads hashing Basic-auth passwords.",
         number("--auth-threads", int)],
        ["auth-max-pending", None, 32, "Most password checks at once (more: HTTP 503).",
         number("--auth-max-pending", int)],
        ["auth-failures-per-peer", None, 10,
         "Failed authentications from one address before HTTP 429 (0: no limit).",
         number("--auth-failures-per-peer", int)],
        ["auth-failures-per-identity", None, 5,
         "Failed authentications for one identity before HTTP 429 (0: no limit).",
         number("--auth-failures-per-identity", int)],
        ["auth-failure-window", None, 60.0, "Seconds over which failed authentications count.",
         number("--auth-failure-window", float)],
        ["max-connections", None, 20000, "Most simultaneous charge point connections (0: no limit).",
         number("--max-connections", int)],
        ["max-connections-per-address", None, 1000,
         "Most simultaneous connections from one IP address (0: no limit; behind a proxy, raise it).",
         number("--max-connections-per-address", int)],
        ["output-stall-timeout", None, 30.0,
         "Seconds a charge point may leave its answers unread before it is dropped (0: never).",
         number("--output-stall-timeout", float)],
        ["boot-timeout", None, 60.0,
         "Seconds a charge point never booted here has to send BootNotification (0: no limit).",
         number("--boot-timeout", float)],
        ["max-meter-values-per-message", None, 1000,
         "Most sampled values in one MeterValues.req (0: no limit).",
         number("--max-meter-values-per-message", int)],
        ["max-meter-values-per-minute", None, 30000,
         "Most sampled values a minute per charge point connection (0: no limit).",
         number("--max-meter-values-per-minute", int)],
        ["wal-size-limit", None, 64 * 1024 * 1024,
         "Bytes past which the SQLite write-ahead log is checkpointed and truncated (0: no limit).",
         number("--wal-size-limit", int)],
        ["api", None, None,
         "Also serve the HTTP API and web console on this endpoint string "
         "(e.g. tcp:8081:interface=127.0.0.1)."],
        ["api-token", None, None,
         "Token the HTTP API requires (Bearer, or the Basic-auth password); "
         "file:PATH reads it from a file. Without one the API listens on loopback only."],
        ["api-request-timeout", None, 30.0,
         "Seconds an API client has to send each whole request; also the idle timeout (0: none).",
         number("--api-request-timeout", float)],
        ["api-max-streams", None, 100, "Most live-event streams open at once (0: no limit).",
         number("--api-max-streams", int)],
        ["api-stream-backlog", None, 1024 * 1024,
         "Bytes of live events queued for a stream that stopped reading before it is dropped.",
         number("--api-stream-backlog", int)],
        ["api-public-url", None, None,
         "The base URL charge points reach the API at (https://cs.example.com:8081), for the "
         "diagnostics upload locations; default: the scheme and Host of the API request."],
        ["api-max-upload", None, 64 * 1024 * 1024,
         "Most bytes of a file a charge point uploads to /uploads/ (0: no limit).",
         number("--api-max-upload", int)],
        ["api-upload-lifetime", None, 24 * 60 * 60.0,
         "Seconds an upload location handed out in GetDiagnostics stays usable.",
         number("--api-upload-lifetime", float)],
    ]
    optFlags = [
        ["accept-any-idtag", None, "Accept every id tag, known or not."],
        ["no-metrics", None, "Keep no Prometheus metrics (/metrics on the API answers 404)."],
        ["no-log-frames", None, "Accepted for older command lines: frame logging is off by default."],
        ["unicode-identities", None, "Accept identities beyond ASCII (normalised to NFC)."],
        ["pending-on-key-failure", None,
         "Answer the BootNotifications of a charge point that did not accept its new "
         "AuthorizationKey (Rejected, NotSupported) with Pending until one is accepted (A01.FR.05)."],
        ["no-certificate-identity", None,
         "Do not require a client certificate's CN to be the charge point identity "
         "(a plugin's openocpp_cs_certificate_identity may map it)."],
    ]
    renamed_options = {
        "tls_certificate": "--tls-cert",
        "certificate_names_identity": "--no-certificate-identity",
        "ca_certificate": "--ca-cert",
        "bus": "--bus",
        "manufacturer_roots": "--manufacturer-root",
        "unknown_charge_points": "--unknown-chargepoints",
        "request_timeout": "--api-request-timeout",
        "max_streams": "--api-max-streams",
        "stream_backlog": "--api-stream-backlog",
        "public_url": "--api-public-url",
        "max_upload": "--api-max-upload",
        "upload_lifetime": "--api-upload-lifetime",
    }

    #: The HTTP API's settings, once parsed (C{None} without C{--api}).
    api_config = None

    def __init__(self) -> None:
        super().__init__()
        self["accept-idtags"] = []

    def opt_accept_idtag(self, id_tag: str) -> None:
        """
        Store this id tag as Accepted at start, e.g. SIM-0001 (repeatable).
        """
        if not id_tag or len(id_tag) > 20:
            raise usage.UsageError(f"--accept-idtag {id_tag!r}: an id tag is 1 to 20 characters")
        self["accept-idtags"].append(id_tag)

    def postOptions(self) -> None:
        super().postOptions()
        with self.errors_named():
            self.api_config = self.make_api_config()

    def check(self) -> None:
        from openocpp.preflight import check_endpoint

        if self["security-profile"] in (2, 3):
            missing = []
            if not self["listen"].strip().lower().startswith("ssl:"):
                # An ssl: string names the key and certificate itself.
                missing = [name for name in ("--tls-key", "--tls-cert") if self[name[2:]] is None]
            if self["security-profile"] == 3 and self["tls-ca"] is None and not missing:
                # TLS is there (an ssl: string, or the files): what is
                # missing is the CA of the charge points' certificates.
                raise ValueError(
                    "--security-profile 3 needs --tls-ca (the CA that signs charge point certificates)"
                )
            if self["security-profile"] == 3 and self["tls-ca"] is None:
                missing.append("--tls-ca")
            if missing:
                raise ValueError(
                    f"--security-profile {self['security-profile']} needs TLS: give "
                    + " and ".join(missing)
                )
        if self["store"] is not None:
            from openocpp.store.postgresql import is_postgresql_url

            if not is_postgresql_url(self["store"]):
                from openocpp.store.postgresql import redacted_url

                raise ValueError(
                    "--store must be a PostgreSQL URL (postgresql://USER@HOST:PORT/DB), "
                    f"not {redacted_url(self['store'])!r}"
                )
        check_endpoint(None, "--listen", self["listen"])
        if self["listen-plain"] is not None:
            check_endpoint(None, "--listen-plain", self["listen-plain"])
        if self["api"] is not None:
            check_endpoint(None, "--api", self["api"])

    def make_config(self):
        """
        The L{openocpp.centralsystem.config.CentralSystemConfig} the options
        describe.

        @raise ValueError: they do not make a valid one.
        """
        return CentralSystemConfig(
            listen=self["listen"],
            listen_plain=self["listen-plain"],
            listen_plain_profile=self["listen-plain-profile"],
            database=self["db"],
            store=self["store"],
            security_profile=self["security-profile"],
            tls_key=self["tls-key"],
            tls_certificate=self["tls-cert"],
            tls_ca=self["tls-ca"],
            tls_ciphers=self["tls-ciphers"],
            subprotocol_mismatch=self["subprotocol-mismatch"],
            certificate_names_identity=not self["no-certificate-identity"],
            cpo_name=self["cpo-name"],
            ca_key=self["ca-key"],
            ca_certificate=self["ca-cert"],
            manufacturer_roots=self["manufacturer-root"],
            heartbeat_interval=self["heartbeat-interval"],
            unknown_charge_points=self["unknown-chargepoints"],
            accept_any_id_tag=bool(self["accept-any-idtag"]),
            call_timeout=self["call-timeout"],
            ping_interval=self["ping-interval"],
            max_message_size=self["max-message-size"],
            plugins=list(self["plugins"]),
            log_frames=bool(self["log-frames"]),
            pending_on_key_failure=bool(self["pending-on-key-failure"]),
            auth_threads=self["auth-threads"],
            auth_max_pending=self["auth-max-pending"],
            auth_failures_per_peer=self["auth-failures-per-peer"],
            auth_failures_per_identity=self["auth-failures-per-identity"],
            auth_failure_window=self["auth-failure-window"],
            unicode_identities=bool(self["unicode-identities"]),
            max_connections=self["max-connections"],
            max_connections_per_address=self["max-connections-per-address"],
            output_stall_timeout=self["output-stall-timeout"],
            boot_timeout=self["boot-timeout"],
            max_meter_values_per_message=self["max-meter-values-per-message"],
            max_meter_values_per_minute=self["max-meter-values-per-minute"],
            wal_size_limit=self["wal-size-limit"],
            trace=self["trace"],
            trace_max_bytes=self["trace-max-bytes"],
            trace_files=self["trace-files"],
            metrics=not self["no-metrics"],
            node_id=self["node-id"],
            bus=self["bus"],
        )

    def make_api_config(self):
        """
        The L{openocpp.web.config.ApiConfig} of C{--api} and C{--api-token},
        or C{None} without C{--api}.

        @raise ValueError: they do not make a valid one (no token for an
            endpoint that is not loopback-only, an unreadable token file).
        """
        if self["api"] is None:
            if self["api-token"] is not None:
                raise ValueError("--api-token needs --api (the endpoint the API listens on)")
            return None
        from openocpp.web.config import ApiConfig, read_token

        return ApiConfig(
            endpoint=self["api"],
            token=read_token(self["api-token"]),
            request_timeout=self["api-request-timeout"],
            max_streams=self["api-max-streams"],
            stream_backlog=self["api-stream-backlog"],
            public_url=self["api-public-url"],
            max_upload=self["api-max-upload"],
            upload_lifetime=self["api-upload-lifetime"],
        )



#: The settings of L{CentralSystemConfig} and the options that set them, so
#: that an error names what the user typed.
_OPTION_NAMES = CentralSystemOptions.option_names()


def make_service(options: CentralSystemOptions, reactor=None) -> IService:
    """
    The central system the options describe; with C{--api}, a
    C{MultiService} holding it (named C{"centralsystem"}) and the HTTP API
    and console next to it (named C{"api"}).

    Before building anything it checks what only the running machine can
    tell (see L{openocpp.preflight}): the plugins load, the TLS files can be
    read, the database is the central system's, the ports are free.

    @raise usage.UsageError: one of those fails; the message is one line
        naming the option.
    """
    from openocpp.centralsystem.service import CentralSystem

    if reactor is None:
        from twisted.internet import reactor
    with options.errors_named():
        _preflight(options, reactor)
        central = CentralSystem(options.config, reactor=reactor)
        for id_tag in options["accept-idtags"]:
            central.store.set_id_tag(id_tag, status="Accepted")
    api_config = options.api_config
    if api_config is None:
        return central
    from twisted.application.service import MultiService

    from openocpp.web.service import WebService

    parent = MultiService()
    central.setName("centralsystem")
    central.setServiceParent(parent)
    web = WebService(central, api_config, reactor=reactor)
    web.setName("api")
    web.setServiceParent(parent)
    return parent


def _preflight(options: CentralSystemOptions, reactor) -> None:
    # In the order a user would fix them; nothing here creates a file.
    from openocpp import preflight
    from openocpp.centralsystem.store import MIGRATIONS

    config = options.config
    preflight.check_plugins("--plugin", config.plugins)
    # The files an ssl: string names are the --listen option's.
    from_listen = config.listen.strip().lower().startswith("ssl:")
    key_option, certificate_option = ("--listen", "--listen") if from_listen else ("--tls-key", "--tls-cert")
    preflight.check_readable_files([
        (key_option, config.tls_key), (certificate_option, config.tls_certificate),
        ("--tls-ca", config.tls_ca), ("--ca-key", config.ca_key), ("--ca-cert", config.ca_certificate),
    ])
    if config.ca_key:
        from openocpp.centralsystem.certificates import CertificateAuthority

        try:
            CertificateAuthority.from_files(config.ca_key, config.ca_certificate)
        except ValueError as error:
            raise ValueError(f"--ca-key {config.ca_key!r}, --ca-cert {config.ca_certificate!r}: {error}") from None
    if config.security_profile >= 2 and config.tls_key and config.tls_certificate:
        from openocpp.transport.security import server_tls_options

        try:
            server_tls_options(config.tls_key, config.tls_certificate,
                               client_ca=config.tls_ca, extra_chain=config.tls_extra_chain,
                               ciphers=config.tls_ciphers)
        except Exception as error:
            raise ValueError(
                f"{key_option} {config.tls_key!r}, {certificate_option} {config.tls_certificate!r}: "
                f"not a PEM key and certificate chain ({error})"
            ) from None
    if config.store is not None:
        preflight.check_postgresql_store("--store", config.store, "central system")
    else:
        preflight.check_role_database("--db", config.database, MIGRATIONS, "central system")
    if config.bus is not None:
        from openocpp.cluster.client import check_bus_reachable

        check_bus_reachable("--bus", config.bus)
    preflight.check_port_free(reactor, "--listen", config.plain_listen)
    if config.listen_plain is not None:
        preflight.check_port_free(reactor, "--listen-plain", config.listen_plain)
    api_config = options.api_config
    if api_config is not None:
        preflight.check_port_free(reactor, "--api", api_config.endpoint)
