"""
C{POST /api/v1/chargepoints/{identity}/firmware}: UpdateFirmware.req
(OCPP 1.6 section 5.19), a convenience over the generic action route: the
retrieve date defaults to now. What the charge point reports of it
(FirmwareStatusNotification, DiagnosticsStatusNotification) is in the
charge point's own JSON (C{firmware}, C{diagnostics}).

A SignedUpdateFirmware sent through the API (its generic action route, the
console's too) has its signing certificate checked first
(L{FirmwareRoutes.check_signed}, L01.FR.11 and A00.FR.706): a 400
C{bad_signing_certificate} says what is wrong, and nothing is sent.
"""

from typing import Any, Callable

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from openocpp.centralsystem.firmwaresigning import SigningCertificateCheck, load_roots
from openocpp.chargepoint.certificates import CertificateProblem
from openocpp.messages import codec, core
from openocpp.messages.errors import ValidationError
from openocpp.transfer.errors import redact
from openocpp.web.api import ApiError, Call


class FirmwareRoutes:
    """
    The handler of the firmware route.

    @param central: the L{openocpp.centralsystem.interfaces.ICentralSystem}.
    @param connected: the API's C{connected(identity)}: a connected charge
        point's proxy, or raises the API's 404 saying why not.
    @param call_failed: the API's errback turning a call's failure into
        its answer.
    """

    log = Logger()

    def __init__(self, central: Any, connected: Callable, call_failed: Callable) -> None:
        self._central = central
        self._connected = connected
        self._call_failed = call_failed
        # Made at the first check: the routes are also built without a
        # central system, to document them.
        self._signing: SigningCertificateCheck | None = None

    def check_signed(self, request: Any) -> None:
        """
        Check a SignedUpdateFirmware.req's signing certificate before it is
        sent (see L{openocpp.centralsystem.firmwaresigning}).

        @raise ApiError: 400 C{bad_signing_certificate}, saying why.
        """
        if self._signing is None:
            path = getattr(self._central.config, "manufacturer_roots", None)
            try:
                roots = load_roots(path) if path else []
            except ValueError as error:
                # Read at start too: the file went away since.
                text = str(error).replace("manufacturer_roots", "--manufacturer-root")
                raise ApiError(503, "manufacturer_roots_unreadable", text) from None
            self._signing = SigningCertificateCheck(roots, self._central.store.now)
        try:
            self._signing(request.firmware.signing_certificate)
        except CertificateProblem as problem:
            raise ApiError(400, "bad_signing_certificate", f"SignedUpdateFirmware not sent: {problem}") from None

    def post(self, call: Call, identity: str) -> Deferred:
        """
        C{POST {location, retrieveDate?, retries?, retryInterval?}}: send
        UpdateFirmware.req; answered with what was sent once the charge
        point acknowledged it.
        """
        body = call.json_object(("location", "retrieveDate", "retries", "retryInterval"))
        payload = {name: value for name, value in body.items() if value is not None}
        payload.setdefault("retrieveDate", codec.format_datetime(self._central.store.now()))
        for name in ("retries", "retryInterval"):
            value = payload.get(name)
            if value is not None and (type(value) is not int or value < 0):
                raise ApiError(400, "bad_body", f"{name} must be an integer, 0 or more")
        if "location" not in payload:
            raise ApiError(400, "bad_body", "location (the firmware's URI) is required")
        try:
            request = codec.decode(core.UpdateFirmwareRequest, payload)
        except ValidationError as error:
            raise ApiError(400, "invalid_payload", error.description, code=str(error.code)) from None
        proxy = self._connected(identity)
        self.log.info(
            "{who} sends UpdateFirmware ({location}) to {identity}",
            who=call.who,
            location=redact(request.location),
            identity=identity,
        )
        return proxy.call(request).addCallbacks(
            lambda _: {"chargePoint": identity, "request": codec.encode(request)},
            self._call_failed,
            errbackArgs=(identity, "UpdateFirmware"),
        )
