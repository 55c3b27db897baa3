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
        )


def make_service(options: CentralSystemOptions, reactor=None) -> IService:
    """
    The central system the options describe.

    @raise usage.UsageError: a plugin named cannot be loaded.
    """
    from openocpp.centralsystem.service import CentralSystem

    try:
        return CentralSystem(options.config, reactor=reactor)
    except ValueError as error:
        raise usage.UsageError(str(error)) from None
