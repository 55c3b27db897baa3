"""
The central system side: an autobahn WebSocket server speaking OCPP 1.6-J,
enforcing one Security Profile per listening port, and the helpers to
listen (with TLS, and client certificates for Security Profile 3)::

    factory = OcppServerFactory(handler_factory, authenticator=check,
                                security_profile=SecurityProfile.TLS_CLIENT_CERT)
    tls = server_tls_options("key.pem", "chain.pem", client_ca="cp-ca.pem")
    port = await listen(reactor, "tcp:8443", factory, tls)

The opening handshake of a charge point (OCPP-J 1.6 section 3, Security
Whitepaper section 2) goes:

  1. identity: the last segment of the request path, percent-decoded, 1 to
     48 characters, else HTTP 404;
  2. transport: TLS for profiles 2 and 3, plain TCP for 0 and 1, else 403;
  3. subprotocol: C{ocpp1.6} must be among those offered.  If not, by
     default the upgrade is refused with HTTP 400 and the reason (what the
     OCA's compliance test case TC_088_CSMS checks); with
     C{subprotocol_mismatch="close"} the handshake completes without a
     C{Sec-WebSocket-Protocol} header and the connection is closed at once
     (code 1002), as OCPP-J 1.6 section 3.2 literally says (checked after
     the credentials then);
  4. credentials: for profiles 1 and 2 HTTP Basic with the identity as user
     name, else 401 (with C{WWW-Authenticate: Basic}), unless, on a profile
     2 listener whose TLS options ask for an optional client certificate,
     the charge point presented one (verified against the CA by TLS: it
     meets profile 3); for profile 3 a client certificate, else 403; with
     C{check_certificate_identity} (the default) a certificate's subject CN
     must be the identity, else 403 (A00.FR.405);
  5. the authenticator, with identity, password, certificate and peer: no
     gives 403 (profile 3), 401 (profiles 1, 2, or a password was
     presented) or 404 (profile 0: an unknown charge point); it may also refuse
     with a status of its own by raising
     L{openocpp.transport.security.AuthenticationRefused} (e.g. 401 for a
     charge point registered with a password on a profile 0 listener, 429
     with C{Retry-After} after too many failed attempts).

Then the handler's C{connection_made} is called.
"""

from __future__ import annotations

from typing import Any, Callable

from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from autobahn.websocket.protocol import WebSocketProtocol
from autobahn.websocket.types import ConnectionDeny, ConnectionRequest
from twisted.internet.defer import Deferred, maybeDeferred
from twisted.internet.endpoints import serverFromString
from twisted.internet.interfaces import (
    IAddress,
    IListeningPort,
    IOpenSSLServerConnectionCreator,
    IReactorTime,
    ISSLTransport,
    IStreamServerEndpoint,
)
from twisted.internet.protocol import Factory
from OpenSSL import SSL
from twisted.internet.ssl import Certificate, CertificateOptions
from twisted.logger import Logger
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.python.failure import Failure
from zope.interface import implementer

from openocpp.transport.connection import (
    CLOSE_PROTOCOL_ERROR,
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_OUTPUT_STALL_TIMEOUT,
    MAX_HANDSHAKE_SIZE,
    NO_SEND_QUEUE,
    OCPP_SUBPROTOCOL,
    OcppFactoryMixin,
    OcppProtocolMixin,
)
from openocpp.transport.identity import InvalidIdentity, identity_from_path
from openocpp.transport.quietlines import QuietTLSFailures
from openocpp.transport.interfaces import IConnectionHandler, IOcppConnection
from openocpp.transport.security import (
    AuthenticationRefused,
    InvalidAuthorization,
    SecurityProfile,
    common_names,
    negotiation_problem,
    parse_ssl_description,
    password_from_authorization,
    requires_client_certificate,
    server_tls_options,
    tls_connection,
)

SUBPROTOCOL_REFUSE = "refuse"
"""
Refuse a handshake not offering C{ocpp1.6} with HTTP 400 (TC_088_CSMS).
"""

SUBPROTOCOL_CLOSE = "close"
"""
Complete a handshake not offering C{ocpp1.6} without the subprotocol, then
close with 1002 (OCPP-J 1.6 section 3.2).
"""

SUBPROTOCOL_MISMATCH_ANSWERS = (SUBPROTOCOL_REFUSE, SUBPROTOCOL_CLOSE)
"""
The answers to a subprotocol mismatch L{OcppServerFactory} may give.
"""

Authenticator = Callable[
    [str, "bytes | None", "Certificate | None", IAddress], "bool | Deferred[bool]"
]
"""
The type of an authenticator: C{(identity, password, certificate, peer)}
to whether the charge point is accepted (see L{OcppServerFactory.__init__}).
"""


def accept_all(
    identity: str,
    password: bytes | None,
    certificate: Certificate | None,
    peer: IAddress,
) -> bool:
    """
    The default authenticator: every charge point that passes the Security
    Profile's checks is accepted.

    @return: C{True}.
    """
    return True


def is_health_check(head: bytes) -> bool:
    """
    Whether a request's head (its request line and headers) is a load
    balancer's health check: C{GET /} without an C{Upgrade} header, which
    the OCPP port answers 426 (503 when full) without a log line.
    """
    lines = head.split(b"\r\n")
    if not lines[0].startswith(b"GET / HTTP/"):
        return False
    return not any(line[:8].lower() == b"upgrade:" for line in lines[1:])


def _printable(text: str) -> str:
    """
    C{text} fit for an HTTP status line: control characters replaced.
    """
    return "".join(char if char.isprintable() else " " for char in text)


class OcppServerProtocol(OcppProtocolMixin, QuietTLSFailures, WebSocketServerProtocol):
    """
    One charge point's WebSocket connection to the central system.  Made by
    L{OcppServerFactory}; see the module docstring for the handshake.
    """

    _log = Logger()

    _request_seen = False
    _request_path: str | None = None
    _refusal: str | None = None
    _certificate: Certificate | None = None
    _refusal_headers: list | None = None
    _refusal_detail: str | None = None
    _address: str | None = None
    _over_quota: str | None = None
    _health_check = False
    # Whether the refusal of this handshake was logged already (our line).
    _refusal_logged = False

    def connectionMade(self) -> None:
        """
        Count the connection against the listener's and its address's
        quotas; one over a quota is refused once its request arrives.
        """
        super().connectionMade()
        factory = self.factory
        peer = self.transport.getPeer()
        address = getattr(peer, "host", None)
        if address is not None:
            self._address = address
            count = factory._per_address.get(address, 0) + 1
            factory._per_address[address] = count
            limit = factory.max_connections_per_address
            if limit and count > limit:
                self._over_quota = (
                    f"too many connections from {address} (at most {limit})"
                )
        limit = factory.max_connections
        if limit and len(factory._protocols) > limit:
            self._over_quota = f"too many connections (at most {limit})"

    def connectionLost(self, reason: Failure) -> None:
        """
        Give the connection's place in its address's quota back; a failed
        TLS handshake is logged, one line naming OpenSSL's reason (the
        security log line A00.FR.323 recommends: a charge point offering
        only TLS 1.1 or banned suites, or an untrusted certificate).
        """
        if reason.check(SSL.Error):
            self._log.warn(
                "TLS handshake with {peer} failed: {reason}",
                peer=self.peer,
                reason=reason.getErrorMessage()[:255],
            )
        address, self._address = self._address, None
        if address is not None:
            per_address = self.factory._per_address
            left = per_address.get(address, 1) - 1
            if left > 0:
                per_address[address] = left
            else:
                per_address.pop(address, None)
        super().connectionLost(reason)

    def processHandshake(self) -> None:
        """
        Refuse oversized request headers (431) before autobahn parses them,
        a connection over a quota (503) before anything is decided, and
        never parse a second request while the first is being decided.
        """
        if self._request_seen:
            # The charge point must wait for our answer; it may not send
            # frames yet.  Keep what it sends within bounds.
            if len(self.data) > MAX_HANDSHAKE_SIZE:
                self.wasNotCleanReason = "data sent before the handshake completed"
                self.dropConnection(abort=True)
            return
        end_of_header = self.data.find(b"\r\n\r\n")
        if end_of_header < 0 and len(self.data) <= MAX_HANDSHAKE_SIZE:
            return  # wait for the rest
        if end_of_header < 0 or end_of_header + 4 > MAX_HANDSHAKE_SIZE:
            self._log.warn(
                "Refused {peer}: request headers longer than {limit} bytes",
                peer=self.peer,
                limit=MAX_HANDSHAKE_SIZE,
            )
            self._refusal_logged = True
            self._request_seen = True
            self.failHandshake("Request Header Fields Too Large", 431)
            return
        self._request_seen = True
        self._health_check = is_health_check(self.data[:end_of_header])
        if self._over_quota is not None:
            if not self._health_check:
                self._log.warn(
                    "Refused {peer}: HTTP 503 {reason}", peer=self.peer, reason=self._over_quota
                )
            self._refusal_logged = True
            self.failHandshake(self._over_quota, 503)
            return
        super().processHandshake()

    def onConnect(self, request: ConnectionRequest) -> Deferred[str | None]:
        """
        Decide on a charge point's opening handshake.

        @return: a Deferred firing with C{"ocpp1.6"} (accepted), C{None} (to
            close at once: no C{ocpp1.6} subprotocol offered), or failing
            with C{ConnectionDeny}.
        """
        accepting = Deferred.fromCoroutine(self._accept(request))
        accepting.addErrback(self._refused)
        return accepting

    async def _accept(self, request: ConnectionRequest) -> str | None:
        """
        The handshake checks, in order; see the module docstring.
        """
        factory = self.factory
        profile = factory.security_profile
        peer = self.transport.getPeer()
        self._request_path = request.path
        try:
            identity = identity_from_path(
                request.path, allow_unicode=factory.allow_unicode_identities
            )
        except InvalidIdentity as invalid:
            raise ConnectionDeny(ConnectionDeny.NOT_FOUND, str(invalid))
        self.identity = identity
        offered = OCPP_SUBPROTOCOL in request.protocols
        if not offered and factory.subprotocol_mismatch == SUBPROTOCOL_REFUSE:
            # Before the credentials: nothing is hashed for a client that
            # cannot speak OCPP 1.6 anyway.
            raise ConnectionDeny(
                ConnectionDeny.BAD_REQUEST,
                f"subprotocol {OCPP_SUBPROTOCOL} required (offered: "
                + (", ".join(request.protocols) or "none")
                + ")",
            )

        is_tls = ISSLTransport.providedBy(self.transport)
        if is_tls != profile.uses_tls:
            raise ConnectionDeny(
                ConnectionDeny.FORBIDDEN,
                f"security profile {int(profile)} "
                + ("requires TLS" if profile.uses_tls else "does not use TLS"),
            )
        certificate = None
        if is_tls:
            # A00.FR.313/314: the version and cipher suite are checked
            # (options of openocpp cannot agree to others; options given
            # by the application may).
            handle = tls_connection(self.transport)
            negotiated = None if handle is None else negotiation_problem(handle)
            if negotiated is not None:
                raise ConnectionDeny(ConnectionDeny.FORBIDDEN, negotiated[1])
            peer_certificate = self.transport.getPeerCertificate()
            if peer_certificate is not None:
                certificate = Certificate(peer_certificate)

        header = request.headers.get("authorization")
        password = None
        # A verified client certificate meets profile 3, above the
        # listener's profile 2 (a listener asking for an optional one).
        by_certificate = certificate is not None
        if profile.requires_basic_auth and not by_certificate:
            try:
                password = password_from_authorization(header, identity)
            except InvalidAuthorization as invalid:
                raise ConnectionDeny(401, str(invalid))
        elif header is not None:
            try:
                password = password_from_authorization(header, identity)
            except InvalidAuthorization:
                password = None

        if profile.requires_client_certificate:
            if certificate is None:
                raise ConnectionDeny(
                    ConnectionDeny.FORBIDDEN, "no client certificate"
                )
            if factory.check_certificate_identity and common_names(certificate) != [identity]:
                raise ConnectionDeny(
                    ConnectionDeny.FORBIDDEN,
                    "client certificate subject CN is not the charge point identity",
                )

        try:
            accepted = await maybeDeferred(
                factory.authenticator, identity, password, certificate, peer
            )
        except AuthenticationRefused as refused:
            if refused.retry_after is not None:
                # Whole seconds, at least one (RFC 9110 section 10.2.3).
                seconds = max(1, int(refused.retry_after + 0.999))
                self._refusal_headers = [("Retry-After", str(seconds))]
            self._refusal_detail = refused.detail
            raise ConnectionDeny(refused.code, refused.reason) from None
        if self._finished is not None or self.state != WebSocketProtocol.STATE_CONNECTING:
            raise ConnectionDeny(
                ConnectionDeny.REQUEST_TIMEOUT, "connection closed during authentication"
            )
        if not accepted:
            if profile.requires_client_certificate:
                raise ConnectionDeny(ConnectionDeny.FORBIDDEN, "charge point not authorized")
            if profile.requires_basic_auth or password is not None:
                # A password was refused: ask for the right one.
                raise ConnectionDeny(401, "charge point not authorized")
            raise ConnectionDeny(ConnectionDeny.NOT_FOUND, "unknown charge point")

        if not offered:
            self._refusal = (
                f"the client offered the subprotocols {request.protocols!r}, "
                f"not {OCPP_SUBPROTOCOL}"
            )
            self._log.warn(
                "Closing the connection of {identity} ({peer}): {refusal}",
                identity=identity,
                peer=self.peer,
                refusal=self._refusal,
            )
            return None
        self._certificate = certificate
        return OCPP_SUBPROTOCOL

    def _refused(self, failure: Failure) -> Failure:
        """
        Log a refused handshake; turn an unexpected error into a 500.
        """
        if failure.check(ConnectionDeny):
            reason = failure.value.reason
            if self._refusal_detail:
                reason = f"{reason} ({self._refusal_detail})"
            self._log.warn(
                "Refused the connection of {identity} ({peer}): HTTP {code} {reason}",
                identity=self.identity or self._request_path,
                peer=self.peer,
                code=failure.value.code,
                reason=reason,
            )
            self._refusal_logged = True
            return failure
        self._log.failure(
            "Error deciding on the connection of {identity} ({peer})",
            failure,
            identity=self.identity or self._request_path,
            peer=self.peer,
        )
        self._refusal_logged = True
        return Failure(
            ConnectionDeny(ConnectionDeny.INTERNAL_SERVER_ERROR, "Internal Server Error")
        )

    def failHandshake(
        self, reason: str, code: int = 400, responseHeaders: Any = None
    ) -> None:
        """
        Refuse the handshake with an HTTP error; a 401 asks for Basic
        credentials (C{WWW-Authenticate}).  Nothing is sent once the
        connection is lost (e.g. while the authenticator was deciding).
        """
        if self._finished is not None:
            return
        if not responseHeaders:
            responseHeaders = list(self._refusal_headers or [])
            if code == 401:
                responseHeaders.append(
                    ("WWW-Authenticate", 'Basic realm="OCPP", charset="UTF-8"')
                )
        reason = _printable(reason or "")
        # One line per refusal: ours, logged where it was decided (or here
        # for what autobahn refuses itself: a request that is no WebSocket
        # upgrade, a bad version...), and not autobahn's two beside it
        # ("failing WebSocket opening handshake", "dropping connection").
        # A load balancer's health check (deploy/haproxy.cfg: GET /
        # expecting 426, every 2 s; 503 while the node is full) logs none.
        if not self._refusal_logged and not (self._health_check and code in (426, 503)):
            self._log.warn(
                "Refused {peer}: HTTP {code} {reason}", peer=self.peer, code=code, reason=reason
            )
        self._refusal_logged = True
        self.wasNotCleanReason = reason
        self.sendHttpErrorResponse(code, reason, responseHeaders)
        self.wasClean = True  # (so that dropConnection's line is debug)
        self.dropConnection(abort=False)

    def onOpen(self) -> None:
        """
        Start the session, or close at once when C{ocpp1.6} was not offered.
        """
        if self._refusal is not None:
            self.sendCloseFrame(
                code=CLOSE_PROTOCOL_ERROR,
                reasonUtf8=f"{OCPP_SUBPROTOCOL} subprotocol required".encode(),
                isReply=False,
            )
            return
        profile = self.factory.security_profile
        if self._certificate is not None and profile == SecurityProfile.TLS_BASIC:
            # A verified client certificate on a listener asking for an
            # optional one (one port for profiles 2 and 3): profile 3.
            profile = SecurityProfile.TLS_CLIENT_CERT
        self._start_session(self.identity, self._certificate, profile)
        self._compact()

    def _compact(self) -> None:
        """
        Once the session is open, give the instance a dictionary without
        what the opening handshake left (L{_HANDSHAKE_LEFTOVERS}) and
        without the attributes still at the value their class holds
        (L{_OPEN_DEFAULTS}): autobahn sets about 100 attributes on each
        connection, and its dictionary only ever grows.  Reading any of them
        gives what it gave before (a leftover gives C{None}), but for an
        empty C{send_queue}, which becomes L{NO_SEND_QUEUE} (shared, made a
        deque again by L{OcppProtocolMixin.sendData} when needed).
        """
        if not self.send_queue:
            self.send_queue = NO_SEND_QUEUE
        cls = type(self)
        leftovers = _HANDSHAKE_LEFTOVERS
        self.__dict__ = {
            name: value
            for name, value in self.__dict__.items()
            if name not in leftovers and getattr(cls, name, _MISSING) is not value
        }


_MISSING = object()

#: What autobahn's opening handshake keeps on the protocol and nothing reads
#: once the WebSocket is open (the request's bytes and headers, our
#: answer...: some 2 KB a connection): released then (L{_compact}), read as
#: C{None}.  (L{OcppServerProtocol.onConnect} gets them all in its
#: C{ConnectionRequest}.)
_HANDSHAKE_LEFTOVERS = frozenset({
    "http_request_data", "http_status_line", "http_headers", "http_request_uri",
    "http_request_path", "http_request_params", "http_request_host", "websocket_origin",
    "websocket_protocols", "websocket_extensions", "_wskey", "http_response_data",
    "_request_path",
})

#: Values autobahn sets on every connection that stay so while it is open
#: (until it closes): class attributes of L{OcppServerProtocol}, so that
#: L{_compact} leaves them out of each instance.  (Not those the open
#: connection changes, as the ping's, else they would come back.)
_OPEN_DEFAULTS = {
    "_perMessageCompress": None,
    "trackedTimings": None,
    "send_state": WebSocketProtocol.SEND_STATE_GROUND,
    "triggered": False,
    "wasMaxFramePayloadSizeExceeded": False,
    "wasMaxMessagePayloadSizeExceeded": False,
    "closedByMe": False,
    "failedByMe": False,
    "droppedByMe": False,
    "wasClean": False,
    "wasNotCleanReason": None,
    "wasServerConnectionDropTimeout": False,
    "wasOpenHandshakeTimeout": False,
    "wasCloseHandshakeTimeout": False,
    "wasServingFlashSocketPolicyFile": False,
    "localCloseCode": None,
    "localCloseReason": None,
    "remoteCloseCode": None,
    "remoteCloseReason": None,
    "openHandshakeTimeoutCall": None,
    "closeHandshakeTimeoutCall": None,
    "_lost_reason": None,
    "send_queue": NO_SEND_QUEUE,
}

for _name in _HANDSHAKE_LEFTOVERS:
    setattr(OcppServerProtocol, _name, None)
for _name, _value in _OPEN_DEFAULTS.items():
    setattr(OcppServerProtocol, _name, _value)
del _name, _value


class OcppServerFactory(OcppFactoryMixin, WebSocketServerFactory):
    """
    Makes L{OcppServerProtocol}s for the charge points connecting to one
    listening port, with one Security Profile.

    @ivar authenticator: decides on each charge point (see L{__init__}).
    """

    protocol = OcppServerProtocol

    # (protocol class, option names, their values, the class holding
    # them), see _options_class.
    _options_protocol: tuple[type, tuple, tuple, type] | None = None

    def logPrefix(self) -> str:
        """
        What Twisted's port lines name this factory by ("OCPP server
        starting on 8080"), rather than its class.
        """
        return "OCPP server"

    def buildProtocol(self, addr: IAddress) -> OcppServerProtocol:
        """
        Make the protocol of a new connection, of L{_options_class}.
        """
        protocol = self._options_class()()
        protocol.factory = self
        return protocol

    def _options_class(self) -> type:
        """
        A subclass of L{protocol} holding this factory's autobahn options
        (its C{CONFIG_ATTRS}) as class attributes.

        Autobahn copies each option from the factory into every protocol
        instance when it connects, unless the protocol has it already: some
        30 attributes, which push an instance's dictionary from 1.5 to 3.3
        KB.  Found on the class, they are read as fast and shared.  The
        class is made again when an option changed (C{setProtocolOptions}
        from the next connection on, as autobahn's copies do); an option the
        protocol class sets itself stays its own, as with autobahn.
        """
        base = self.protocol
        names = tuple(
            name for name in getattr(base, "CONFIG_ATTRS", ())
            if not hasattr(base, name) and hasattr(self, name)
        )
        values = tuple(getattr(self, name) for name in names)
        cached = self._options_protocol
        if (
            cached is not None
            and cached[0] is base
            and cached[1] == names
            and all(old is new for old, new in zip(cached[2], values))
        ):
            return cached[3]
        # A function (perMessageCompressionAccept) stays a plain value, not
        # a method of the protocol.
        options = {
            name: staticmethod(value) if hasattr(type(value), "__get__") else value
            for name, value in zip(names, values)
        }
        options.update(
            __module__=base.__module__, __qualname__=base.__qualname__, __doc__=base.__doc__
        )
        made = type(base.__name__, (base,), options)
        self._options_protocol = (base, names, values, made)
        return made

    def __init__(
        self,
        handler_factory: Callable[[IOcppConnection], IConnectionHandler],
        authenticator: Authenticator = accept_all,
        security_profile: int = SecurityProfile.NONE,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        ping_interval: float = 0.0,
        ping_timeout: float | None = None,
        url: str | None = None,
        reactor: Any = None,
        clock: IReactorTime | None = None,
        open_handshake_timeout: float = 10.0,
        close_handshake_timeout: float = 5.0,
        max_connections: int = 0,
        allow_unicode_identities: bool = False,
        output_stall_timeout: float = DEFAULT_OUTPUT_STALL_TIMEOUT,
        max_connections_per_address: int = 0,
        subprotocol_mismatch: str = "refuse",
        check_certificate_identity: bool = True,
        write_now: Callable[[], bool] | None = None,
    ):
        """
        @param handler_factory: called with each new L{IOcppConnection},
            returns its L{IConnectionHandler}.
        @param authenticator: called as C{authenticator(identity, password,
            certificate, peer)} once the profile's checks passed: the
            identity (C{str}), the Basic password (C{bytes}: see
            L{openocpp.transport.security.authorization_key_matches}) or
            C{None}, the client C{Certificate} or C{None}, and the peer's
            C{IAddress}; returns whether to accept the charge point, or a
            Deferred of it, or raises (fails with)
            L{openocpp.transport.security.AuthenticationRefused} to refuse
            with a status of its own.  For profile 3 it may also check the certificate's
            O (organizationName) against the operator (A00.FR.404).
        @param security_profile: the L{SecurityProfile} (0 to 3) every
            connection must use.
        @param max_message_size: the longest message (and frame) accepted,
            in bytes (0: no limit); a longer one closes the connection with
            1009, before it is buffered.
        @param ping_interval: seconds between WebSocket pings to each charge
            point (0: no pings).
        @param ping_timeout: seconds to wait for the pong (default:
            C{ping_interval}); a charge point that stays silent that long is
            dropped.
        @param url: the WebSocket URL autobahn describes the server with
            (default C{ws://127.0.0.1/}, C{wss://} for profiles 2 and 3).
        @param reactor: the reactor (default: the global one).
        @param clock: the clock of the handshake timeouts and pings (default:
            C{reactor}).
        @param open_handshake_timeout: seconds a connection may take from
            TCP connect to the end of the opening handshake.
        @param close_handshake_timeout: seconds to wait for the peer's answer
            to our close frame before dropping the connection.
        @param max_connections: the most simultaneous connections (0: no
            limit), handshaking ones included; more are refused with HTTP
            503 (logged, one line each).
        @param max_connections_per_address: the most simultaneous
            connections from one IP address (0: no limit); more are refused
            with HTTP 503 (logged).  Behind a reverse proxy every charge
            point has the proxy's address: set 0 or the fleet's size.
        @param output_stall_timeout: seconds a charge point may leave what
            it is sent unread, past the transport's buffer (reading from it
            stops meanwhile: back-pressure), before it is dropped (0: never
            dropped).
        @param allow_unicode_identities: whether identities may hold
            characters beyond ASCII (normalised to NFC; see
            L{openocpp.transport.identity}); by default they are refused
            with 404.
        @param subprotocol_mismatch: what a client not offering C{ocpp1.6}
            gets: C{"refuse"}, HTTP 400 with the reason (TC_088_CSMS), or
            C{"close"}, the handshake completed without the subprotocol and
            the connection closed with 1002 (OCPP-J 1.6 section 3.2).
        @param check_certificate_identity: whether a client certificate's
            subject CN must be the identity (A00.FR.405); off for a caller
            checking it itself (the central system, whose option and hook
            decide).
        @param write_now: whether frames sent now may be written to the
            socket at once (see L{OcppFactoryMixin}); C{None}: never, they
            leave at the reactor's next poll.
        """
        self.write_now = write_now
        profile = SecurityProfile(security_profile)
        if subprotocol_mismatch not in SUBPROTOCOL_MISMATCH_ANSWERS:
            raise ValueError(
                "subprotocol_mismatch must be one of "
                f"{', '.join(SUBPROTOCOL_MISMATCH_ANSWERS)}, not {subprotocol_mismatch!r}"
            )
        self.subprotocol_mismatch = subprotocol_mismatch
        self.check_certificate_identity = check_certificate_identity
        if url is None:
            url = f"{profile.scheme}://127.0.0.1/"
        WebSocketServerFactory.__init__(
            self,
            url=url,
            protocols=[OCPP_SUBPROTOCOL],
            server=None,
            reactor=reactor,
        )
        self.authenticator = authenticator
        self.allow_unicode_identities = allow_unicode_identities
        if max_connections < 0 or max_connections_per_address < 0:
            raise ValueError("connection limits must not be negative")
        self.max_connections = max_connections
        self.max_connections_per_address = max_connections_per_address
        self._per_address: dict[str, int] = {}
        self._configure(
            handler_factory,
            profile,
            max_message_size,
            ping_interval,
            ping_timeout,
            self.reactor if clock is None else clock,
            open_handshake_timeout,
            close_handshake_timeout,
            output_stall_timeout,
            versions=[13],
            webStatus=False,
        )


@implementer(IStreamServerEndpoint)
class TLSServerEndpoint:
    """
    A stream server endpoint speaking TLS over another one (TCP, a systemd
    socket, ...): what the C{ssl:} endpoint string does, with TLS options of
    our own, e.g. requiring client certificates for Security Profile 3.
    """

    def __init__(
        self,
        wrapped: IStreamServerEndpoint,
        tls_options: IOpenSSLServerConnectionCreator | CertificateOptions,
    ):
        """
        @param wrapped: the endpoint to listen on.
        @param tls_options: the server's TLS options (see
            L{openocpp.transport.security.server_tls_options}).
        """
        self._wrapped = wrapped
        self._tls_options = tls_options

    def listen(self, protocolFactory: Factory) -> Deferred[IListeningPort]:
        """
        Listen, with TLS around each connection.

        @param protocolFactory: the factory of the connections' protocols.
        @return: a Deferred firing with the C{IListeningPort}.
        """
        return self._wrapped.listen(
            TLSMemoryBIOFactory(self._tls_options, False, protocolFactory)
        )


def server_endpoint(
    reactor: Any,
    description: str,
    security_profile: int,
    tls_options: IOpenSSLServerConnectionCreator | CertificateOptions | None = None,
) -> IStreamServerEndpoint:
    """
    The endpoint a central system listens on for one Security Profile.

    Profiles 0 and 1 listen on a plain endpoint (C{"tcp:8080"}).  Profile 2
    listens either on an C{ssl:} endpoint string
    (C{"ssl:8443:privateKey=key.pem:certKey=chain.pem"}: its files are
    loaded into L{server_tls_options}, so TLS 1.2 or above holds there too)
    or on a plain one with C{tls_options}.  Profile 3 needs a plain
    endpoint string and C{tls_options} asking for client certificates
    (C{ssl:} strings cannot name the CA that signs them).  A profile 2
    listener whose options ask for an optional client certificate also
    serves profile 3 charge points.

    @param reactor: the reactor.
    @param description: a Twisted server endpoint string.
    @param security_profile: the L{SecurityProfile}.
    @param tls_options: the TLS options (see
        L{openocpp.transport.security.server_tls_options}).
    @return: the endpoint.
    @raise ValueError: when endpoint and options do not fit the profile.
    """
    profile = SecurityProfile(security_profile)
    is_ssl_string = description.strip().lower().startswith("ssl:")
    if not profile.uses_tls:
        if is_ssl_string or tls_options is not None:
            raise ValueError(
                f"security profile {int(profile)} does not use TLS: use profile 2 "
                "or 3 for a TLS endpoint"
            )
        return serverFromString(reactor, description)
    if is_ssl_string:
        if profile.requires_client_certificate:
            raise ValueError(
                "security profile 3 needs client certificates, which ssl: endpoint "
                "strings cannot require: give a tcp: endpoint and tls_options"
            )
        if tls_options is not None:
            raise ValueError("give either an ssl: endpoint string or tls_options")
        parsed = parse_ssl_description(description)
        tls_options = server_tls_options(
            parsed.private_key, parsed.certificate, extra_chain=parsed.extra_chain
        )
        description = parsed.plain
    if tls_options is None:
        raise ValueError(
            f"security profile {int(profile)} requires TLS: give tls_options or an "
            "ssl: endpoint string"
        )
    if profile.requires_client_certificate and not requires_client_certificate(tls_options):
        raise ValueError(
            "security profile 3 needs TLS options requiring client certificates "
            "(server_tls_options(..., client_ca=...))"
        )
    return TLSServerEndpoint(serverFromString(reactor, description), tls_options)


def listen(
    reactor: Any,
    endpoint_string: str,
    factory: OcppServerFactory,
    tls_options: IOpenSSLServerConnectionCreator | CertificateOptions | None = None,
) -> Deferred[IListeningPort]:
    """
    Listen for charge points with C{factory}, on the endpoint
    L{server_endpoint} makes for the factory's Security Profile.

    @param reactor: the reactor.
    @param endpoint_string: a Twisted server endpoint string
        (C{"tcp:8080:interface=127.0.0.1"}).
    @param factory: the L{OcppServerFactory}.
    @param tls_options: TLS options for profiles 2 and 3.
    @return: a Deferred firing with the C{IListeningPort}.
    @raise ValueError: when endpoint and options do not fit the profile.
    """
    endpoint = server_endpoint(
        reactor, endpoint_string, factory.security_profile, tls_options
    )
    return endpoint.listen(factory)
