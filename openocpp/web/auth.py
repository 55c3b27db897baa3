"""
Who may use the API: holders of its token, or, when it has none, anyone on
this machine.
"""

import hmac

from zope.interface import implementer

from openocpp.web.interfaces import IApiAuthenticator

#: The Host header names a loopback-only API answers to. A browser page of
#: another site that got its own name resolved to 127.0.0.1 (DNS rebinding)
#: sends its own name, and is refused.
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def _host_name(host: bytes | None) -> str:
    text = (host or b"").decode("latin-1").strip().lower()
    if text.startswith("["):
        return text[: text.find("]") + 1] if "]" in text else text
    return text.rpartition(":")[0] if text.count(":") == 1 else text


def _peer(request) -> str:
    address = request.getClientAddress()
    host = getattr(address, "host", None)
    return str(address) if host is None else f"{host}:{address.port}"


@implementer(IApiAuthenticator)
class TokenAuthenticator:
    """
    Lets in requests that give the token: C{Authorization: Bearer TOKEN}
    (they are logged as C{"bearer token"}), or HTTP Basic with the token as
    password (logged by their user name). Tokens are compared in constant
    time.

    @param token: the API token.
    """

    def __init__(self, token: str) -> None:
        self._token = token.encode("utf-8")

    def authenticate(self, request):
        header = (request.getHeader(b"authorization") or "")
        if isinstance(header, bytes):
            header = header.decode("latin-1")
        scheme, _, credentials = header.strip().partition(" ")
        scheme = scheme.lower()
        credentials = credentials.strip()
        if scheme == "bearer":
            if hmac.compare_digest(credentials.encode("utf-8", "replace"), self._token):
                return f"bearer token from {_peer(request)}"
            return None
        if scheme == "basic":
            # twisted.web decodes Basic credentials itself.
            user = request.getUser().decode("utf-8", "replace")
            if hmac.compare_digest(request.getPassword(), self._token):
                return f"{user or 'basic'} from {_peer(request)}"
        return None

    def challenge(self):
        # Bearer, not Basic: a Basic challenge makes browsers pop up their
        # own login box over the console's.
        return 'Bearer realm="openocpp"'


@implementer(IApiAuthenticator)
class LoopbackAuthenticator:
    """
    The API without a token (it listens on loopback only): anyone on this
    machine may use it, as C{"anonymous"}; but only under a loopback host
    name, so that a web page of another site cannot reach it through DNS
    rebinding.
    """

    def authenticate(self, request):
        if _host_name(request.getHeader(b"host")) not in _LOOPBACK_HOSTS:
            return None
        return f"anonymous from {_peer(request)}"

    def challenge(self):
        return None


def make_authenticator(token: str | None) -> IApiAuthenticator:
    """
    The authenticator of an API with this token (or none).
    """
    return LoopbackAuthenticator() if token is None else TokenAuthenticator(token)
