"""
Where the charge point's private keys are kept (Security Whitepaper
edition 2, A02.FR.05): in the stack's SQLite file, or by an
L{openocpp.chargepoint.interfaces.IPrivateKeyKeeper} a plugin provides
(L{openocpp.hookspecs.openocpp_cp_private_key_keeper}).

What the database holds where a key goes: a PEM key (it begins with
C{-----BEGIN}) is kept by the stack; anything else is a reference the
keeper gave, never the key.  A reference no keeper can read back (none
registered, or it raises) is one log line and the key unavailable: the
caller goes on as without the certificate.
"""

from typing import Any, Callable

from twisted.logger import Logger

#: How a PEM value begins (a key the stack keeps itself).
_PEM = "-----BEGIN"


class KeyUnavailable(Exception):
    """
    The keeper could not keep a new key (one line).
    """


def is_pem(value: str) -> bool:
    """
    Whether a stored value is a PEM key the stack keeps (else a keeper's
    reference).
    """
    return value.lstrip().startswith(_PEM)


class PrivateKeys:
    """
    Keeps, loads and forgets private keys, through the keeper a plugin
    provides or in the database.

    @param keeper: returns the registered
        L{openocpp.chargepoint.interfaces.IPrivateKeyKeeper}, or C{None}
        (asked on every use, so that a plugin registered later counts).
    """

    log = Logger()

    def __init__(self, keeper: Callable[[], Any]) -> None:
        self._keeper = keeper

    def _current(self) -> Any:
        try:
            return self._keeper()
        except Exception as error:
            self.log.warn("Asking for the private key keeper failed: {error!r}", error=error)
            return None

    def keep(self, pem: str) -> str:
        """
        Keep a new key.

        @return: what the database stores: the PEM itself without a keeper,
            else the keeper's reference.
        @raise KeyUnavailable: the keeper failed or gave a bad reference.
        """
        keeper = self._current()
        if keeper is None:
            return pem
        try:
            reference = keeper.keep(pem)
        except Exception as error:
            self.log.warn("The private key keeper could not keep a new key: {error!r}",
                          error=error)
            raise KeyUnavailable(f"the private key keeper could not keep it: {error!r}")
        # A02.FR.05: what the database holds is not the key.
        if not isinstance(reference, str) or not reference or is_pem(reference):
            self.log.warn("The private key keeper gave no usable reference (a non-empty "
                          "string that is not PEM); key not kept")
            raise KeyUnavailable("the private key keeper gave no usable reference")
        return reference

    def load(self, value: str | None) -> str | None:
        """
        The key a stored value stands for.

        @return: the PEM key, or C{None} (no value, or unavailable: logged).
        """
        if value is None or is_pem(value):
            return value
        keeper = self._current()
        if keeper is None:
            self.log.warn("A private key is kept by a keeper but none is registered "
                          "(openocpp_cp_private_key_keeper): key {reference!r} unavailable",
                          reference=value)
            return None
        try:
            pem = keeper.load(value)
        except Exception as error:
            self.log.warn("The private key keeper could not give key {reference!r} back: "
                          "{error!r}", reference=value, error=error)
            return None
        if not isinstance(pem, str) or not is_pem(pem):
            self.log.warn("The private key keeper gave no PEM key for {reference!r}",
                          reference=value)
            return None
        return pem

    def forget(self, value: str | None) -> None:
        """
        A stored key is no longer needed: a keeper's reference is passed to
        its C{forget}, when it has one (a failure is logged).
        """
        if value is None or is_pem(value):
            return
        keeper = self._current()
        forget = getattr(keeper, "forget", None)
        if forget is None:
            return
        try:
            forget(value)
        except Exception as error:
            self.log.warn("The private key keeper could not forget key {reference!r}: "
                          "{error!r}", reference=value, error=error)
