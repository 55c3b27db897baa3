"""
C{twistd openocpp centralsystem}: its options and the service they build.
"""

from twisted.application.service import IService
from twisted.python import usage

from openocpp.centralsystem.config import UNKNOWN_CHARGE_POINT_POLICIES, CentralSystemConfig


class CentralSystemOptions(usage.Options):
    """
    Options of C{twistd openocpp centralsystem}.
    """

    synopsis = "[options]"
    longdesc = (
        "Run an OCPP 1.6-J central system: it listens for charge points, "
        "registers them, authorizes id tags, records transactions, meter "
        "values, statuses and security events in an SQLite file."
    )

    optParameters = [
        ["listen", "l", "tcp:8080:interface=127.0.0.1",
         "Twisted server endpoint string to listen on (tcp:PORT:interface=ADDR, ssl:...)."],
        ["db", None, "openocpp-centralsystem.sqlite", "SQLite file of the central system (':memory:' for none)."],
        ["security-profile", None, 0, "Security Profile to enforce: 0 to 3.", int],
        ["tls-key", None, None, "PEM file of the server's TLS private key (profiles 2, 3)."],
        ["tls-cert", None, None, "PEM file of the server's certificate chain (profiles 2, 3)."],
        ["tls-ca", None, None, "PEM file of the CA signing charge point certificates (profile 3)."],
        ["heartbeat-interval", None, 300, "Heartbeat interval given to charge points, in seconds.", int],
        ["unknown-chargepoints", None, "accept",
         "Answer to unknown charge points' boot: " + "|".join(UNKNOWN_CHARGE_POINT_POLICIES) + "."],
        ["call-timeout", None, 30.0, "Seconds to wait for a charge point's answer.", float],
        ["ping-interval", None, 60.0, "Seconds between WebSocket pings (0: off).", float],
        ["max-message-size", None, 65536, "Largest WebSocket message accepted, in bytes.", int],
        ["max-connections", None, 20000, "Most simultaneous charge point connections (0: no limit).", int],
        ["max-connections-per-address", None, 1000,
         "Most simultaneous connections from one IP address (0: no limit; behind a proxy, raise it).", int],
        ["output-stall-timeout", None, 30.0,
         "Seconds a charge point may leave its answers unread before it is dropped (0: never).", float],
        ["boot-timeout", None, 60.0,
         "Seconds a charge point never booted here has to send BootNotification (0: no limit).", float],
        ["max-meter-values-per-message", None, 1000,
         "Most sampled values in one MeterValues.req (0: no limit).", int],
        ["max-meter-values-per-minute", None, 30000,
         "Most sampled values a minute per charge point connection (0: no limit).", int],
        ["wal-size-limit", None, 64 * 1024 * 1024,
         "Bytes past which the SQLite write-ahead log is checkpointed and truncated (0: no limit).", int],
        ["api", None, None,
         "Also serve the HTTP API and web console on this endpoint string "
         "(e.g. tcp:8081:interface=127.0.0.1)."],
        ["api-token", None, None,
         "Token the HTTP API requires (Bearer, or the Basic-auth password); "
         "file:PATH reads it from a file. Without one the API listens on loopback only."],
        ["api-request-timeout", None, 30.0,
         "Seconds an API client has to send each whole request; also the idle timeout (0: none).", float],
        ["api-max-streams", None, 100, "Most live-event streams open at once (0: no limit).", int],
        ["api-stream-backlog", None, 1024 * 1024,
         "Bytes of live events queued for a stream that stopped reading before it is dropped.", int],
    ]
    optFlags = [
        ["accept-any-idtag", None, "Accept every id tag, known or not."],
        ["no-log-frames", None, "Do not log every OCPP message (one debug line each)."],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["plugin"] = []

    def opt_plugin(self, name: str) -> None:
        """
        Load the plugin module NAME (repeatable).
        """
        self["plugin"].append(name)

    def postOptions(self) -> None:
        try:
            self.config = self.make_config()
            self.api_config = self.make_api_config()
        except ValueError as error:
            raise usage.UsageError(str(error)) from None

    def make_config(self):
        """
        The L{openocpp.centralsystem.config.CentralSystemConfig} the options
        describe.

        @raise ValueError: they do not make a valid one.
        """
        return CentralSystemConfig(
            listen=self["listen"],
            database=self["db"],
            security_profile=self["security-profile"],
            tls_key=self["tls-key"],
            tls_certificate=self["tls-cert"],
            tls_ca=self["tls-ca"],
            heartbeat_interval=self["heartbeat-interval"],
            unknown_charge_points=self["unknown-chargepoints"],
            accept_any_id_tag=bool(self["accept-any-idtag"]),
            call_timeout=self["call-timeout"],
            ping_interval=self["ping-interval"],
            max_message_size=self["max-message-size"],
            plugins=list(self["plugin"]),
            log_frames=not self["no-log-frames"],
            max_connections=self["max-connections"],
            max_connections_per_address=self["max-connections-per-address"],
            output_stall_timeout=self["output-stall-timeout"],
            boot_timeout=self["boot-timeout"],
            max_meter_values_per_message=self["max-meter-values-per-message"],
            max_meter_values_per_minute=self["max-meter-values-per-minute"],
            wal_size_limit=self["wal-size-limit"],
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
        )


def make_service(options: CentralSystemOptions, reactor=None) -> IService:
    """
    The central system the options describe; with C{--api}, a
    C{MultiService} holding it (named C{"centralsystem"}) and the HTTP API
    and console next to it (named C{"api"}).

    @raise usage.UsageError: a plugin named cannot be loaded.
    """
    from openocpp.centralsystem.service import CentralSystem

    try:
        central = CentralSystem(options.config, reactor=reactor)
    except ValueError as error:
        raise usage.UsageError(str(error)) from None
    api_config = getattr(options, "api_config", None)
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
