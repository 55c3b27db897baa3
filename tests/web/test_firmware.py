"""
Tests of L{openocpp.web.firmware}: the API checks a SignedUpdateFirmware's
signing certificate before sending it (L01.FR.11, A00.FR.706).
"""

from datetime import datetime, timezone

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from tests.chargepoint.pki import Authority
from tests.web.api_client import ApiMixin


def signing_certificate():
    """
    A firmware signing certificate valid now (PEM), for tests sending a
    SignedUpdateFirmware through the API.
    """
    return Authority("Firmware Signer", datetime.now(timezone.utc)).pem


class SignedUpdateFirmwareApiTests(ApiMixin, TestCase):
    """
    The API checks the signing certificate before sending
    SignedUpdateFirmware.
    """

    timeout = 30

    def payload(self, certificate):
        return {
            "requestId": 7,
            "firmware": {
                "location": "https://firmware.example/fw.bin",
                "retrieveDateTime": "2026-11-25T08:00:00Z",
                "signingCertificate": certificate,
                "signature": "c2lnbmF0dXJl",
            },
        }

    @inlineCallbacks
    def test_L01_FR_11_bad_certificate_is_400_and_nothing_sent(self):
        """
        L01.FR.11, A00.FR.706: a signing certificate not issued by the
        manufacturer root the central system knows is answered 400
        C{bad_signing_certificate}, nothing sent; a good one is sent.
        """
        now = datetime.now(timezone.utc)
        root = Authority("Manufacturer Root", now)
        path = self.mktemp()
        with open(path, "w") as handle:
            handle.write(root.pem)
        yield self.start(manufacturer_roots=path)
        cp = yield self.booted()
        route = "/api/v1/chargepoints/CP1/actions/SignedUpdateFirmware"
        refused = yield self.post(route, self.payload(Authority("Rogue", now).pem))
        self.assertError(refused, 400, "bad_signing_certificate")
        self.assertIn("not by a manufacturer root", refused.json["description"])
        expired = yield self.post(route, self.payload(Authority("Old", now, signer=root, start=-9, days=-1).pem))
        self.assertError(expired, 400, "bad_signing_certificate")
        self.assertEqual([each.action for each in cp.received], [])
        signer = Authority("Firmware Signer", now, signer=root)
        sent = yield self.post(route, self.payload(signer.pem))
        self.assertEqual(sent.status, 200, sent)
        self.assertEqual([each.firmware.signing_certificate for each in cp.received], [signer.pem])
