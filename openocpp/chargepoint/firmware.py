"""
Firmware updates (OCPP 1.6 sections 4.5 and 5.19, errata 3.12, 3.47-3.49):
UpdateFirmware is answered at once; at its retrieveDate the firmware is
downloaded (with the request's retries, retryInterval apart), then
installed by the site's C{openocpp_cp_install_firmware} hook, and every step
is told to the central system with a FirmwareStatusNotification.req:
Downloading, then Downloaded or DownloadFailed, then Installing, then
Installed or InstallationFailed.

What the update has reached is kept in the charge point's SQLite file
(its C{meta} table), so that a restart changes nothing the central system
can see: an update waiting for its retrieveDate still starts at that date,
an interrupted download starts again, and an installation that ended in a
reboot is reported Installed once, after the BootNotification that follows
it was accepted.

Transactions in progress (5.19): "If it is not possible to continue
charging during installation of firmware, it is RECOMMENDED to wait until
Charging Session has ended (Charge Point idle) before commencing
installation. It is RECOMMENDED to set connectors that are not in use to
UNAVAILABLE while the Charge Point waits for the Session to end." The stack
cannot know whether charging could go on, so it always waits: once
Downloaded, the connectors that are Available go Unavailable (those freed
while it waits too, looked at every few seconds), the installation starts
when the last transaction ended, and those connectors are Available again
once it is over (after the reboot, if there is one).

A new UpdateFirmware replaces the one pending (waiting for its date,
downloading, or downloaded and waiting for transactions): the central
system's latest word is the firmware it wants; the replaced one gets no
further notification. An installation already running cannot be taken
back: a request arriving then is kept and begins once the installation is
over (and reported, after a reboot).
"""

import os
import posixpath
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

from twisted.internet.defer import Deferred, fail, inlineCallbacks
from twisted.logger import Logger

from openocpp.messages import (
    FirmwareStatusNotificationRequest,
    UpdateFirmwareResponse,
    codec,
)
from openocpp.messages.enums import ChargePointStatus, FirmwareStatus, MessageTrigger
from openocpp.messages.errors import ErrorCode
from openocpp.rpc.errors import CallError
from openocpp.transfer.errors import redact
from openocpp.transfer.files import remove_file

#: The URL schemes the transfers support (section 8: FTP, HTTP, HTTPS).
TRANSFER_SCHEMES = frozenset({"ftp", "http", "https"})

#: Retries when the request gives none (the charge point decides, 6.55).
DEFAULT_RETRIES = 2

#: Seconds between attempts when the request gives no retryInterval.
DEFAULT_RETRY_INTERVAL = 60

#: The longest firmwareVersion a BootNotification.req carries (6.3).
_VERSION_LIMIT = 50

_log = Logger()

#: Seconds between looks at the connectors while an installation waits for
#: transactions to end.
_SWEEP_INTERVAL = 5.0

_VERSION = "firmware_version"


def check_transfer_url(action: str, location: str) -> None:
    """
    Refuse a location the transfers cannot use.

    @raise CallError: PropertyConstraintViolation saying why.
    """
    try:
        parts = urlsplit(location)
        parts.port  # raises on a port out of range
        usable = parts.scheme.lower() in TRANSFER_SCHEMES and bool(parts.hostname)
    except ValueError:  # a malformed port or IPv6 address
        usable = False
    if not usable:
        problem = (
            f"{action}: location must be an ftp://, http:// or https:// URL with a host, "
            f"not {redact(location)!r}"
        )
        _log.info("Answering a CALLERROR: {problem}", problem=problem)
        raise CallError(ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, problem)


def attempts_and_interval(retries: int | None, interval: int | None) -> tuple[int, int]:
    """
    The attempts a transfer gets (the first one and C{retries} more) and the
    seconds between them, with the charge point's own choice where the
    request leaves it (6.25, 6.55); negative numbers count as 0.
    """
    retries = DEFAULT_RETRIES if retries is None else max(0, retries)
    interval = DEFAULT_RETRY_INTERVAL if interval is None else max(0, interval)
    return retries + 1, interval


@dataclass(frozen=True, slots=True)
class InstallResult:
    """
    What an C{openocpp_cp_install_firmware} hook answers.

    @ivar outcome: C{"installed"}, C{"failed"}, C{"verification_failed"}
        (the installer's own check of the new firmware, e.g. a checksum,
        failed and it was not installed) or C{"reboot"} (installed; the
        stack reboots through its Reset machinery, and reports Installed
        once booted again).
    @ivar reason: why it failed (one line), or C{None}.
    @ivar version: the firmware version installed: the charge point's
        firmwareVersion in the next BootNotification.req, or C{None} to keep
        the one it has.
    """

    outcome: str
    reason: str | None = None
    version: str | None = None

    @classmethod
    def installed(cls, version: str | None = None) -> "InstallResult":
        return cls("installed", version=version)

    @classmethod
    def failed(cls, reason: str) -> "InstallResult":
        return cls("failed", reason=reason)

    @classmethod
    def verification_failed(cls, reason: str) -> "InstallResult":
        """
        The installer verified the new firmware (a checksum, a signature of
        its own) and it failed: nothing installed.  Reported
        InstallVerificationFailed for a SignedUpdateFirmware (Security
        Whitepaper edition 2, FirmwareStatusEnumType), InstallationFailed
        for an UpdateFirmware (OCPP 1.6's FirmwareStatus has no such value).
        """
        return cls("verification_failed", reason=reason)

    @classmethod
    def reboot(cls, version: str | None = None) -> "InstallResult":
        return cls("reboot", version=version)


def install_result(answer: Any) -> InstallResult:
    """
    Read a hook's answer: an L{InstallResult}, C{True} (installed),
    C{False} (failed), or one of the outcome names; C{None} (no plugin
    installs firmware) and anything else fail.
    """
    if isinstance(answer, InstallResult) and answer.outcome in (
            "installed", "failed", "verification_failed", "reboot"):
        return answer
    if answer is True:
        return InstallResult.installed()
    if answer is False:
        return InstallResult.failed("refused by the installer")
    if answer in ("installed", "reboot"):
        return InstallResult(answer)
    if answer is None:
        return InstallResult.failed("no plugin installs firmware")
    return InstallResult.failed(f"the installer answered {answer!r}")


def file_name_of(location: str, default: str) -> str:
    """
    The file name a URL ends with, safe to join to a folder (no folder
    part, no dot files), or C{default}.
    """
    name = posixpath.basename(unquote(urlsplit(location).path))
    name = name.replace("\\", "_").replace("\x00", "")
    if not name or name.startswith("."):
        return default
    return name[:200]


class FirmwareStore:
    """
    What a firmware update has reached, in the charge point's SQLite file
    (its C{meta} table: one row for the update, one for the update waiting
    behind an installation, one for the installed version).

    @param store: the L{openocpp.chargepoint.store.ChargePointStore}.
    @param prefix: the C{meta} keys' prefix (another for signed updates).
    """

    def __init__(self, store: Any, prefix: str = "firmware") -> None:
        self._store = store
        self._state_key = f"{prefix}_update"
        self._next_key = f"{prefix}_update_next"

    def state(self) -> dict | None:
        return self._store.get_meta(self._state_key)

    def set_state(self, state: dict | None) -> None:
        self._store.set_meta(self._state_key, state)

    def next(self) -> dict | None:
        return self._store.get_meta(self._next_key)

    def set_next(self, state: dict | None) -> None:
        self._store.set_meta(self._next_key, state)

    def version(self, configured: str | None) -> str | None:
        """
        The firmware version the charge point runs: the one an installation
        reported, unless the configured one changed since (a newer
        C{--firmware-version} wins), else the configured one.
        """
        recorded = self._store.get_meta(_VERSION)
        if recorded and recorded.get("configured") == configured:
            return recorded["version"]
        return configured

    def set_version(self, version: str, configured: str | None) -> None:
        self._store.set_meta(_VERSION, {"version": version, "configured": configured})


class FirmwareUpdates:
    """
    Carries out UpdateFirmware requests.

    L{openocpp.chargepoint.signedfirmware.SignedFirmwareUpdates} shares
    the machinery (wait, download, install when idle, reboot, report after
    boot) through the steps it overrides: L{_scheduled},
    L{_after_download}, L{_before_reboot} and L{_notify}.

    @param store: the L{openocpp.chargepoint.store.ChargePointStore}.
    @param connectors: the L{openocpp.chargepoint.connectors.Connectors}.
    @param status: the L{openocpp.chargepoint.status.StatusReporter} (its
        C{set}: connectors Unavailable while an installation waits).
    @param clock: the C{twisted.internet.interfaces.IReactorTime}.
    @param now: returns the charge point's time (an aware datetime).
    @param send: C{send(request, triggered=False)} sends a request.
    @param hook: C{hook(name, **kwargs)} asks the plugins; a Deferred.
    @param transfers: returns the L{openocpp.transfer.interfaces.ITransfers}
        to download with (asked when first needed).
    @param reboot: reboots the charge point (the Reset machinery).
    @param folder: the folder firmware is downloaded to (made when needed).
    @param max_bytes: the largest firmware file accepted.
    @param configured_version: returns the configured firmwareVersion, or
        C{None}.
    @param security_event: C{security_event(kind, tech_info)} raises a
        security event (FirmwareUpdated once a firmware is installed).
    """

    log = Logger()

    #: The prefix of the C{meta} keys of the update's state.
    _state_prefix = "firmware"

    def __init__(
        self,
        store: Any,
        connectors: Any,
        status: Any,
        clock: Any,
        now: Callable[[], Any],
        send: Callable[..., Deferred],
        hook: Callable[..., Deferred],
        transfers: Callable[[], Any],
        reboot: Callable[[], Any],
        folder: str,
        max_bytes: int,
        configured_version: Callable[[], str | None],
        security_event: Callable[..., None] = lambda kind, tech_info=None: None,
    ) -> None:
        self._store = FirmwareStore(store, self._state_prefix)
        self._security_event = security_event
        self._connectors = connectors
        self._status = status
        self._clock = clock
        self._now = now
        self._send = send
        self._hook = hook
        self._transfers = transfers
        self._reboot = reboot
        self._folder = folder
        self._max_bytes = max_bytes
        self._configured_version = configured_version
        self._timer = None
        #: The transfer (or installation) in flight: answers from any other
        #: are those of an update replaced or stopped meanwhile.
        self._work: Deferred | None = None
        self._running = False

    def handlers(self) -> dict:
        """
        @return: the request handlers by action.
        """
        return {"UpdateFirmware": self.update_firmware}

    def triggers(self) -> dict:
        """
        @return: what TriggerMessage sends, by L{MessageTrigger}.
        """
        return {MessageTrigger.FIRMWARE_STATUS_NOTIFICATION: self.trigger}

    def version(self) -> str | None:
        """
        @return: the firmwareVersion of the next BootNotification.req.
        """
        return self._store.version(self._configured_version())

    # -- requests -------------------------------------------------------------

    def update_firmware(self, request: Any) -> UpdateFirmwareResponse:
        check_transfer_url("UpdateFirmware", request.location)
        attempts, interval = attempts_and_interval(request.retries, request.retry_interval)
        update = {
            "location": request.location,
            "retrieve_date": codec.format_datetime(request.retrieve_date),
            "attempts": attempts,
            "interval": interval,
            "phase": "waiting",
        }
        current = self._store.state()
        if current is not None and current["phase"] in ("installing", "rebooting", "report"):
            self._store.set_next(update)
            self.log.info(
                "UpdateFirmware from {location} begins after the installation in progress",
                location=redact(request.location),
            )
        else:
            if current is not None:
                self.log.info(
                    "UpdateFirmware from {location} replaces the pending update from {old}",
                    location=redact(request.location),
                    old=redact(current["location"]),
                )
                self._abandon(current)
            self._store.set_state(update)
            self.log.info(
                "UpdateFirmware from {location} at {date} accepted ({attempts} attempts, "
                "{interval} s apart)",
                location=redact(request.location),
                date=update["retrieve_date"],
                attempts=attempts,
                interval=interval,
            )
            if self._running:
                self._wait(update)
        return UpdateFirmwareResponse()

    # -- service ------------------------------------------------------------------

    def start(self) -> None:
        """
        The charge point starts: go on from what the update had reached.
        """
        self._running = True
        state = self._store.state()
        if state is None:
            self._begin_next()
            return
        phase = state["phase"]
        if phase == "waiting":
            self._wait(state)
        elif phase == "downloading":
            self.log.info("A restart interrupted the firmware download: downloading again")
            self._remove_partial(state)
            state["phase"] = "waiting"
            self._store.set_state(state)
            self._wait(state)
        elif phase == "downloaded":
            self._later(0, self._install_when_idle)
        elif phase == "installing":
            # The hook never answered before the stop: nothing says it
            # installed anything.
            self._report_after_boot(state, FirmwareStatus.INSTALLATION_FAILED,
                                    "interrupted by a restart")
        elif phase == "rebooting":
            self._security_event("FirmwareUpdated", f"version {self.version()}")
            self._report_after_boot(state, FirmwareStatus.INSTALLED, None)

    def _remove_partial(self, state: dict) -> None:
        # What a process killed mid-download left: the download starts again
        # in a new temporary file.
        from openocpp.transfer.files import remove_partial_files

        removed = remove_partial_files(self._destination(state))
        if removed:
            self.log.info(
                "Removed {count} partial firmware file(s) of the interrupted download",
                count=removed,
            )

    def stop(self) -> None:
        """
        The charge point stops: timers and transfers end, what the update
        reached stays stored.
        """
        self._running = False
        self._cancel()

    def online(self) -> None:
        """
        Accepted by the central system (after a boot, or connected again):
        a result waiting for the boot goes out.
        """
        state = self._store.state()
        if state is None:
            return
        if state["phase"] == "report":
            self._send_report(state, triggered=False)
        elif state["phase"] == "downloading" and self._running:
            # Its Downloading may have been sent while offline (a download
            # resumed at a restart begins before the connection): told now.
            self._notify(FirmwareStatus.DOWNLOADING)
        elif state["phase"] == "waiting" and self._running:
            # The charge point's time may have just been set by the
            # central system's: the retrieveDate is counted again from it.
            self._wait(state)

    def transaction_ended(self, connector: int) -> None:
        """
        A transaction ended: the installation waiting for it may start.
        """
        state = self._store.state()
        if state is not None and state["phase"] == "downloaded" and self._running:
            self._later(0, self._install_when_idle)

    # -- trigger -------------------------------------------------------------------

    def current_status(self) -> FirmwareStatus:
        """
        What the update is doing: Idle unless it is downloading, waiting to
        install, installing, or has a result waiting for the boot.
        """
        state = self._store.state()
        phase = None if state is None else state["phase"]
        if phase == "downloading":
            return FirmwareStatus.DOWNLOADING
        if phase == "downloaded":
            return FirmwareStatus.DOWNLOADED
        if phase in ("installing", "rebooting"):
            return FirmwareStatus.INSTALLING
        if phase == "report":
            return FirmwareStatus(state["report"])
        return FirmwareStatus.IDLE

    @inlineCallbacks
    def trigger(self):
        """
        Send the FirmwareStatusNotification.req a TriggerMessage asked for:
        a plugin's C{openocpp_cp_firmware_status} answer, else the update's
        own status (Idle only when idle, 4.5). A result waiting for the boot
        that goes out so is not sent again.
        """
        status = yield self._hook("openocpp_cp_firmware_status")
        if status is None:
            state = self._store.state()
            if state is not None and state["phase"] == "report":
                self._send_report(state, triggered=True)
                return
            status = self.current_status()
        yield self._notify(FirmwareStatus(status), triggered=True)

    # -- the steps -----------------------------------------------------------------

    def _later(self, delay: float, function: Any, *args: Any) -> None:
        self._cancel_timer()
        self._timer = self._clock.callLater(delay, function, *args)

    def _cancel_timer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def _cancel(self) -> None:
        self._cancel_timer()
        work, self._work = self._work, None
        if work is not None:
            work.cancel()

    def _wait(self, state: dict) -> None:
        retrieve = _parse(state["retrieve_date"])
        delay = max(0.0, (retrieve - self._now()) / timedelta(seconds=1))
        if delay:
            self.log.info("Firmware download waits {delay} s for its retrieveDate", delay=delay)
            self._scheduled(state)
        self._later(delay, self._download, state, 1)

    def _scheduled(self, state: dict) -> None:
        """
        The download waits for its retrieveDate (nothing to tell here).
        """

    def _after_download(self, state: dict) -> None:
        """
        The file is downloaded: install it once the charge point is idle.
        """
        self._install_when_idle()

    def _before_reboot(self, state: dict) -> Any:
        """
        What precedes the reboot after an installation (nothing here).

        @return: a Deferred (or a value) the reboot waits for.
        """
        return None

    def _destination(self, state: dict) -> str:
        return os.path.join(self._folder, file_name_of(state["location"], "firmware.bin"))

    def _download(self, state: dict, attempt: int) -> None:
        self._timer = None
        if attempt == 1:
            state["phase"] = "downloading"
            self._store.set_state(state)
            self._notify(FirmwareStatus.DOWNLOADING)
        path = self._destination(state)
        self.log.info(
            "Downloading firmware from {location} (attempt {attempt} of {attempts})",
            location=redact(state["location"]),
            attempt=attempt,
            attempts=state["attempts"],
        )
        try:
            os.makedirs(self._folder, exist_ok=True)
            work = self._transfers().download(state["location"], path, max_bytes=self._max_bytes)
        except Exception as error:
            work = _failed(error)
        self._work = work
        work.addCallbacks(
            self._downloaded, self._download_failed,
            callbackArgs=(work, state, path), errbackArgs=(work, state, attempt, path),
        )

    def _downloaded(self, size: int, work: Deferred, state: dict, path: str) -> None:
        if work is not self._work:
            return
        self._work = None
        self.log.info("Firmware downloaded: {path} ({size} bytes)", path=path, size=size)
        state["phase"] = "downloaded"
        state["path"] = path
        self._store.set_state(state)
        self._notify(FirmwareStatus.DOWNLOADED)
        self._after_download(state)

    def _download_failed(self, failure: Any, work: Deferred, state: dict, attempt: int,
                         path: str) -> None:
        if work is not self._work:
            return  # replaced or stopped meanwhile
        self._work = None
        reason = _reason(failure)
        remove_file(path)
        if attempt < state["attempts"]:
            self.log.info(
                "Firmware download failed ({reason}): again in {interval} s",
                reason=reason,
                interval=state["interval"],
            )
            self._later(state["interval"], self._download, state, attempt + 1)
            return
        self.log.warn(
            "Firmware download from {location} failed after {attempts} attempts: {reason}",
            location=redact(state["location"]),
            attempts=attempt,
            reason=reason,
        )
        self._finish(state, FirmwareStatus.DOWNLOAD_FAILED)

    def _install_when_idle(self) -> None:
        self._timer = None
        state = self._store.state()
        if state is None or state["phase"] != "downloaded":
            return
        running = self._connectors.running()
        if running:
            blocked = set(state.get("blocked", []))
            for connector in self._connectors.outlets():
                if (self._connectors.transaction(connector) is None
                        and self._connectors.status(connector) is ChargePointStatus.AVAILABLE):
                    self._status.set(connector, ChargePointStatus.UNAVAILABLE)
                    blocked.add(connector)
            if "blocked" not in state or state["blocked"] != sorted(blocked):
                state["blocked"] = sorted(blocked)
                self._store.set_state(state)
                self.log.info(
                    "Firmware installation waits for {count} transaction(s) to end",
                    count=len(running),
                )
            # Again in a while: a connector freed meanwhile (Available once
            # the cable is out) is made Unavailable too.
            self._later(_SWEEP_INTERVAL, self._install_when_idle)
            return
        self._install(state)

    @inlineCallbacks
    def _install(self, state: dict):
        state["phase"] = "installing"
        self._store.set_state(state)
        installing = self._notify(FirmwareStatus.INSTALLING)
        self.log.info("Installing firmware {path}", path=state["path"])
        work = self._hook(
            "openocpp_cp_install_firmware", path=state["path"], location=state["location"]
        )
        self._work = work
        try:
            answer = yield work
        except Exception as error:
            if work is not self._work:
                return
            result = InstallResult.failed(_reason(error))
        else:
            if work is not self._work:
                return
            result = install_result(answer)
        self._work = None
        if result.version is not None:
            self._record_version(result.version)
        if result.outcome in ("failed", "verification_failed"):
            self.log.warn("Firmware installation failed: {reason}", reason=result.reason)
            self._finish(state, self._failed_status(result))
        elif result.outcome == "installed":
            self.log.info("Firmware installed (version {version})", version=self.version())
            self._security_event("FirmwareUpdated", f"version {self.version()}")
            self._finish(state, FirmwareStatus.INSTALLED)
        else:
            state["phase"] = "rebooting"
            self._store.set_state(state)
            # Installing reaches the central system before the reboot cuts
            # the connection (answered, or its call timed out).
            yield installing
            yield self._before_reboot(state)
            if not self._running or (self._store.state() or {}).get("phase") != "rebooting":
                return
            self.log.info("Firmware installed: rebooting")
            try:
                yield self._reboot()
            except Exception:
                # Installed is reported after the next start, whenever it is.
                self.log.failure("The reboot after the firmware installation failed")

    def _failed_status(self, result: InstallResult) -> Any:
        """
        The status a failed installation is reported with: InstallationFailed
        (OCPP 1.6's FirmwareStatus has no InstallVerificationFailed).
        """
        return FirmwareStatus.INSTALLATION_FAILED

    def _record_version(self, version: str) -> None:
        version = str(version)
        if not version or len(version) > _VERSION_LIMIT:
            self.log.warn(
                "Firmware version {version!r} ignored: 1 to {limit} characters",
                version=version,
                limit=_VERSION_LIMIT,
            )
            return
        self._store.set_version(version, self._configured_version())

    def _report_after_boot(self, state: dict, status: FirmwareStatus, reason: str | None) -> None:
        if reason is not None:
            self.log.warn("Firmware installation failed: {reason}", reason=reason)
        state["phase"] = "report"
        state["report"] = status.value
        self._store.set_state(state)

    def _send_report(self, state: dict, triggered: bool) -> None:
        status = FirmwareStatus(state["report"])

        def sent(_):
            if (self._store.state() or {}).get("phase") == "report":
                self._finish(state, status, notify=False)

        # Told once: the state goes when the central system answered; a
        # notification that did not reach it is sent after the next boot.
        self._notify(status, triggered=triggered).addCallback(
            lambda delivered: sent(None) if delivered else None
        )

    def _finish(self, state: dict, status: FirmwareStatus, notify: bool = True) -> None:
        if notify:
            self._notify(status)
        self._release_connectors(state)
        path = state.get("path")
        if path is not None:
            remove_file(path)
        self._store.set_state(None)
        self._begin_next()

    def _abandon(self, state: dict) -> None:
        self._cancel()
        self._release_connectors(state)
        if state.get("path"):
            remove_file(state["path"])

    def _release_connectors(self, state: dict) -> None:
        for connector in state.get("blocked", []):
            if (self._connectors.status(connector) is ChargePointStatus.UNAVAILABLE
                    and self._connectors.operative(connector)):
                self._status.set(connector, ChargePointStatus.AVAILABLE)

    def _begin_next(self) -> None:
        update = self._store.next()
        if update is None:
            return
        self._store.set_next(None)
        self._store.set_state(update)
        self.log.info(
            "The firmware update from {location} begins", location=redact(update["location"])
        )
        if self._running:
            self._wait(update)

    def _notify(self, status: FirmwareStatus, triggered: bool = False) -> Deferred:
        """
        Send a FirmwareStatusNotification.req.

        @return: a Deferred firing with whether the central system answered.
        """
        self.log.info("Firmware status {status}", status=status.value)

        def failed(failure):
            self.log.info(
                "FirmwareStatusNotification {status} not sent: {error}",
                status=status.value,
                error=failure.getErrorMessage(),
            )
            return False

        request = FirmwareStatusNotificationRequest(status=status)
        try:
            sending = self._send(request, triggered=triggered)
        except Exception as error:
            sending = _failed(error)
        return sending.addCallbacks(lambda _: True, failed)


def _parse(text: str) -> datetime:
    # What codec.format_datetime wrote: RFC 3339 in UTC, with a "Z".
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def _failed(error: BaseException) -> Deferred:
    return fail(error)


def _reason(failure: Any) -> str:
    """
    One line saying why a transfer or an installation failed.
    """
    error = getattr(failure, "value", failure)
    reason = getattr(error, "reason", None)
    if isinstance(reason, str) and reason:
        return redact(reason)
    text = str(error) or type(error).__name__
    return redact(text.splitlines()[0]) if text else type(error).__name__


