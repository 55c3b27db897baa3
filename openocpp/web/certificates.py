"""
The API's certificate routes: the charge point certificates the central
system issued answering SignCertificate
(L{openocpp.centralsystem.certificates}), and their revocation.

  - C{GET /api/v1/certificates[?chargePoint=ID]}: C{{"items": [...]}},
    newest first;
  - C{POST /api/v1/certificates/{serial}/revoke}: the certificate, revoked
    (its charge point can no longer connect with it); 404 for a serial
    never issued here.
"""

from typing import Any

from twisted.internet.defer import Deferred, maybeDeferred


def certificate_json(record: dict) -> dict:
    """
    The API's form of an issued certificate's record.
    """
    return {
        "serial": record["serial"],
        "chargePoint": record["identity"],
        "subject": record["subject"],
        "notBefore": record["not_before"],
        "notAfter": record["not_after"],
        "issuedAt": record["issued_at"],
        "delivery": record["delivery"],
        "revokedAt": record["revoked_at"],
        "certificate": record["certificate"],
    }


class CertificateRoutes:
    """
    The handlers of the certificate routes.

    @param central: the L{openocpp.centralsystem.interfaces.ICentralSystem}
        (its store's C{issued_certificates}).
    """

    def __init__(self, central: Any) -> None:
        self._central = central

    def _records(self) -> Any:
        # Imported here: openocpp.web.api imports this module for its routes.
        from openocpp.web.api import ApiError

        records = getattr(self._central.store, "issued_certificates", None)
        if records is None:
            raise ApiError(404, "not_supported", "this central system's store keeps no issued certificates")
        return records

    def list(self, call: Any) -> Deferred:
        """
        C{GET v1/certificates}: the issued certificates, newest first, all
        or those of C{?chargePoint=}.
        """
        identity = call.arg("chargePoint") or None
        return maybeDeferred(self._records().records, identity).addCallback(
            lambda records: {"items": [certificate_json(each) for each in records]}
        )

    def revoke(self, call: Any, serial: str) -> Deferred:
        """
        C{POST v1/certificates/{serial}/revoke}: revoke, once committed.
        """
        from openocpp.web.api import ApiError

        records = self._records()
        serial = serial.strip().lower()
        if not records.revoke(serial):
            raise ApiError(404, "unknown_certificate", f"no certificate of serial {serial!r} was issued here")

        def committed(_: Any) -> dict:
            (record,) = [each for each in records.records() if each["serial"] == serial]
            return certificate_json(record)

        return self._central.store.when_committed(None).addCallback(committed)
