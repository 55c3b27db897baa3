"""
Secure firmware update (L{openocpp.chargepoint.signedfirmware}, Security
Whitepaper L01): the signing certificate verified against the installed
ManufacturerRootCertificates, the file's signature verified before
installing, every SignedFirmwareStatusNotification in its order with the
requestId, and UpdateFirmware refused when only signed updates are
allowed; on a L{Clock} against the scripted central system, with fake
transfers. The requirement ids are quoted in the docstrings.
"""

import base64
import os
from datetime import datetime, timedelta, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.chargepoint.firmware import InstallResult
from openocpp.chargepoint.signedfirmware import verify_signature
from openocpp.hookspecs import hookimpl
from openocpp.messages import UpdateFirmwareRequest
from openocpp.messages.datatypes import Firmware
from openocpp.messages.enums import CertificateUseEnumType
from openocpp.messages.errors import ErrorCode
from openocpp.messages.security import (
    InstallCertificateRequest,
    SignedFirmwareStatusNotificationResponse,
    SignedUpdateFirmwareRequest,
)
from openocpp.rpc.errors import CallError
from tests.chargepoint.fake_transfers import LoopbackTransferMixin, TransferTestCase
from tests.chargepoint.pki import Authority
from tests.transfer.servers import WebServer

URL = "http://firmware.example.com/images/signed-2.0.bin"
IMAGE = b"version=2.0\nsigned image"
SIGNED = "SignedFirmwareStatusNotification"


class Installer:
    def __init__(self, answer):
        self.answer = answer
        self.installed = []

    @hookimpl
    def openocpp_cp_install_firmware(self, charge_point, path, location):
        with open(path, "rb") as image:
            self.installed.append(image.read())
        return self.answer


class SignedFirmwareTestCase(TransferTestCase):
    answer = InstallResult.installed("2.0")
    rsa_key = False

    def make_plugins(self):
        self.installer = Installer(self.answer)
        return [self.installer]

    def setUp(self):
        super().setUp()
        self.cs.answers[SIGNED] = lambda r: SignedFirmwareStatusNotificationResponse()
        self.raised = []
        self.cp._signed_firmware._security_event = (
            lambda kind, tech_info=None, critical=None: self.raised.append(kind)
        )
        self.boot_and_clear()
        now = self.cp.now()
        self.maker = Authority("Manufacturer Root", now, rsa_key=self.rsa_key)
        answer = self.successResultOf(self.cs.call(InstallCertificateRequest(
            certificate_type=CertificateUseEnumType.MANUFACTURER_ROOT_CERTIFICATE,
            certificate=self.maker.pem,
        )))
        self.assertEqual(answer.status, "Accepted")
        self.signer = Authority("Firmware Signer", now, signer=self.maker, rsa_key=self.rsa_key)

    def update(self, request_id=7, seconds=0, install_in=None, signer=None, content=IMAGE,
               signature=None, certificate=None):
        signer = signer or self.signer
        if signature is None:
            signature = base64.b64encode(signer.sign_file(content)).decode("ascii")
        now = self.cp.now()
        firmware = Firmware(
            location=URL,
            retrieve_date_time=now + timedelta(seconds=seconds),
            install_date_time=None if install_in is None else now + timedelta(seconds=install_in),
            signing_certificate=certificate or signer.pem,
            signature=signature,
        )
        answer = self.successResultOf(self.cs.call(
            SignedUpdateFirmwareRequest(request_id=request_id, firmware=firmware)
        ))
        return answer.status

    def signed(self):
        return [(r.status, r.request_id) for r in self.cs.requests(SIGNED)]


class SignedFirmwareTests(SignedFirmwareTestCase):
    def test_good_file_installed_with_every_status_in_order(self):
        """
        L01.FR.01/L01.FR.10: each state is told with the request's
        requestId: Downloading, Downloaded, SignatureVerified (L01.FR.04:
        the signature over the whole file verified before installing),
        Installing, Installed (L01.FR.05: without installDateTime, at once
        once verified); no FirmwareStatusNotification of the 1.6 profile.
        """
        self.assertEqual(self.update(), "Accepted")
        self.transfers.last.succeed(IMAGE)
        self.cs.settle()
        self.assertEqual(self.signed(), [
            ("Downloading", 7), ("Downloaded", 7), ("SignatureVerified", 7),
            ("Installing", 7), ("Installed", 7),
        ])
        self.assertEqual(self.installer.installed, [IMAGE])
        self.assertEqual(self.statuses(), [])
        # Installed: the security event FirmwareUpdated (whitepaper chapter 8).
        self.assertEqual(self.raised, ["FirmwareUpdated"])

    def test_bad_signature_not_installed(self):
        """
        L01.FR.03 (the firmware is digitally protected, L01.FR.09): a file
        whose signature does not verify is not installed: InvalidSignature
        and an InvalidFirmwareSignature security event.
        """
        self.assertEqual(self.update(content=b"another image"), "Accepted")
        self.transfers.last.succeed(IMAGE)
        self.cs.settle()
        self.assertEqual(self.signed(), [
            ("Downloading", 7), ("Downloaded", 7), ("InvalidSignature", 7),
        ])
        self.assertEqual(self.installer.installed, [])
        self.assertEqual(self.raised, ["InvalidFirmwareSignature"])
        self.assertIsNone(self.cp._signed_firmware._store.state())

    def test_signature_not_base64_is_invalid(self):
        self.assertEqual(self.update(signature="not base64!"), "Accepted")
        self.transfers.last.succeed(IMAGE)
        self.cs.settle()
        self.assertEqual(self.signed()[-1], ("InvalidSignature", 7))
        self.assertEqual(self.installer.installed, [])

    def test_untrusted_certificate_answered_invalid_certificate(self):
        """
        L01.FR.23/24, L01.FR.02: a signing certificate not issued by an
        installed ManufacturerRootCertificate (or expired, or not PEM) is
        answered InvalidCertificate with an InvalidFirmwareSigningCertificate
        security event; nothing is downloaded.
        """
        now = self.cp.now()
        rogue = Authority("Rogue", now)
        self.assertEqual(self.update(signer=rogue), "InvalidCertificate")
        expired = Authority("Expired", now, signer=self.maker, start=-10, days=-1)
        self.assertEqual(self.update(signer=expired), "InvalidCertificate")
        self.assertEqual(self.update(certificate="garbage"), "InvalidCertificate")
        self.assertEqual(self.raised, ["InvalidFirmwareSigningCertificate"] * 3)
        self.assertEqual(self.transfers.transfers, [])
        self.assertEqual(self.signed(), [])

    def test_download_scheduled_then_install_scheduled(self):
        """
        L01.FR.13: a retrieveDate ahead: DownloadScheduled; L01.FR.16/17:
        an installDateTime ahead: InstallScheduled, installed at that time.
        """
        self.assertEqual(self.update(seconds=600, install_in=3600), "Accepted")
        self.assertEqual(self.signed(), [("DownloadScheduled", 7)])
        self.cs.advance(600, step=100)
        self.transfers.last.succeed(IMAGE)
        self.cs.settle()
        self.assertEqual(self.signed()[-1], ("InstallScheduled", 7))
        self.assertEqual(self.installer.installed, [])
        self.cs.advance(3000, step=100)
        self.assertEqual(self.installer.installed, [IMAGE])
        self.assertEqual([s for s, _ in self.signed()], [
            "DownloadScheduled", "Downloading", "Downloaded", "SignatureVerified",
            "InstallScheduled", "Installing", "Installed",
        ])

    def test_download_failed(self):
        self.assertEqual(self.update(), "Accepted")
        for _ in range(3):
            self.transfers.last.fail()
            self.cs.advance(60, step=10)
        self.assertEqual(self.signed(), [("Downloading", 7), ("DownloadFailed", 7)])

    def test_new_request_cancels_the_waiting_one(self):
        """
        L01.FR.26: a new SignedUpdateFirmware while one waits cancels it:
        AcceptedCanceled; the new one goes on with its own requestId.
        """
        self.assertEqual(self.update(request_id=1, seconds=600), "Accepted")
        self.assertEqual(self.update(request_id=2), "AcceptedCanceled")
        self.transfers.last.succeed(IMAGE)
        self.cs.settle()
        self.assertEqual(self.signed()[0], ("DownloadScheduled", 1))
        self.assertEqual(self.signed()[-1], ("Installed", 2))
        self.assertEqual(len(self.transfers.transfers), 1)

    def test_triggered_status_is_the_last_sent_then_idle_after_installed(self):
        """
        L01.FR.29: asked for (ExtendedTriggerMessage), the last status
        sent; L01.FR.28: Idle after Installed (L01.FR.21: Idle has no
        requestId).
        """
        self.assertEqual(self.update(seconds=600), "Accepted")
        self.cp._signed_firmware.trigger()
        self.cs.settle()
        self.assertEqual(self.signed()[-1], ("DownloadScheduled", 7))
        self.cs.advance(600, step=100)
        self.transfers.last.succeed(IMAGE)
        self.cs.settle()
        self.cp._signed_firmware.trigger()
        self.cs.settle()
        self.assertEqual(self.signed()[-1], ("Idle", None))

    def test_update_firmware_still_works_by_default(self):
        """
        The option is off by default: UpdateFirmware (Firmware Management)
        is answered.
        """
        self.successResultOf(self.cs.call(
            UpdateFirmwareRequest(location=URL, retrieve_date=self.cp.now() + timedelta(days=1))
        ))


class RsaSignedFirmwareTests(SignedFirmwareTestCase):
    rsa_key = True

    def test_rsa_signed_file_installed(self):
        """
        L01.FR.04: an RSA (PSS, SHA-256) signature verifies too.
        """
        self.assertEqual(self.update(), "Accepted")
        self.transfers.last.succeed(IMAGE)
        self.cs.settle()
        self.assertEqual(self.signed()[-1], ("Installed", 7))
        self.assertEqual(self.installer.installed, [IMAGE])


class Revoker:
    """
    A plugin answering C{openocpp_cp_certificate_revoked} (an OCSP check at
    a site that has one).
    """

    def __init__(self, answer):
        self.answer = answer
        self.asked = []

    @hookimpl
    def openocpp_cp_certificate_revoked(self, charge_point, certificate, purpose):
        self.asked.append((certificate.serial_number, purpose))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class RevocationTestCase(SignedFirmwareTestCase):
    """
    A charge point with a CRL folder and a L{Revoker} plugin.
    """

    revoker_answer = None

    def make_plugins(self):
        self.revoker = Revoker(self.revoker_answer)
        return super().make_plugins() + [self.revoker]

    def setUp(self):
        self.crl_folder = os.path.abspath(self.mktemp())
        os.makedirs(self.crl_folder)
        self.settings = {"crl_folder": self.crl_folder}
        super().setUp()

    def install_crl(self, name, data):
        with open(os.path.join(self.crl_folder, name), "wb") as handle:
            handle.write(data)

    def assert_revoked(self):
        self.assertEqual(self.update(), "RevokedCertificate")
        self.assertEqual(self.raised, ["InvalidFirmwareSigningCertificate"])
        self.assertEqual(self.signed(), [])
        self.assertIsNone(self.cp._signed_firmware._store.state())


class CrlRevocationTests(RevocationTestCase):
    """
    L01.FR.25: a signing certificate revoked by an installed CRL of its
    issuer is answered RevokedCertificate, with an
    InvalidFirmwareSigningCertificate security event and no download.
    """

    def test_revoked_by_the_issuers_crl_L01_FR_25(self):
        now = self.cp.now()
        other = Authority("Other Signer", now, signer=self.maker)
        self.install_crl("maker.crl.pem", self.maker.crl([other.certificate], now)
                         + self.maker.crl([self.signer.certificate], now))
        self.assert_revoked()
        self.assertEqual(self.revoker.asked, [])  # the CRL answered

    def test_der_crl(self):
        self.install_crl("maker.crl", self.maker.crl([self.signer.certificate], self.cp.now(),
                                                     der=True))
        self.assert_revoked()

    def test_crl_of_another_issuer_ignored(self):
        """
        A CRL counts only when it is the signing certificate's issuer's: one
        of another CA, or one with the issuer's name signed by another key
        (forged), listing the same serial number, revokes nothing.
        """
        now = self.cp.now()
        stranger = Authority("Stranger Root", now)
        self.install_crl("stranger.pem", stranger.crl([self.signer.certificate], now))
        self.install_crl("forged.pem", self.maker.crl([self.signer.certificate], now,
                                                      signer=stranger))
        self.install_crl("notes.txt", b"not a CRL at all")
        self.assertEqual(self.update(), "Accepted")
        self.assertEqual(self.raised, [])
        self.assertEqual(self.revoker.asked, [(self.signer.certificate.serial_number,
                                               "FirmwareSigningCertificate")])

    def test_crl_installed_later_counts(self):
        """
        The folder is read at each request: a CRL copied in counts at once.
        """
        self.assertEqual(self.update(request_id=1), "Accepted")
        self.install_crl("maker.pem", self.maker.crl([self.signer.certificate], self.cp.now()))
        self.assertEqual(self.update(request_id=2), "RevokedCertificate")


class RevokedByHookTests(RevocationTestCase):
    """
    The hook says revoked (an OCSP answer): RevokedCertificate.
    """

    revoker_answer = True

    def test_hook_says_revoked_L01_FR_25(self):
        self.assert_revoked()
        self.assertEqual(self.revoker.asked, [(self.signer.certificate.serial_number,
                                               "FirmwareSigningCertificate")])


class RevocationHookFailingTests(RevocationTestCase):
    """
    The hook fails (an OCSP responder down): logged, taken as not revoked.
    """

    revoker_answer = RuntimeError("OCSP responder unreachable")

    def test_hook_failure_is_not_revoked(self):
        self.assertEqual(self.update(), "Accepted")
        self.assertEqual(self.raised, [])


class InstallVerificationFailedTests(SignedFirmwareTestCase):
    answer = InstallResult.verification_failed("checksum mismatch in the image")

    def test_installer_verification_failed_is_install_verification_failed(self):
        """
        L01.FR.01 (every status of FirmwareStatusEnumType the stack can
        reach): the installer's own verification of the new firmware failed
        (C{InstallResult.verification_failed}): InstallVerificationFailed
        with the requestId, the update over, no FirmwareUpdated event.
        """
        self.assertEqual(self.update(), "Accepted")
        self.transfers.last.succeed(IMAGE)
        self.cs.settle()
        self.assertEqual(self.signed(), [
            ("Downloading", 7), ("Downloaded", 7), ("SignatureVerified", 7),
            ("Installing", 7), ("InstallVerificationFailed", 7),
        ])
        self.assertEqual(self.raised, [])
        self.assertIsNone(self.cp._signed_firmware._store.state())


class InstallationFailedTests(SignedFirmwareTestCase):
    answer = InstallResult.failed("flash write error")

    def test_installer_failure_is_installation_failed(self):
        """
        L01.FR.01: an installation that failed otherwise is
        InstallationFailed.
        """
        self.assertEqual(self.update(), "Accepted")
        self.transfers.last.succeed(IMAGE)
        self.cs.settle()
        self.assertEqual(self.signed()[-1], ("InstallationFailed", 7))


class RebootTests(SignedFirmwareTestCase):
    answer = InstallResult.reboot("2.1")
    file_database = True

    def test_install_rebooting_before_the_reboot_then_installed(self):
        """
        L01.FR.15: InstallRebooting before the reboot; Installed (with the
        requestId) after the next accepted boot.
        """
        self.assertEqual(self.update(), "Accepted")
        self.transfers.last.succeed(IMAGE)
        self.cs.settle()
        self.assertEqual([s for s, _ in self.signed()], [
            "Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting",
        ])
        self.cs.connect(self.cp)
        self.assertEqual(self.signed()[-1], ("Installed", 7))
        self.assertEqual(self.cs.requests("BootNotification")[-1].firmware_version, "2.1")


class RestartTests(SignedFirmwareTestCase):
    file_database = True

    def test_scheduled_installation_survives_a_restart(self):
        """
        L01.FR.16/17 across a restart: the verified file waits for its
        installDateTime (InstallScheduled told once), then is installed.
        """
        self.assertEqual(self.update(install_in=3600), "Accepted")
        self.transfers.last.succeed(IMAGE)
        self.cs.settle()
        self.assertEqual(self.signed()[-1], ("InstallScheduled", 7))
        self.successResultOf(self.cp.restart())
        self.cs.connect(self.cp)
        self.cs.advance(1800, step=100)
        self.assertEqual(self.installer.installed, [])
        self.cs.advance(1900, step=100)
        self.assertEqual(self.installer.installed, [IMAGE])
        statuses = [s for s, _ in self.signed()]
        self.assertEqual(statuses.count("InstallScheduled"), 1)
        self.assertEqual(statuses.count("SignatureVerified"), 1)
        self.assertEqual(statuses[-1], "Installed")


class SignedOnlyTests(SignedFirmwareTestCase):
    settings = {"signed_firmware_only": True}

    def test_update_firmware_not_supported(self):
        """
        L01.FR.20: with only signed updates, UpdateFirmware is a CALLERROR
        NotSupported and starts nothing.
        """
        failure = self.failureResultOf(self.cs.call(
            UpdateFirmwareRequest(location=URL, retrieve_date=self.cp.now())
        ), CallError)
        self.assertEqual(failure.value.code, ErrorCode.NOT_SUPPORTED)
        self.assertEqual(self.transfers.transfers, [])
        self.assertEqual(self.statuses(), [])


class VerifySignatureTests(SynchronousTestCase):
    def test_rsa_pkcs1v15_accepted_and_a_wrong_signature_refused(self):
        """
        L01.FR.04/12: an RSA PKCS#1 v1.5 signature with SHA-256 verifies;
        one over other content raises InvalidSignature.
        """
        signer = Authority("Signer", datetime.now(timezone.utc), rsa_key=True)
        signature = signer.key.sign(IMAGE, padding.PKCS1v15(), hashes.SHA256())
        verify_signature(signer.certificate, IMAGE, signature)
        self.assertRaises(InvalidSignature, verify_signature, signer.certificate, b"other",
                          signature)


class SignedFirmwareLoopbackTests(LoopbackTransferMixin, TestCase):
    """
    SignedUpdateFirmware end to end: over a real WebSocket connection, the
    firmware fetched from a twisted.web server on loopback, installed by
    the simulated charger (which reboots); a good file, a bad signature and
    an untrusted certificate.
    """

    data = b"version=9.9-signed\nimage bytes"

    async def prepare(self):
        self.web = WebServer(self.data)
        base = self.web.start()
        self.addCleanup(self.web.stop)
        await self.start_charge_point()
        self.cs.answers[SIGNED] = self._watched(
            lambda r: SignedFirmwareStatusNotificationResponse(), SIGNED)
        self.cs.answers["SecurityEventNotification"] = lambda r: None
        now = datetime.now(timezone.utc)
        self.maker = Authority("Manufacturer Root", now)
        answer = await self.cs.session.call(InstallCertificateRequest(
            certificate_type=CertificateUseEnumType.MANUFACTURER_ROOT_CERTIFICATE,
            certificate=self.maker.pem,
        ))
        self.assertEqual(answer.status, "Accepted")
        self.signer = Authority("Firmware Signer", now, signer=self.maker)
        return base + "/fw.bin", now

    async def update(self, location, now, signer, content):
        firmware = Firmware(
            location=location, retrieve_date_time=now - timedelta(seconds=1),
            signing_certificate=signer.pem,
            signature=base64.b64encode(signer.sign_file(content)).decode("ascii"),
        )
        answer = await self.cs.session.call(
            SignedUpdateFirmwareRequest(request_id=42, firmware=firmware))
        return answer.status

    def signed(self):
        return [(r.status, r.request_id) for r in self.cs.requests(SIGNED)]

    async def test_good_file_downloaded_verified_installed_after_reboot(self):
        location, now = await self.prepare()
        installed = self.until(SIGNED, "Installed")
        self.assertEqual(await self.update(location, now, self.signer, self.data), "Accepted")
        await installed
        self.assertEqual([s for s, _ in self.signed()], [
            "Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting",
            "Installed",
        ])
        self.assertEqual({i for _, i in self.signed()}, {42})
        self.assertEqual(self.cs.requests("BootNotification")[-1].firmware_version, "9.9-signed")

    async def test_bad_signature_not_installed(self):
        location, now = await self.prepare()
        invalid = self.until(SIGNED, "InvalidSignature")
        self.assertEqual(await self.update(location, now, self.signer, b"other"), "Accepted")
        await invalid
        self.assertEqual([s for s, _ in self.signed()],
                         ["Downloading", "Downloaded", "InvalidSignature"])
        self.assertEqual(len(self.cs.requests("BootNotification")), 1)

    async def test_untrusted_certificate_refused(self):
        location, now = await self.prepare()
        rogue = Authority("Rogue", now)
        self.assertEqual(await self.update(location, now, rogue, self.data), "InvalidCertificate")
        self.assertEqual(self.signed(), [])
