"""
The settings of the HTTP API, and the rule that keeps an API without a token
on loopback.
"""

import ipaddress
from dataclasses import dataclass

from zope.interface import implementer

from openocpp.web.interfaces import IApiConfig

#: Endpoint types listening only where this machine alone can reach them.
_LOCAL_ONLY_TYPES = ("unix",)
#: Endpoint types whose listening address is their C{interface} argument.
_INTERFACE_TYPES = ("tcp", "tcp6", "ssl")


def split_endpoint(description: str) -> tuple[str, list[str], dict[str, str]]:
    """
    Split a server endpoint string (C{tcp:8081:interface=127.0.0.1}) into its
    type, positional arguments and keyword arguments, honouring backslash
    escapes (C{interface=\\:\\:1}) as C{twisted.internet.endpoints} does.
    """
    parts, current, escaped = [], [], False
    for character in description:
        if escaped:
            current.append(character)
            escaped = False
        elif character == "\\":
            escaped = True
        elif character == ":":
            parts.append("".join(current))
            current = []
        else:
            current.append(character)
    parts.append("".join(current))
    kind, *rest = parts
    positional, keywords = [], {}
    for part in rest:
        name, equals, value = part.partition("=")
        if equals:
            keywords[name] = value
        else:
            positional.append(part)
    return kind.lower(), positional, keywords


def is_loopback_endpoint(description: str) -> bool:
    """
    Whether a server endpoint string listens only where this machine alone
    can connect: a TCP or TLS port bound to a loopback interface
    (C{interface=127.0.0.1}, C{interface=\\:\\:1}, C{interface=localhost}), or
    a UNIX socket. A port without an interface listens on every address.
    """
    kind, _, keywords = split_endpoint(description)
    if kind in _LOCAL_ONLY_TYPES:
        return True
    if kind not in _INTERFACE_TYPES:
        return False
    interface = keywords.get("interface", "")
    if interface.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(interface).is_loopback
    except ValueError:
        return False


def read_token(value: str | None) -> str | None:
    """
    The API token an option gives: the text itself, or with C{file:PATH}
    the first line of that file (so the token is not shown in the process
    list).

    @raise ValueError: the file cannot be read, or the token is empty.
    """
    if value is None:
        return None
    if value.startswith("file:"):
        path = value[len("file:"):]
        try:
            with open(path, encoding="utf-8") as file:
                value = file.readline().strip()
        except OSError as error:
            raise ValueError(f"cannot read the API token file {path!r}: {error.strerror}") from None
    if not value.strip():
        raise ValueError("the API token is empty")
    return value


@implementer(IApiConfig)
@dataclass(kw_only=True)
class ApiConfig:
    """
    Where the API listens and the token it requires. See L{IApiConfig}.

    @raise ValueError: there is no token and the endpoint is not loopback.
    """

    endpoint: str = "tcp:8081:interface=127.0.0.1"
    token: str | None = None
    request_timeout: float = 30.0
    max_streams: int = 100
    stream_backlog: int = 1024 * 1024
    public_url: str | None = None
    max_upload: int = 64 * 1024 * 1024
    upload_lifetime: float = 24 * 60 * 60.0

    def __post_init__(self) -> None:
        if self.public_url is not None and not self.public_url.startswith(("http://", "https://")):
            raise ValueError(f"public_url must start with http:// or https://, not {self.public_url!r}")
        if self.upload_lifetime <= 0:
            raise ValueError(f"upload_lifetime must be positive, not {self.upload_lifetime!r}")
        for name in ("request_timeout", "max_streams", "stream_backlog", "max_upload"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 (no limit) or positive, not {getattr(self, name)!r}")
        if self.token is not None and not self.token.strip():
            raise ValueError("the API token is empty")
        if self.token is None and not is_loopback_endpoint(self.endpoint):
            raise ValueError(
                f"the API endpoint {self.endpoint!r} is not loopback-only: without "
                "--api-token the API may only listen on loopback (add "
                "interface=127.0.0.1), since anyone reaching it can drive the charge points"
            )
