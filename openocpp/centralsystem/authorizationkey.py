"""
A charge point's new AuthorizationKey, adopted by the central system when
the charge point accepts it (Security Whitepaper edition 2, use case A01).

Whoever sends ChangeConfiguration(AuthorizationKey) (the API, a plugin
through the proxy), the answer passes here
(L{AuthorizationKeyAnswers}, given to each
L{openocpp.centralsystem.proxy.ChargePointProxy}); the charge points' own
messages (the hot path) never do:

  - Accepted: the new key becomes the charge point's password at once,
    stored hashed like every other (A01.FR.08), and the previous one is no
    longer accepted (A01.FR.03);
  - RebootRequired: the same (the charge point uses the new key from its
    reboot on; the spec names only Accepted, and keeping the old key would
    lock it out after the reboot);
  - Rejected, NotSupported: the old key stays (A01.FR.04), and why is
    kept (the store's C{key_refusal}, shown by the API) until a new key is
    accepted; with C{pending_on_key_failure}, the charge point's
    BootNotifications are answered Pending until then (A01.FR.05, see
    L{openocpp.centralsystem.behaviour});
  - an error (a CALLERROR, no answer): the old key stays.

The issue asked to keep the old key valid until the charge point connected
with the new one; A01.FR.03 says the central system no longer accepts it:
the spec is followed.  The key is never logged (A01.FR.09).
"""

from typing import Any

from twisted.logger import Logger

from openocpp.messages.enums import ConfigurationStatus
from openocpp.messages.codec import format_datetime

AUTHORIZATION_KEY = "AuthorizationKey"
"""
The configuration key holding a charge point's Basic-auth password.
"""

_ADOPTED = frozenset({ConfigurationStatus.ACCEPTED, ConfigurationStatus.REBOOT_REQUIRED})
_REFUSED = frozenset({ConfigurationStatus.REJECTED, ConfigurationStatus.NOT_SUPPORTED})


class AuthorizationKeyAnswers:
    """
    Adopts a charge point's new AuthorizationKey when it accepts
    ChangeConfiguration, for one charge point's proxy.

    @param store: the L{openocpp.centralsystem.interfaces.ICentralSystemStore}.
    @param identity: the charge point's identity.
    """

    log = Logger()

    def __init__(self, store: Any, identity: str) -> None:
        self._store = store
        self._identity = identity

    def __call__(self, response: Any, request: Any) -> Any:
        """
        A callback on a ChangeConfiguration call's Deferred: stores the new
        key when it was accepted, and passes the answer on unchanged (a
        failed write is logged; the answer still reaches the caller).
        """
        if request.key != AUTHORIZATION_KEY:
            return response
        if response.status in _REFUSED:
            self._refused(str(response.status))
            return response
        if response.status not in _ADOPTED:
            return response
        try:
            self._store.register_charge_point(self._identity, password=request.value)
            self._store.note_key_refusal(self._identity, None)
        except Exception:
            self.log.failure(
                "The new AuthorizationKey of {identity} could not be stored: it keeps the old one",
                identity=self._identity,
            )
        else:
            self.log.info(
                "Charge point {identity} accepted a new AuthorizationKey ({status}): "
                "only the new one is accepted from now on",
                identity=self._identity,
                status=str(response.status),
            )
        return response

    def _refused(self, status: str) -> None:
        reason = f"ChangeConfiguration(AuthorizationKey) answered {status} at {format_datetime(self._store.now())}"
        try:
            self._store.note_key_refusal(self._identity, reason)
        except Exception:
            self.log.failure("Noting the refused AuthorizationKey of {identity} failed", identity=self._identity)
        else:
            self.log.warn(
                "Charge point {identity} did not accept its new AuthorizationKey ({status}): "
                "it keeps the old one",
                identity=self._identity,
                status=status,
            )
