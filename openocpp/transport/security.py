"""
OCPP Security Profiles (OCPP 1.6 Security Whitepaper edition 2, section 2):
what each profile asks of the connection, TLS options for both ends, HTTP
Basic authentication.

  - Profile 0, no security: C{ws://}, no charge point authentication (OCPP
    1.6 without the whitepaper; the default of C{SecurityProfile}).
  - Profile 1, unsecured transport with Basic authentication: C{ws://}, the
    charge point sends C{Authorization: Basic base64(identity:key)}.
  - Profile 2, TLS with Basic authentication: C{wss://}, TLS 1.2 or above,
    the central system proves itself with its server certificate, the charge
    point with Basic authentication.
  - Profile 3, TLS with client side certificates: C{wss://}, TLS 1.2 or
    above, both prove themselves with certificates; the charge point
    certificate's subject CN is its identity (A00.FR.405, A00.FR.511).

A central system and a charge point use one profile at a time (A00.FR.001);
a central system refuses a charge point connecting with another profile
than its own (A00.FR.002).  A central system may serve several profiles on
several ports (A00.FR.006), one L{OcppServerFactory
<openocpp.transport.server.OcppServerFactory>} per port, or profiles 2 and
3 on one TLS port asking for an optional client certificate
(L{server_tls_options} with C{require_client_certificate=False}): the
profile each charge point must meet is then the central system's to
decide (L{openocpp.centralsystem.credentials}).
"""

from __future__ import annotations

import binascii
import hmac
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any, Union

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509.oid import NameOID
from zope.interface import implementer
from OpenSSL import SSL
from OpenSSL.crypto import X509, PKey
from twisted.internet._sslverify import IOpenSSLTrustRoot
from twisted.internet.interfaces import IOpenSSLClientConnectionCreator
from twisted.internet.ssl import (
    AcceptableCiphers,
    Certificate,
    CertificateOptions,
    KeyPair,
    PrivateCertificate,
    TLSVersion,
    optionsForClientTLS,
    platformTrust,
    trustRootFromCertificates,
)

PathLike = Union[str, Path]
"""
A file name: C{str} or C{Path}.
"""

MINIMUM_TLS_VERSION = TLSVersion.TLSv1_2
"""
The oldest TLS version either end accepts (A00.FR.312, A00.FR.416: TLS 1.2
or above; the TLS 1.0/1.1 fallback the whitepaper allows for old charge
points is not offered).
"""


DEFAULT_CIPHERS = ":".join([
    # A00.FR.317/421 (central system) and A00.FR.318/422 (charge point):
    # the ECDSA pair, then the RSA pair; ECDHE with an RSA certificate and
    # ChaCha20-Poly1305 so that stock clients (Python's ssl, OpenSSL's
    # s_client, browsers) find one they prefer.
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "AES128-GCM-SHA256",
    "AES256-GCM-SHA384",
])
"""
The TLS 1.2 cipher suites both ends offer by default (an OpenSSL cipher
string; C{--tls-ciphers} overrides it).  TLS 1.3 keeps OpenSSL's suites,
all of them AEAD.
"""

ALLOWED_CIPHERS = (
    "kECDHE+aECDSA+AESGCM:kECDHE+aRSA+AESGCM:kECDHE+aECDSA+CHACHA20:kECDHE+aRSA+CHACHA20:"
    "kDHE+aRSA+AESGCM:kDHE+aRSA+CHACHA20:kRSA+AESGCM"
)
"""
The TLS 1.2 cipher suites a cipher string may name (OpenSSL syntax): a
certificate-authenticated key exchange (ECDHE, DHE or RSA) with an AEAD
cipher (AES-GCM, ChaCha20-Poly1305).  Everything else is refused
(A00.FR.319, A00.FR.423): NULL, anonymous, export, RC4, DES and 3DES, MD5,
PSK and SRP suites, and the CBC suites with their SHA-1 or SHA-2 HMAC
(TLS_RSA_WITH_AES_128_CBC_SHA is only for charge points on TLS 1.0/1.1,
A00.FR.318/324, which are refused too).
"""


def _tls12_ciphers(cipher_string: str) -> list[str]:
    # The TLS 1.2 (and older) suites an OpenSSL cipher string selects, in
    # its order; TLS 1.3's ("TLS_...") are configured apart and always listed.
    try:
        context = SSL.Context(SSL.TLS_METHOD)
        context.set_cipher_list(cipher_string.encode("ascii"))
    except (SSL.Error, UnicodeEncodeError):
        return []
    return [
        name for name in SSL.Connection(context, None).get_cipher_list()
        if not name.startswith("TLS_")
    ]


def acceptable_ciphers(cipher_string: str | None = None) -> AcceptableCiphers:
    """
    The TLS 1.2 cipher suites of a cipher string, checked against the
    whitepaper's bans (A00.FR.319, A00.FR.423; see L{ALLOWED_CIPHERS}).

    @param cipher_string: an OpenSSL cipher string
        (C{"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"});
        L{DEFAULT_CIPHERS} when C{None}.
    @return: the C{acceptableCiphers} of Twisted's C{CertificateOptions}.
    @raise ValueError: the string selects no TLS 1.2 suite, or one the
        whitepaper bans (the message names them).
    """
    text = DEFAULT_CIPHERS if cipher_string is None else cipher_string
    wanted = _tls12_ciphers(text)
    if not wanted:
        raise ValueError(
            f"{text!r} selects no TLS 1.2 cipher suite (an OpenSSL cipher string such as "
            f"{DEFAULT_CIPHERS.split(':')[0]!r})"
        )
    allowed = set(_tls12_ciphers(ALLOWED_CIPHERS))
    banned = [name for name in wanted if name not in allowed]
    if banned:
        shown = ", ".join(banned[:4]) + (f" and {len(banned) - 4} more" if len(banned) > 4 else "")
        raise ValueError(
            f"{text!r} selects cipher suites the security whitepaper bans (A00.FR.319/423): "
            f"{shown}; only ECDHE, DHE or RSA key exchange with AES-GCM or "
            "ChaCha20-Poly1305 are allowed"
        )
    return AcceptableCiphers.fromOpenSSLCipherString(":".join(wanted))


def negotiation_problem(connection: Any) -> tuple[str, str] | None:
    """
    Check the TLS version and cipher suite a handshake ended with (A00.FR.313,
    A00.FR.417: both ends check the version used): TLS 1.2 or above, and a
    TLS 1.2 suite of L{ALLOWED_CIPHERS}.  Options of this module cannot
    agree to anything else; options made elsewhere may.

    @param connection: the C{SSL.Connection} after its handshake.
    @return: C{(security event type, why)}: C{"InvalidTLSVersion"} or
        C{"InvalidTLSCipherSuite"}; C{None} when both are allowed.
    """
    version = connection.get_protocol_version_name()
    if version not in ("TLSv1.2", "TLSv1.3"):
        return "InvalidTLSVersion", f"{version} was negotiated; TLS 1.2 or above is required"
    cipher = connection.get_cipher_name()
    if version == "TLSv1.2" and cipher not in _allowed_tls12():
        return "InvalidTLSCipherSuite", f"the banned cipher suite {cipher} was negotiated"
    return None


def tls_connection(transport: Any) -> Any:
    """
    The C{SSL.Connection} under a TLS transport (Twisted's
    C{TLSMemoryBIOProtocol}), or C{None}.
    """
    handle = getattr(transport, "getHandle", lambda: None)()
    return handle if hasattr(handle, "get_protocol_version_name") else None


_allowed: frozenset[str] | None = None


def _allowed_tls12() -> frozenset[str]:
    global _allowed  # a cache of what OpenSSL makes of a constant
    if _allowed is None:
        _allowed = frozenset(_tls12_ciphers(ALLOWED_CIPHERS))
    return _allowed


_REQUESTED = "_openocpp_certificate_requested"


def _note_certificate_request(connection: SSL.Connection, where: int, ret: int) -> None:
    # OpenSSL says through the context's info callback only whether the
    # server sent a CertificateRequest; noted on the connection.  Never
    # raises: an exception here would be lost inside OpenSSL.
    try:
        if where & SSL.SSL_CB_HANDSHAKE_START:
            setattr(connection, _REQUESTED, False)
        elif where & SSL.SSL_CB_LOOP and b"certificate request" in connection.get_state_string():
            setattr(connection, _REQUESTED, True)
    except Exception:
        pass


@implementer(IOpenSSLTrustRoot)
class _RequestWatchingTrustRoot:
    """
    A trust root that also installs L{_note_certificate_request} on the
    context it is added to: the one place a client's context can be given
    an info callback before its first connection, whatever Twisted version
    builds it (a Twisted that sets its own callback later replaces it:
    L{certificate_requested} then says C{None}).
    """

    def __init__(self, trust_root: Any) -> None:
        self._trust_root = IOpenSSLTrustRoot(trust_root)

    def _addCACertsToContext(self, context: SSL.Context) -> None:
        self._trust_root._addCACertsToContext(context)
        context.set_info_callback(_note_certificate_request)


def certificate_requested(connection: Any) -> bool | None:
    """
    Whether the server asked for a client certificate in the handshake of a
    connection made with L{client_tls_options} (A00.FR.003: a profile 3
    central system always does).

    @param connection: the client's C{SSL.Connection}.
    @return: C{True} or C{False}; C{None} when not known (other options).
    """
    return getattr(connection, _REQUESTED, None)


def check_ciphers(setting: str, cipher_string: str | None) -> None:
    """
    Check a cipher string setting at start (see L{acceptable_ciphers}).

    @param setting: the setting's name, for the message
        (C{"tls_ciphers"}).
    @param cipher_string: its value; C{None} (the default suites) passes.
    @raise ValueError: the string is not allowed; the message starts with
        C{setting}.
    """
    if cipher_string is None:
        return
    try:
        acceptable_ciphers(cipher_string)
    except ValueError as error:
        raise ValueError(f"{setting}: {error}") from None


class SecurityProfile(IntEnum):
    """
    The OCPP Security Profiles.
    """

    NONE = 0
    """
    No security: C{ws://}, no authentication.
    """

    BASIC = 1
    """
    Unsecured transport with Basic authentication: C{ws://}, HTTP Basic.
    """

    TLS_BASIC = 2
    """
    TLS with Basic authentication: C{wss://} (TLS 1.2+), HTTP Basic.
    """

    TLS_CLIENT_CERT = 3
    """
    TLS with client side certificates: C{wss://} (TLS 1.2+), mutual TLS.
    """

    @property
    def uses_tls(self) -> bool:
        """
        Whether the profile runs over TLS (C{wss://}): profiles 2 and 3.
        """
        return self >= SecurityProfile.TLS_BASIC

    @property
    def requires_basic_auth(self) -> bool:
        """
        Whether the charge point must authenticate with HTTP Basic: profiles
        1 and 2.
        """
        return self in (SecurityProfile.BASIC, SecurityProfile.TLS_BASIC)

    @property
    def requires_client_certificate(self) -> bool:
        """
        Whether the charge point must authenticate with a TLS client
        certificate: profile 3.
        """
        return self == SecurityProfile.TLS_CLIENT_CERT

    @property
    def scheme(self) -> str:
        """
        The URL scheme of the profile: C{"wss"} for profiles 2 and 3, else
        C{"ws"}.
        """
        return "wss" if self.uses_tls else "ws"


class AuthenticationRefused(Exception):
    """
    An authenticator's refusal of a charge point with a status of its own
    (raised instead of answering C{False}): 401 when credentials are
    missing or wrong, 429 when too many attempts failed, 503 when the
    central system cannot check credentials now.

    @ivar code: the HTTP status of the handshake's answer.
    @ivar reason: why, for the log and the answer's status line (never a
        password).
    @ivar retry_after: seconds after which trying again may succeed (sent
        as C{Retry-After}), or C{None}.
    @ivar detail: more for the log only (e.g. whether the identity is
        unknown, which the answer must not tell), or C{None}.
    """

    def __init__(
        self,
        code: int,
        reason: str,
        retry_after: float | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason
        self.retry_after = retry_after
        self.detail = detail

    def __str__(self) -> str:
        return f"HTTP {self.code} {self.reason}"


class InvalidAuthorization(ValueError):
    """
    An HTTP C{Authorization} header does not carry Basic credentials for
    the expected identity.  The message says why (never the password).
    """


def basic_authorization(identity: str, password: bytes | str) -> str:
    """
    Build the value of the HTTP C{Authorization} header a charge point
    sends for Security Profiles 1 and 2 (A00.FR.203 to A00.FR.205):
    C{"Basic " + base64(identity ":" password)}.

    @param identity: the charge point identity, the Basic user name
        (A00.FR.204).
    @param password: the AuthorizationKey.  C{bytes} are sent as they are
        (OCPP-J 1.6 section 6.2.2 sends the 20 raw bytes of the key);
        a C{str} is sent UTF-8 encoded (e.g. the key's hexadecimal text, as
        many central systems expect).
    @return: the header value.
    """
    if isinstance(password, str):
        password = password.encode("utf-8")
    credentials = identity.encode("utf-8") + b":" + password
    return "Basic " + binascii.b2a_base64(credentials, newline=False).decode("ascii")


def password_from_authorization(header: str | None, identity: str) -> bytes:
    """
    Read the password from the HTTP C{Authorization} header of a charge
    point's request, checking that it is Basic authentication with the
    charge point identity as user name (A00.FR.204, A00.FR.303).

    The identity may itself contain C{":"}: the credentials must start with
    the identity and C{":"}; the rest is the password.

    @param header: the header value, or C{None} when it is missing.
    @param identity: the identity from the request path.
    @return: the password, as sent (C{bytes}; see L{basic_authorization}).
    @raise InvalidAuthorization: if the header is missing, not Basic, not
        base64, or names another user.
    """
    if header is None:
        raise InvalidAuthorization("no Authorization header")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise InvalidAuthorization("Authorization is not Basic")
    try:
        credentials = binascii.a2b_base64(token.strip().encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InvalidAuthorization("Basic credentials are not base64") from None
    prefix = identity.encode("utf-8") + b":"
    if not credentials.startswith(prefix):
        raise InvalidAuthorization(
            "Basic user name is not the charge point identity"
        )
    return credentials[len(prefix):]


def authorization_key_matches(password: bytes, authorization_key: str) -> bool:
    """
    Check a Basic password against a charge point's AuthorizationKey, in
    constant time.

    The key is stored as hexadecimal text (A00.FR.205: up to 40 hex digits
    for up to 20 bytes).  Charge points send either its raw bytes (as OCPP-J
    1.6 section 6.2.2 shows) or the hexadecimal text itself; both are
    accepted, the hexadecimal text in either letter case.  A key that is
    not hexadecimal is compared as text, exactly.

    @param password: the password from L{password_from_authorization}.
    @param authorization_key: the key as hexadecimal text.
    @return: whether the password is the key.
    """
    try:
        raw_key = bytes.fromhex(authorization_key)
    except ValueError:
        raw_key = None
    text_key = authorization_key.encode("utf-8")
    if raw_key is None:
        return hmac.compare_digest(password, text_key)
    matches_raw = hmac.compare_digest(password, raw_key)
    matches_text = hmac.compare_digest(password.lower(), text_key.lower())
    return matches_raw or matches_text


def common_names(certificate: Certificate) -> list[str]:
    """
    The CN (commonName) values of a certificate's subject.

    @param certificate: a C{twisted.internet.ssl.Certificate}.
    @return: the values, in order (usually one).
    """
    subject = certificate.original.to_cryptography().subject
    return [
        str(attribute.value)
        for attribute in subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    ]


def load_certificates(path: PathLike) -> list[Certificate]:
    """
    Load every certificate of a PEM file (a certificate chain, leaf first,
    or a CA bundle).

    @param path: the file.
    @return: the certificates, in file order.
    @raise ValueError: if the file holds no PEM certificate.
    """
    data = Path(path).read_bytes()
    try:
        loaded = x509.load_pem_x509_certificates(data)
    except ValueError as error:
        raise ValueError(f"{path}: no PEM certificate ({error})") from None
    return [Certificate(X509.from_cryptography(each)) for each in loaded]


def load_private_key(path: PathLike) -> PKey:
    """
    Load an unencrypted PEM private key.

    @param path: the file (may also hold certificates).
    @return: the key.
    @raise ValueError: if the file holds no usable private key.
    """
    data = Path(path).read_bytes()
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{path}: no unencrypted PEM private key ({error})") from None
    return PKey.from_cryptography_key(key)


def same_public_key(one: Any, other: Any) -> bool:
    """
    Whether two public keys (of C{cryptography}) are the same key.
    """
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    def der(key: Any) -> bytes:
        return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)

    return der(one) == der(other)


def check_key_pair(key: PKey, certificate: Certificate, key_path: PathLike, certificate_path: PathLike) -> None:
    """
    Check that a private key is the one of a certificate: OpenSSL only
    finds out when it makes its first TLS context, so a central system
    would fail every handshake with a traceback and a charge point would
    crash at start, instead of saying so once.

    @param key: the private key, loaded from C{key_path}.
    @param certificate: the certificate (a chain's first), loaded from
        C{certificate_path}.
    @raise ValueError: the key is another's.
    """
    public = certificate.original.to_cryptography().public_key()
    if not same_public_key(key.to_cryptography_key().public_key(), public):
        raise ValueError(f"{key_path}: not the private key of the certificate in {certificate_path}")


def _no_application_protocol(connection: SSL.Connection, offered: list[bytes]) -> Any:
    """
    The ALPN answer of a central system: none (OCPP-J names no ALPN
    protocol), so a client offering some (C{http/1.1}, as curl and most
    TLS libraries do) goes on without one.
    """
    return SSL.NO_OVERLAPPING_PROTOCOLS


class ServerCertificateOptions(CertificateOptions):
    """
    Twisted's C{CertificateOptions} for a central system's listener, but
    ignoring a client's ALPN offer: Twisted's own ALPN callback answers an
    empty protocol when none of the offered is acceptable, which OpenSSL 3
    fails with an C{internal error} alert, so a client offering ALPN could
    not connect at all.
    """

    def _makeContext(self) -> SSL.Context:
        context = super()._makeContext()
        context.set_alpn_select_callback(_no_application_protocol)
        return context


def server_tls_options(
    private_key: PathLike,
    certificate_chain: PathLike,
    client_ca: PathLike | None = None,
    require_client_certificate: bool = True,
    extra_chain: PathLike | None = None,
    ciphers: str | None = None,
) -> CertificateOptions:
    """
    TLS options for a central system (Security Profiles 2 and 3): TLS 1.2
    or above with the whitepaper's cipher suites and no compression
    (A00.FR.317 to 321, A00.FR.421 to 425), the server certificate chain, and for profile 3 the CA(s) a
    charge point's client certificate must be signed by (the handshake
    fails without one, unless C{require_client_certificate} is false: then
    a certificate is asked for, verified when given, and optional, so that
    one listener serves profile 2 and profile 3 charge points).

    @param private_key: PEM file of the server's private key.
    @param certificate_chain: PEM file of the server certificate, then any
        intermediate CA certificates.
    @param client_ca: PEM file of the CA certificate(s) that sign charge
        point certificates, for profile 3; C{None} for profile 2.
    @param require_client_certificate: with C{client_ca}, whether the TLS
        handshake fails without a client certificate.
    @param extra_chain: PEM file of more intermediate CA certificates sent
        after those of C{certificate_chain} (the C{extraCertChain} of an
        C{ssl:} endpoint string).
    @param ciphers: the TLS 1.2 cipher suites, an OpenSSL cipher string
        (see L{acceptable_ciphers}); L{DEFAULT_CIPHERS} when C{None}.
    @return: options for L{openocpp.transport.server.listen} or
        L{openocpp.transport.server.server_endpoint}.
    @raise ValueError: a file holds no usable certificate or key, the key
        is not the certificate's, or C{ciphers} is not allowed.
    """
    chain = load_certificates(certificate_chain)
    if extra_chain is not None:
        chain += load_certificates(extra_chain)
    key = load_private_key(private_key)
    check_key_pair(key, chain[0], private_key, certificate_chain)
    options = dict(
        privateKey=key,
        certificate=chain[0].original,
        extraCertChain=[each.original for each in chain[1:]],
        raiseMinimumTo=MINIMUM_TLS_VERSION,
        acceptableCiphers=acceptable_ciphers(ciphers),
    )
    if client_ca is not None:
        authorities = load_certificates(client_ca)
        if require_client_certificate:
            options["trustRoot"] = trustRootFromCertificates(authorities)
        else:
            # trustRoot always requires one: the older arguments ask for a
            # certificate and verify it when given.
            options.update(
                verify=True,
                caCerts=[each.original for each in authorities],
                requireCertificate=False,
            )
    return ServerCertificateOptions(**options)


@dataclass(frozen=True)
class SSLDescription:
    """
    An C{ssl:} server endpoint string, split into the plain endpoint it
    listens on and the TLS files it names (Twisted's C{ssl:} parser's
    arguments and defaults: C{privateKey} defaults to C{server.pem},
    C{certKey} to C{privateKey}).

    @ivar plain: the C{tcp:} endpoint string (port, interface, backlog).
    @ivar private_key: the C{privateKey} file.
    @ivar certificate: the C{certKey} file (the certificate, then any
        intermediate CA certificates).
    @ivar extra_chain: the C{extraCertChain} file, or C{None}.
    """

    plain: str
    private_key: str
    certificate: str
    extra_chain: str | None = None


_SSL_PLAIN_ARGUMENTS = ("interface", "backlog")
_SSL_FILE_ARGUMENTS = ("privateKey", "certKey", "extraCertChain")


def _split_description(description: str) -> list[str]:
    # Twisted's endpoint string syntax: ":" separates, "\" escapes.
    parts, current, escaped = [], [], False
    for char in description:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:").replace("=", "\\=")


def parse_ssl_description(description: str) -> SSLDescription | None:
    """
    Split an C{ssl:} server endpoint string (C{ssl:8443:privateKey=key.pem:
    certKey=chain.pem:interface=0.0.0.0}), so that openocpp listens with
    TLS options of its own (TLS 1.2 or above, optional or required client
    certificates) rather than Twisted's.

    @param description: a server endpoint string.
    @return: its L{SSLDescription}; C{None} when it is not an C{ssl:} one.
    @raise ValueError: an argument openocpp does not take (C{sslmethod},
        C{dhParameters}: the TLS version and ciphers are the whitepaper's),
        or no port.
    """
    parts = _split_description(description.strip())
    if parts[0].strip().lower() != "ssl":
        return None
    port = None
    plain: dict[str, str] = {}
    files: dict[str, str] = {}
    for part in parts[1:]:
        name, equals, value = part.partition("=")
        if not equals:
            if port is not None:
                raise ValueError(f"{description!r}: more than one port")
            port = part
        elif name in _SSL_PLAIN_ARGUMENTS:
            plain[name] = value
        elif name in _SSL_FILE_ARGUMENTS:
            files[name] = value
        elif name == "port":
            port = value
        else:
            raise ValueError(
                f"{description!r}: {name}= is not taken (TLS 1.2 or above with the "
                "default ciphers is used; arguments: port, interface, backlog, "
                "privateKey, certKey, extraCertChain)"
            )
    if port is None:
        raise ValueError(f"{description!r}: no port")
    private_key = files.get("privateKey", "server.pem")
    plain_description = ":".join(
        ["tcp", _escape(port)] + [f"{name}={_escape(value)}" for name, value in plain.items()]
    )
    return SSLDescription(
        plain=plain_description,
        private_key=private_key,
        certificate=files.get("certKey", private_key),
        extra_chain=files.get("extraCertChain"),
    )


def accepts_client_certificate(options: object) -> bool:
    """
    Whether server TLS options ask for and verify a client certificate,
    required or not.

    @param options: server TLS options.
    @return: C{True} for a C{CertificateOptions} that verifies the peer.
    """
    return bool(isinstance(options, CertificateOptions) and options.verify)


def requires_client_certificate(options: object) -> bool:
    """
    Whether server TLS options verify and require a client certificate, as
    those of L{server_tls_options} with a C{client_ca} do.

    @param options: server TLS options.
    @return: C{True} only for a C{CertificateOptions} that verifies the peer
        and requires its certificate.
    """
    return bool(
        isinstance(options, CertificateOptions)
        and options.verify
        and options.requireCertificate
    )


def client_tls_options(
    hostname: str,
    ca_certificates: PathLike | None = None,
    client_certificate: PathLike | None = None,
    client_key: PathLike | None = None,
    ciphers: str | None = None,
) -> IOpenSSLClientConnectionCreator:
    """
    TLS options for a charge point (Security Profiles 2 and 3): TLS 1.2 or
    above with the whitepaper's cipher suites and no compression
    (A00.FR.318 to 320, A00.FR.422 to 424), the central system's certificate verified against the CA(s) and
    for C{hostname} (service_identity: DNS name or IP address, A00.FR.308,
    A00.FR.412), and for profile 3 our client certificate.

    @param hostname: the host of the connection URL.
    @param ca_certificates: PEM file of the CA certificate(s) to trust; the
        platform's trust store when C{None}.
    @param client_certificate: PEM file of the charge point certificate,
        then any intermediate CA certificates (profile 3).
    @param client_key: PEM file of its private key; defaults to
        C{client_certificate} (a file holding both).
    @param ciphers: the TLS 1.2 cipher suites, an OpenSSL cipher string
        (see L{acceptable_ciphers}); L{DEFAULT_CIPHERS} when C{None}.
    @return: options for C{wrapClientTLS}.
    @raise ValueError: a file holds no usable certificate or key, the key
        is not the certificate's, or C{ciphers} is not allowed.
    """
    trust_root = _RequestWatchingTrustRoot(
        platformTrust()
        if ca_certificates is None
        else trustRootFromCertificates(load_certificates(ca_certificates))
    )
    extra: dict[str, object] = {
        "raiseMinimumTo": MINIMUM_TLS_VERSION,
        "acceptableCiphers": acceptable_ciphers(ciphers),
    }
    own = None
    if client_certificate is not None:
        chain = load_certificates(client_certificate)
        key_path = client_key if client_key is not None else client_certificate
        key = load_private_key(key_path)
        check_key_pair(key, chain[0], key_path, client_certificate)
        own = PrivateCertificate.fromCertificateAndKeyPair(chain[0], KeyPair(key))
        if len(chain) > 1:
            extra["extraCertChain"] = [each.original for each in chain[1:]]
    elif client_key is not None:
        raise ValueError("client_key given without client_certificate")
    return optionsForClientTLS(
        hostname,
        trustRoot=trust_root,
        clientCertificate=own,
        extraCertificateOptions=extra,
    )
