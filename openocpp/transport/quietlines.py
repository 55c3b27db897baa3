"""
Keeping autobahn's own lines out of the log where ours already say it: a
refused handshake or a failed TLS handshake is one line of openocpp's
(naming the peer, the identity and the reason), not that line and
autobahn's two or three beside it.
"""

from __future__ import annotations

from OpenSSL import SSL
from twisted.internet.error import ConnectionLost
from twisted.python.failure import Failure

__all__ = ["QuietTLSFailures"]


class QuietTLSFailures:
    """
    A protocol mixin, placed before autobahn's protocol class: autobahn's
    C{connectionLost} logs a TLS failure at error level ("SSL error: ...")
    although the role already logs it once (the server's "TLS handshake
    with ... failed" line, the charge point's retry line and security
    event). Autobahn is handed the same loss as a plain L{ConnectionLost}
    naming the TLS reason, which it logs at debug; the classes before this
    one in the method resolution order still see the TLS failure itself.
    """

    def connectionLost(self, reason: Failure) -> None:
        """
        Pass the loss on to autobahn, a TLS failure as a L{ConnectionLost}.
        """
        if reason.check(SSL.Error) is not None:
            reason = Failure(ConnectionLost(f"TLS failed: {reason.getErrorMessage()}"))
        super().connectionLost(reason)
