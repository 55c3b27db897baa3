"""
Firmware updates (L{openocpp.chargepoint.firmware}): UpdateFirmware, the
wait for its retrieveDate, the download with retries, the installation and
its reboot, every FirmwareStatusNotification on the way, and a triggered
one, on a L{Clock} against the scripted central system.
"""

import os
from datetime import timedelta

from twisted.trial.unittest import SynchronousTestCase, TestCase
from twisted.web.resource import Resource

from openocpp.chargepoint.behaviour import simulated_firmware_version
from openocpp.chargepoint.firmware import InstallResult, file_name_of, install_result
from openocpp.hookspecs import hookimpl
from openocpp.messages import TriggerMessageRequest, UpdateFirmwareRequest
from openocpp.messages.enums import ChargePointStatus, MessageTrigger, TriggerMessageStatus
from openocpp.messages.errors import ErrorCode
from openocpp.rpc.errors import CallError
from tests.chargepoint.fake_transfers import LoopbackTransferMixin, TransferTestCase
from tests.transfer.servers import WebServer

URL = "http://firmware.example.com/images/charger-2.0.bin"


class Installer:
    """
    A site installing firmware: answers what C{answer} says (recording each
    installation), or leaves the default to the simulated charger.
    """

    def __init__(self, answer=None):
        self.answer = answer
        self.installed = []

    @hookimpl
    def openocpp_cp_install_firmware(self, charge_point, path, location):
        with open(path, "rb") as firmware:
            self.installed.append((path, location, firmware.read()))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class FirmwareTestCase(TransferTestCase):
    answer = InstallResult.installed("2.0")

    def make_plugins(self):
        self.installer = Installer(self.answer)
        return [self.installer]

    def update(self, seconds=0, location=URL, **fields):
        """
        Send UpdateFirmware with a retrieveDate C{seconds} from now.
        """
        request = UpdateFirmwareRequest(
            location=location, retrieve_date=self.cp.now() + timedelta(seconds=seconds), **fields
        )
        return self.successResultOf(self.cs.call(request))

    def trigger(self):
        answer = self.successResultOf(self.cs.call(
            TriggerMessageRequest(requested_message=MessageTrigger.FIRMWARE_STATUS_NOTIFICATION)
        ))
        self.cs.settle()
        return answer.status


class RetrieveDateTests(FirmwareTestCase):
    def test_answered_at_once_and_download_waits_for_retrieve_date(self):
        """
        UpdateFirmware is answered at once; nothing is downloaded before
        the retrieveDate, the download starts at it (Downloading).
        """
        self.boot_and_clear()
        self.update(seconds=3600)
        self.cs.advance(3599, step=100)
        self.assertEqual(self.transfers.transfers, [])
        self.assertEqual(self.statuses(), [])
        self.cs.advance(1)
        self.assertEqual([t.url for t in self.transfers.transfers], [URL])
        self.assertEqual(self.statuses(), ["Downloading"])
        self.transfers.last.fail()
        self.cs.advance(10000, step=1000)

    def test_past_retrieve_date_downloads_at_once(self):
        self.boot_and_clear()
        self.update(seconds=-86400)
        self.assertEqual(len(self.transfers.transfers), 1)
        self.assertEqual(self.statuses(), ["Downloading"])
        self.transfers.last.succeed()
        self.cs.settle()

    def test_download_into_the_folder_with_the_size_limit(self):
        """
        The file goes to the download folder under the URL's file name, with
        the configured limit; it is removed once installed.
        """
        self.boot_and_clear()
        self.update()
        transfer = self.transfers.last
        self.assertEqual(transfer.path, os.path.join(self.folder, "charger-2.0.bin"))
        self.assertEqual(transfer.max_bytes, 1000)
        transfer.succeed(b"image")
        self.cs.settle()
        self.assertEqual(self.installer.installed, [(transfer.path, URL, b"image")])
        self.assertFalse(os.path.exists(transfer.path))

    def test_location_not_a_transfer_url_is_a_call_error(self):
        self.boot_and_clear()
        request = UpdateFirmwareRequest(location="gopher://x/fw.bin", retrieve_date=self.cp.now())
        failure = self.failureResultOf(self.cs.call(request), CallError)
        self.assertEqual(failure.value.code, ErrorCode.PROPERTY_CONSTRAINT_VIOLATION)
        self.assertIn("gopher://x/fw.bin", failure.value.description)
        self.assertEqual(self.transfers.transfers, [])

    def test_new_update_replaces_the_pending_one(self):
        """
        A second UpdateFirmware before the first one's date replaces it:
        only the second is downloaded, at its own date.
        """
        self.boot_and_clear()
        self.update(seconds=100)
        self.update(seconds=200, location="ftp://u:p@fw.example.com/two.bin")
        self.cs.advance(199, step=10)
        self.assertEqual(self.transfers.transfers, [])
        self.cs.advance(1)
        self.assertEqual([t.url for t in self.transfers.transfers], ["ftp://u:p@fw.example.com/two.bin"])
        self.transfers.last.succeed()
        self.cs.settle()
        self.assertEqual(len(self.installer.installed), 1)

    def test_new_update_replaces_a_download_in_progress(self):
        self.boot_and_clear()
        self.update()
        first = self.transfers.last
        self.update(location="http://fw.example.com/three.bin")
        self.assertTrue(first.cancelled)
        self.transfers.last.succeed()
        self.cs.settle()
        self.assertEqual([location for _, location, _ in self.installer.installed],
                         ["http://fw.example.com/three.bin"])
        self.assertEqual(self.statuses(), ["Downloading", "Downloading", "Downloaded",
                                           "Installing", "Installed"])


class PersistedRetrieveDateTests(FirmwareTestCase):
    file_database = True

    def test_restart_before_retrieve_date_still_downloads_at_it(self):
        """
        Stopped before the retrieveDate and started again on the same file,
        the charge point downloads at the date the request gave.
        """
        self.boot_and_clear()
        self.update(seconds=3600)
        self.cs.advance(100)
        self.successResultOf(self.cp.stopService())
        self.cs.disconnect()
        self.cp = self.make(self.database)
        self.start()
        self.cs.advance(3499, step=100)
        self.assertEqual(self.transfers.transfers, [])
        self.cs.advance(1)
        self.assertEqual(len(self.transfers.transfers), 1)
        self.assertEqual(self.transfers.last.at, 3600)
        self.transfers.last.succeed()
        self.cs.settle()
        self.assertIn("Installed", self.statuses())

    def test_download_interrupted_by_a_restart_starts_again(self):
        self.boot_and_clear()
        self.update()
        interrupted = self.transfers.last
        self.successResultOf(self.cp.stopService())
        self.assertTrue(interrupted.cancelled)
        self.cs.disconnect()
        self.cp = self.make(self.database)
        self.start()
        self.assertEqual(len(self.transfers.transfers), 2)
        self.transfers.last.succeed()
        self.cs.settle()
        self.assertEqual(self.statuses(), ["Downloading", "Downloading", "Downloaded",
                                           "Installing", "Installed"])


    def test_restart_removes_the_partial_file_of_the_interrupted_download(self):
        """
        A process killed mid-download leaves its temporary file: the next
        start removes it (that download's only) before downloading again.
        """
        self.boot_and_clear()
        self.update()
        left = os.path.join(self.folder, ".charger-2.0.bin.k1ll3d.part")
        others = [os.path.join(self.folder, name) for name in ("other.bin", ".other.bin.x.part")]
        for path in [left, *others]:
            with open(path, "wb") as f:
                f.write(b"partial")
        self.successResultOf(self.cp.stopService())
        self.cs.disconnect()
        self.cp = self.make(self.database)
        self.start()
        self.assertFalse(os.path.exists(left))
        self.assertTrue(all(os.path.exists(path) for path in others))
        self.assertEqual(len(self.transfers.transfers), 2)
        self.transfers.last.fail()
        self.cs.advance(1000, step=100)

    def test_download_resumed_offline_is_reported_downloading_once_online(self):
        """
        After a restart the download begins before the connection is up
        (its Downloading cannot be sent): once accepted, the charge point
        reports Downloading, then the rest as usual.
        """
        self.boot_and_clear()
        # Long past: offline, this test's charge point counts from its
        # clock's 1970 until a boot sets its time.
        self.update(seconds=-2 * 10**9)
        self.successResultOf(self.cp.stopService())
        self.cs.disconnect()
        self.cs.clear()
        self.cp = self.make(self.database)
        self.start(connect=False)
        self.clock.advance(0)
        self.assertEqual(len(self.transfers.transfers), 2)
        self.assertEqual(self.statuses(), [])
        self.cs.connect(self.cp)
        self.cs.settle()
        self.assertEqual(self.statuses(), ["Downloading"])
        self.transfers.last.succeed()
        self.cs.settle()
        self.assertEqual(self.statuses(), ["Downloading", "Downloaded", "Installing", "Installed"])


class DownloadTests(FirmwareTestCase):
    def test_downloaded_installing_installed(self):
        """
        Downloading, Downloaded, Installing, Installed; the version the
        installer gave is the next BootNotification's firmwareVersion.
        """
        self.boot_and_clear()
        self.update()
        self.transfers.last.succeed()
        self.cs.settle()
        self.assertEqual(self.statuses(), ["Downloading", "Downloaded", "Installing", "Installed"])
        self.assertEqual(self.cp._firmware.version(), "2.0")
        # Security Whitepaper chapter 8: FirmwareUpdated, critical: sent.
        self.assertEqual(
            self.cp._security_log.entries()[-1][1:3], ("FirmwareUpdated", "version 2.0")
        )
        self.assertEqual(self.cs.security_events[-1].type, "FirmwareUpdated")

    def test_404_retried_at_the_interval_then_download_failed(self):
        """
        retries 2, retryInterval 30: three attempts, 30 s apart, then
        DownloadFailed; nothing is installed.
        """
        self.boot_and_clear()
        start = self.clock.seconds()
        self.update(retries=2, retry_interval=30)
        for _ in range(3):
            self.transfers.last.fail("HTTP 404 Not Found")
            self.cs.advance(30)
        self.cs.advance(300, step=10)
        self.assertEqual([t.at - start for t in self.transfers.transfers], [0, 30, 60])
        self.assertEqual(self.statuses(), ["Downloading", "DownloadFailed"])
        self.assertEqual(self.installer.installed, [])
        self.assertEqual(self.trigger(), TriggerMessageStatus.ACCEPTED)
        self.assertEqual(self.statuses()[-1], "Idle")

    def test_retry_succeeds(self):
        self.boot_and_clear()
        self.update(retries=1, retry_interval=5)
        self.transfers.last.fail()
        self.assertEqual(self.trigger(), TriggerMessageStatus.ACCEPTED)
        self.assertEqual(self.statuses(), ["Downloading", "Downloading"])
        self.cs.advance(5)
        self.transfers.last.succeed()
        self.cs.settle()
        self.assertEqual(self.statuses()[-3:], ["Downloaded", "Installing", "Installed"])

    def test_no_retries_is_one_attempt(self):
        self.boot_and_clear()
        self.update(retries=0, retry_interval=5)
        self.transfers.last.fail()
        self.cs.advance(100, step=5)
        self.assertEqual(len(self.transfers.transfers), 1)
        self.assertEqual(self.statuses(), ["Downloading", "DownloadFailed"])


class InstallFailedTests(FirmwareTestCase):
    answer = InstallResult.failed("bad signature")

    def test_installation_failed(self):
        self.boot_and_clear()
        self.update()
        self.transfers.last.succeed()
        self.cs.settle()
        self.assertEqual(
            self.statuses(), ["Downloading", "Downloaded", "Installing", "InstallationFailed"]
        )
        self.assertEqual(self.cp._firmware.version(), None)


class InstallVerificationFailedTests(InstallFailedTests):
    """
    UpdateFirmware: OCPP 1.6's FirmwareStatus has no
    InstallVerificationFailed: the installer's failed verification
    (C{InstallResult.verification_failed}) is reported InstallationFailed,
    as L{InstallFailedTests.test_installation_failed} checks.
    """

    answer = InstallResult.verification_failed("checksum mismatch in the image")


class InstallRaisesTests(FirmwareTestCase):
    answer = RuntimeError("flash write error")

    def test_installer_error_is_installation_failed(self):
        self.boot_and_clear()
        self.update()
        self.transfers.last.succeed()
        self.cs.settle()
        self.assertEqual(self.statuses()[-1], "InstallationFailed")
        self.flushLoggedErrors(RuntimeError)


class RebootTests(FirmwareTestCase):
    """
    The simulated charger's installation: its version recorded, a reboot,
    Installed once after the boot.
    """

    answer = None  # the built-in simulated charger installs
    file_database = True

    def test_reboot_then_installed_once_with_the_new_version(self):
        self.boot_and_clear()
        self.update()
        self.transfers.last.succeed(b"version=3.1.4\nimage")
        self.cs.settle()
        self.assertFalse(self.cs.link is None)
        # The reboot closed the connection; the charge point connects again.
        self.assertEqual(self.statuses(), ["Downloading", "Downloaded", "Installing"])
        self.assertTrue(self.cp.running)
        self.cs.connect(self.cp)
        boots = self.cs.requests("BootNotification")
        self.assertEqual(boots[-1].firmware_version, "3.1.4")
        self.assertEqual(self.statuses(), ["Downloading", "Downloaded", "Installing", "Installed"])
        actions = self.cs.actions()
        self.assertLess(actions.index("BootNotification"), actions.index("FirmwareStatusNotification", 3))
        # Once: neither a new connection nor a restart reports it again.
        self.cs.disconnect()
        self.cs.connect(self.cp)
        self.successResultOf(self.cp.restart())
        self.cs.connect(self.cp)
        self.assertEqual(self.statuses().count("Installed"), 1)
        self.assertEqual(self.cs.requests("BootNotification")[-1].firmware_version, "3.1.4")
        self.assertEqual(self.trigger(), TriggerMessageStatus.ACCEPTED)
        self.assertEqual(self.statuses()[-1], "Idle")

    def test_installed_waits_for_an_accepted_boot(self):
        """
        Not connected after the reboot: Installed goes out after the first
        accepted boot, also in a new process on the same file.
        """
        self.boot_and_clear()
        self.update()
        self.transfers.last.succeed(b"version=4.0\n")
        self.cs.settle()
        self.successResultOf(self.cp.stopService())
        self.cp = self.make(self.database)
        self.start()
        self.assertEqual(self.cs.requests("BootNotification")[-1].firmware_version, "4.0")
        self.assertEqual(self.statuses().count("Installed"), 1)

    def test_configured_version_changed_since_wins(self):
        """
        A charge point started later with another configured
        firmwareVersion (a real firmware's launcher) reports that one.
        """
        self.boot_and_clear()
        self.update()
        self.transfers.last.succeed(b"version=4.0\n")
        self.cs.settle()
        self.successResultOf(self.cp.stopService())
        self.cp = self.make(self.database, firmware_version="5.0-real")
        self.start()
        self.assertEqual(self.cs.requests("BootNotification")[-1].firmware_version, "5.0-real")


class InterruptedInstallationTests(FirmwareTestCase):
    file_database = True

    def make_plugins(self):
        from twisted.internet.defer import Deferred

        self.installer = Installer(Deferred())
        return [self.installer]

    def test_installation_interrupted_is_failed_after_the_boot(self):
        """
        Stopped while the installer had not answered: InstallationFailed,
        once, after the next accepted boot.
        """
        self.boot_and_clear()
        self.update()
        self.transfers.last.succeed()
        self.cs.settle()
        self.assertEqual(self.statuses()[-1], "Installing")
        self.assertEqual(self.trigger(), TriggerMessageStatus.ACCEPTED)
        self.assertEqual(self.statuses()[-1], "Installing")
        self.successResultOf(self.cp.stopService())
        self.cs.disconnect()
        self.plugins = [Installer(InstallResult.installed())]
        self.cp = self.make(self.database)
        self.start()
        self.assertEqual(self.statuses()[-1], "InstallationFailed")
        self.cs.disconnect()
        self.cs.connect(self.cp)
        self.assertEqual(self.statuses().count("InstallationFailed"), 1)

    def test_update_during_installation_begins_after_it(self):
        self.boot_and_clear()
        self.update()
        self.transfers.last.succeed()
        self.cs.settle()
        self.update(location="http://fw.example.com/next.bin")
        self.assertEqual(len(self.transfers.transfers), 1)
        self.installer.answer.callback(InstallResult.installed())
        self.cs.settle()
        self.assertEqual(self.transfers.last.url, "http://fw.example.com/next.bin")
        self.assertEqual(self.statuses()[-2:], ["Installed", "Downloading"])
        self.transfers.last.fail()
        self.cs.advance(1000, step=60)


class TransactionInProgressTests(FirmwareTestCase):
    def test_installation_waits_for_the_transaction_to_end(self):
        """
        Downloaded while a transaction runs: the free connector goes
        Unavailable, the installation starts once the transaction ended,
        and the connector is Available again afterwards (5.19). The signed
        update installs through this same code (its class extends this
        one's): L01.FR.06/L01.FR.18 (waiting for the transactions to end)
        and L01.FR.07/L01.FR.19 (the free connectors Unavailable).
        """
        self.boot_and_clear()
        started = self.cp.start_transaction(1, "TAG-1")
        self.cs.settle()
        self.successResultOf(started)
        self.update()
        self.transfers.last.succeed()
        self.cs.settle()
        self.assertEqual(self.statuses(), ["Downloading", "Downloaded"])
        self.assertEqual(self.cp.store.connector(2).status, ChargePointStatus.UNAVAILABLE.value)
        self.assertFalse(self.cp.startable(2))
        self.assertEqual(self.trigger(), TriggerMessageStatus.ACCEPTED)
        self.assertEqual(self.statuses()[-1], "Downloaded")
        self.cs.advance(600, step=60)
        self.assertEqual(self.installer.installed, [])
        stopped = self.cp.stop_transaction(1, "TAG-1")
        self.cs.settle()
        self.successResultOf(stopped)
        self.assertEqual(self.statuses()[-2:], ["Installing", "Installed"])
        self.assertEqual(self.cp.store.connector(2).status, ChargePointStatus.AVAILABLE.value)
        self.cs.advance(10)


    def test_connector_freed_while_waiting_goes_unavailable(self):
        """
        Two transactions: the connector of the first to end goes
        Unavailable once free; the installation starts after the second
        (L01.FR.07/L01.FR.19: any connector that becomes available while
        waiting is set Unavailable).
        """
        self.boot_and_clear()
        for connector in (1, 2):
            started = self.cp.start_transaction(connector, f"TAG-{connector}")
            self.cs.settle()
            self.successResultOf(started)
        self.update()
        self.transfers.last.succeed()
        self.cs.settle()
        stopped = self.cp.stop_transaction(1, "TAG-1")
        self.cs.settle()
        self.successResultOf(stopped)
        self.successResultOf(self.cp.status_notification(1, ChargePointStatus.AVAILABLE))
        self.cs.advance(5)
        self.assertEqual(self.cp.store.connector(1).status, ChargePointStatus.UNAVAILABLE.value)
        self.assertEqual(self.installer.installed, [])
        stopped = self.cp.stop_transaction(2, "TAG-2")
        self.cs.settle()
        self.successResultOf(stopped)
        self.assertEqual(self.statuses()[-2:], ["Installing", "Installed"])
        self.assertEqual(self.cp.store.connector(1).status, ChargePointStatus.AVAILABLE.value)
        self.cs.advance(10)


class TriggerTests(FirmwareTestCase):
    def test_idle_when_idle(self):
        self.boot_and_clear()
        self.assertEqual(self.trigger(), TriggerMessageStatus.ACCEPTED)
        self.assertEqual(self.statuses(), ["Idle"])

    def test_idle_while_waiting_for_the_retrieve_date(self):
        self.boot_and_clear()
        self.update(seconds=600)
        self.trigger()
        self.assertEqual(self.statuses(), ["Idle"])
        self.cs.advance(600, step=60)
        self.transfers.last.succeed()
        self.cs.settle()

    def test_downloading_while_downloading(self):
        self.boot_and_clear()
        self.update()
        self.trigger()
        self.assertEqual(self.statuses(), ["Downloading", "Downloading"])
        self.transfers.last.succeed()
        self.cs.settle()


class HelperTests(SynchronousTestCase):
    def test_install_answers(self):
        self.assertEqual(install_result(True), InstallResult.installed())
        self.assertEqual(install_result("reboot"), InstallResult.reboot())
        self.assertEqual(install_result(False).outcome, "failed")
        self.assertEqual(install_result(None).reason, "no plugin installs firmware")
        self.assertEqual(install_result(42).outcome, "failed")

    def test_file_name_of_a_url_stays_in_the_folder(self):
        self.assertEqual(file_name_of("http://h/a/b/fw-1.bin?x=1", "d"), "fw-1.bin")
        self.assertEqual(file_name_of("http://h/a/..%2F..%2Fetc%2Fpasswd", "d"), "passwd")
        self.assertEqual(file_name_of("http://h/", "d"), "d")
        self.assertEqual(file_name_of("ftp://h/.hidden", "d"), "d")

    def test_simulated_version_from_the_file(self):
        path = self.mktemp()
        with open(path, "wb") as f:
            f.write(b"version=7.7\nrest")
        self.assertEqual(simulated_firmware_version(path), "7.7")
        other = self.mktemp() + "-charger-2.1.bin"
        with open(other, "wb") as f:
            f.write(b"\x00binary")
        self.assertEqual(simulated_firmware_version(other), os.path.basename(other)[:-4][:50])


class CountedNotFound(Resource):
    """
    Answers 404 to everything, counting the requests.
    """

    isLeaf = True

    def __init__(self):
        super().__init__()
        self.count = 0

    def render_GET(self, request):
        self.count += 1
        request.setResponseCode(404)
        return b"not here"


class FirmwareLoopbackTests(LoopbackTransferMixin, TestCase):
    """
    UpdateFirmware end to end: over a real WebSocket connection, the
    firmware fetched from a twisted.web server on loopback.
    """

    async def serve(self, data=b"version=9.9-loop\nimage bytes"):
        self.web = WebServer(data)
        self.missing = CountedNotFound()
        self.web.site.resource.putChild(b"gone", self.missing)
        base = self.web.start()
        self.addCleanup(self.web.stop)
        return base

    async def update(self, location, **fields):
        request = UpdateFirmwareRequest(
            location=location, retrieve_date=self.cp.now() - timedelta(seconds=1), **fields
        )
        await self.cs.session.call(request)

    async def test_http_download_install_reboot_installed(self):
        """
        Downloaded over HTTP, installed by the simulated charger, which
        reboots: the new boot reports the file's version, then Installed.
        """
        base = await self.serve()
        await self.start_charge_point()
        installed = self.until("FirmwareStatusNotification", "Installed")
        await self.update(base + "/fw.bin")
        await installed
        self.assertEqual(
            self.statuses("FirmwareStatusNotification"),
            ["Downloading", "Downloaded", "Installing", "Installed"],
        )
        self.assertEqual(self.cs.requests("BootNotification")[-1].firmware_version, "9.9-loop")
        self.assertEqual(len(self.cs.requests("BootNotification")), 2)

    async def test_404_with_retries_then_download_failed(self):
        """
        A 404 firmware URL, retries 2, retryInterval 0: three requests to
        the server, then DownloadFailed.
        """
        base = await self.serve()
        await self.start_charge_point()
        failed = self.until("FirmwareStatusNotification", "DownloadFailed")
        await self.update(base + "/gone/fw.bin", retries=2, retry_interval=0)
        await failed
        self.assertEqual(self.missing.count, 3)
        self.assertEqual(self.statuses("FirmwareStatusNotification"), ["Downloading", "DownloadFailed"])


    async def test_https_from_a_private_ca_with_transfer_ca_certificates(self):
        """
        An HTTPS firmware server whose certificate a private CA issued:
        trusted with --transfer-ca-certificates naming that CA, downloaded
        and installed.
        """
        from tests.transport.certificates import tls_files

        web = WebServer(b"version=9.9-tls\nimage bytes")
        base = web.start(tls=True)
        self.addCleanup(web.stop)
        await self.start_charge_point(transfer_ca_certificates=str(tls_files().ca))
        installed = self.until("FirmwareStatusNotification", "Installed")
        await self.update(base + "/fw.bin")
        await installed
        self.assertEqual(
            self.statuses("FirmwareStatusNotification"),
            ["Downloading", "Downloaded", "Installing", "Installed"],
        )
        self.assertEqual(self.cs.requests("BootNotification")[-1].firmware_version, "9.9-tls")

    async def test_https_from_a_private_ca_without_its_bundle_is_download_failed(self):
        """
        Without --transfer-ca-certificates the platform's CAs decide: the
        private CA's certificate is refused, DownloadFailed, nothing left
        in the download folder.
        """
        from twisted.logger import formatEvent, globalLogPublisher

        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        web = WebServer(b"image")
        base = web.start(tls=True)
        self.addCleanup(web.stop)
        await self.start_charge_point()
        failed = self.until("FirmwareStatusNotification", "DownloadFailed")
        await self.update(base + "/fw.bin", retries=0)
        await failed
        self.assertEqual(self.statuses("FirmwareStatusNotification"), ["Downloading", "DownloadFailed"])
        self.assertTrue(
            any("certificate verify failed" in formatEvent(e) for e in events), "no TLS reason"
        )
        folder = self.cp.config.download_folder
        self.assertEqual(os.listdir(folder) if os.path.isdir(folder) else [], [])

    async def test_no_log_line_holds_the_password_of_the_location(self):
        """
        UpdateFirmware from C{http://fw:secret@...} answered 404: every log
        line (the request, each attempt, DownloadFailed's reason) names the
        location with its password hidden; the credentials went as HTTP
        Basic authentication, not in the host name.
        """
        from twisted.logger import formatEvent, globalLogPublisher

        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        base = await self.serve()
        await self.start_charge_point()
        failed = self.until("FirmwareStatusNotification", "DownloadFailed")
        location = base.replace("http://", "http://fw:secret@") + "/gone/fw.bin"
        await self.update(location, retries=1, retry_interval=0)
        await failed
        self.assertEqual(self.missing.count, 2)
        lines = [formatEvent(event) for event in events]
        self.assertTrue(any("fw:***@" in line for line in lines), lines)
        self.assertTrue(any("HTTP 404 Not Found" in line for line in lines), lines)
        self.assertEqual([line for line in lines if "secret" in line], [])


class Observer:
    """
    A central system plugin firing a Deferred when a request of an action
    (and status) was handled.
    """

    def __init__(self):
        self.waiters = []

    def until(self, action, status):
        from twisted.internet.defer import Deferred

        waiter = Deferred()
        self.waiters.append((action, status, waiter))
        return waiter

    @hookimpl
    def openocpp_cs_request_handled(self, charge_point, request, response):
        for waiter in list(self.waiters):
            if waiter[0] == request.action and waiter[1] == getattr(request, "status", None):
                self.waiters.remove(waiter)
                waiter[2].callback(request)


class CentralSystemFirmwareTests(TestCase):
    """
    UpdateFirmware and GetDiagnostics sent by openocpp's own central system
    (its proxy), which records the notifications.
    """

    timeout = 30

    async def test_update_firmware_and_get_diagnostics(self):
        from twisted.internet import reactor

        from openocpp.centralsystem.config import CentralSystemConfig
        from openocpp.centralsystem.service import CentralSystem
        from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
        from openocpp.chargepoint.config import ChargePointConfig
        from openocpp.chargepoint.service import ChargePoint
        from openocpp.plugins import make_plugin_manager

        web = WebServer(b"version=cs-1.0\n")
        base = web.start()
        self.addCleanup(web.stop)
        central = CentralSystem(
            CentralSystemConfig(listen="tcp:0:interface=127.0.0.1", database=":memory:",
                                accept_any_id_tag=True, ping_interval=0),
            reactor=reactor,
            load_entrypoints=False,
        )
        observer = Observer()
        central.plugins.register(observer, name="observer")
        central.startService()
        self.addCleanup(central.stopService)
        port = (await central.when_listening()).getHost().port
        config = ChargePointConfig(url=f"ws://127.0.0.1:{port}/openocpp", database=self.mktemp(),
                                   download_folder=self.mktemp(), reconnect_initial_delay=0.05,
                                   reconnect_max_delay=0.2)
        plugins = make_plugin_manager(builtins=[DefaultChargePointBehaviour()], load_entrypoints=False)
        cp = ChargePoint(config, reactor=reactor, plugins=plugins)
        booted = observer.until("StatusNotification", "Available")
        cp.startService()
        self.addCleanup(cp.store.close)
        self.addCleanup(cp.stopService)
        proxy = await central.when_connected("CP001")
        await booted
        installed = observer.until("FirmwareStatusNotification", "Installed")
        await proxy.update_firmware(base + "/fw.bin", cp.now() - timedelta(seconds=1))
        await installed
        reports = [(r["kind"], r["status"]) for r in central.store.status_reports("CP001")]
        self.assertEqual(reports, [("FirmwareStatusNotification", s)
                                   for s in ("Downloading", "Downloaded", "Installing", "Installed")])
        proxy = await central.when_connected("CP001")
        uploaded = observer.until("DiagnosticsStatusNotification", "Uploaded")
        answer = await proxy.get_diagnostics(base + "/upload/")
        await uploaded
        self.assertIn(b"/upload/" + answer.file_name.encode(), web.sink.received)
