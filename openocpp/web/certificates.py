"""
The API's certificate routes: the charge point certificates the central
system issued answering SignCertificate
(L{openocpp.centralsystem.certificates}), and their revocation.

  - C{GET /api/v1/certificates[?chargePoint=ID]}: C{{"items": [...]}},
    newest first;
  - C{POST /api/v1/certificates/{serial}/revoke}: the certificate, revoked
    (its charge point can no longer connect with it, and a live connection
    of this node that presented it is closed); 404 for a serial never
    issued here;
  - C{GET /api/v1/chargepoints/{identity}/certificates}: C{{"chargePoint",
    "items"}}, the certificates the central system knows the charge point
    holds (L{openocpp.centralsystem.chargepointcertificates}): installed
    with InstallCertificate, and presented at a profile-3 handshake; 404
    for a charge point neither known nor connected.
"""

from typing import Any, Callable

from twisted.internet.defer import Deferred, maybeDeferred

from openocpp.centralsystem.certificates import drop_revoked_connections


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


def charge_point_certificate_json(record: dict) -> dict:
    """
    The API's form of a certificate a charge point holds.
    """
    return {
        "source": record["source"],
        "certificateType": record["certificate_type"],
        "subject": record["subject"],
        "issuer": record["issuer"],
        "serialNumber": record["serial"],
        "fingerprintSha256": record["fingerprint"],
        "notBefore": record["not_before"],
        "notAfter": record["not_after"],
        "recordedAt": record["recorded_at"],
        "certificate": record["certificate"],
    }


class CertificateRoutes:
    """
    The handlers of the certificate routes.

    @param central: the L{openocpp.centralsystem.interfaces.ICentralSystem}
        (its store's C{issued_certificates} and C{charge_point_certificates}).
    @param charge_point: returns a Deferred of a charge point's JSON, or of
        C{None} when it is neither known nor connected.
    """

    def __init__(self, central: Any, charge_point: Callable[[str], Deferred] | None = None) -> None:
        self._central = central
        self._charge_point = charge_point

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
            # Effective at once: a live connection that presented it is closed.
            drop_revoked_connections(self._central.charge_points(), record, self._central.store)
            return certificate_json(record)

        return self._central.store.when_committed(None).addCallback(committed)

    def held(self, call: Any, identity: str) -> Deferred:
        """
        C{GET v1/chargepoints/{identity}/certificates}: the certificates
        the charge point holds, as far as the central system knows.
        """
        from openocpp.web.api import ApiError

        records = getattr(self._central.store, "charge_point_certificates", None)
        if records is None:
            raise ApiError(404, "not_supported", "this central system's store keeps no charge point certificates")

        def known(record: dict | None) -> dict:
            if record is None:
                raise ApiError(404, "unknown_charge_point", f"no charge point {identity!r} is known or connected")
            return {
                "chargePoint": identity,
                "items": [charge_point_certificate_json(each) for each in records.records(identity)],
            }

        return self._charge_point(identity).addCallback(known)
