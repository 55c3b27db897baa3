"""
Diagnostics (OCPP 1.6 sections 4.4 and 5.9, errata 3.31): GetDiagnostics
is answered with the name of the file to be uploaded (none when there is
no diagnostics information, 5.9), then the file is uploaded to the
request's location with its retries, and the central system is told with
DiagnosticsStatusNotification.req: Uploading, then Uploaded or UploadFailed.

The file is the C{openocpp_cp_diagnostics_file} hook's, or by default a zip
of:
  - C{log.txt}: the charge point's recent log events within the request's
    startTime/stopTime. The stack writes no log file of its own (C{twistd}
    decides where logs go), so a L{LogRing} observer keeps the last
    L{LOG_EVENTS} events in memory while the charge point runs;
  - C{database.json}: an extract of its SQLite file: the connectors, the
    queued transaction messages, the transactions (the last
    L{TRANSACTIONS} overlapping the time window) and the configuration
    keys, without the write-only ones (AuthorizationKey), as GetConfiguration
    shows them.

The extract and the log events in the window are taken on the reactor
thread (a few bounded queries, a copy of the ring); the events are
formatted and the zip written in a thread, so that a large log does not
hold the reactor.

A GetDiagnostics arriving while an upload runs replaces it: the running one
is abandoned without a further notification.
"""

import collections
import json
import os
import time
import zipfile
from datetime import datetime, timezone
from typing import Any, Callable

from twisted.internet.defer import Deferred, fail, inlineCallbacks, maybeDeferred
from twisted.logger import ILogObserver, Logger, formatEvent
from zope.interface import implementer

from openocpp.chargepoint.firmware import attempts_and_interval, check_transfer_url
from openocpp.chargepoint.ocppconfig import configuration_keys
from openocpp.messages import (
    DiagnosticsStatusNotificationRequest,
    GetDiagnosticsResponse,
    codec,
)
from openocpp.messages.enums import DiagnosticsStatus, MessageTrigger
from openocpp.transfer.errors import redact

#: Log events the charge point keeps in memory for its diagnostics.
LOG_EVENTS = 2000

#: Transactions the database extract holds at most (the latest).
TRANSACTIONS = 200


@implementer(ILogObserver)
class LogRing:
    """
    A log observer keeping the last C{size} events.

    Observing costs one append per event: events are formatted when a
    diagnostics file asks for them, except failures, formatted (with their
    traceback) as they come, so that no kept event holds a traceback's
    frames alive.

    @param size: how many events it keeps.
    """

    def __init__(self, size: int = LOG_EVENTS) -> None:
        self._events: collections.deque = collections.deque(maxlen=size)

    def __call__(self, event: dict) -> None:
        if "log_failure" in event:
            try:
                text = f"{formatEvent(event)}\n{event['log_failure'].getTraceback()}"
            except Exception:
                return  # an observer must never raise; an event it cannot read is left out
            event = {
                "log_time": event.get("log_time"),
                "log_level": event.get("log_level"),
                "log_namespace": event.get("log_namespace"),
                "log_text": text,
            }
        self._events.append(event)

    def events(self, start: datetime | None = None, stop: datetime | None = None) -> list[dict]:
        """
        @return: the events logged between C{start} and C{stop} (either may
            be C{None}: no bound), oldest first; quick (no formatting), for
            the reactor thread.
        """
        low = start.timestamp() if start is not None else None
        high = stop.timestamp() if stop is not None else None
        chosen = []
        for event in list(self._events):
            when = event.get("log_time")
            if not isinstance(when, (int, float)):
                continue
            if (low is not None and when < low) or (high is not None and when > high):
                continue
            chosen.append(event)
        return chosen

    def lines(self, start: datetime | None = None, stop: datetime | None = None) -> list[str]:
        """
        @return: L{log_lines} of the L{events} between C{start} and C{stop}.
        """
        return log_lines(self.events(start, stop))


def log_lines(events: list[dict]) -> list[str]:
    """
    Format log events, one line each (a failure's traceback goes on):
    C{2026-03-01T10:00:00.000Z [namespace#level] text}. Slow enough for
    thousands of events to be done in a thread.
    """
    lines = []
    for event in events:
        try:
            text = event.get("log_text")
            if text is None:
                text = formatEvent(event)
            level = event.get("log_level")
            moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(event["log_time"]))
            millis = int(event["log_time"] * 1000) % 1000
            lines.append(
                f"{moment}.{millis:03d}Z "
                f"[{event.get('log_namespace', '-')}#{getattr(level, 'name', level)}] {text}"
            )
        except Exception:
            continue  # an event that cannot be read is left out, not the file
    return lines


def database_extract(store: Any, ocpp_config: Any, start: datetime | None,
                     stop: datetime | None) -> dict:
    """
    The charge point's stored state for a diagnostics file, without
    secrets: the connectors, the queue, the transactions overlapping the
    window (the last L{TRANSACTIONS}) and the readable configuration keys.
    """
    connectors = [
        {
            "connectorId": record.connector_id,
            "status": record.status,
            "errorCode": record.error_code,
            "info": record.info,
            "availability": record.availability,
            "scheduledAvailability": record.scheduled_availability,
        }
        for record in store.connectors()
    ]
    queue = [
        {"seq": message.seq, "action": message.action, "attempts": message.attempts,
         "payload": message.payload}
        for message in store.queued()
    ]
    rows = store._db.execute(
        "SELECT local_id, connector_id, id_tag, meter_start, started_at, reservation_id, "
        "transaction_id, start_state, id_tag_status, stopped_at, stop_reason "
        "FROM transactions ORDER BY local_id DESC LIMIT ?",
        (TRANSACTIONS,),
    ).fetchall()
    transactions = []
    for row in reversed(rows):
        values = dict(row)
        started = _parse(values["started_at"])
        stopped = _parse(values["stopped_at"]) if values["stopped_at"] else None
        if stop is not None and started is not None and started > stop:
            continue
        if start is not None and stopped is not None and stopped < start:
            continue
        transactions.append(values)
    known, _ = configuration_keys(ocpp_config, None)
    configuration = [
        {"key": name, "readonly": readonly, "value": value} for name, readonly, value in known
    ]
    return {
        "connectors": connectors,
        "queue": queue,
        "transactions": transactions,
        "configuration": configuration,
    }


def write_diagnostics_zip(path: str, events: list[dict], extract: dict) -> str:
    """
    Write the default diagnostics file (in a thread: it blocks): the log
    events formatted (L{log_lines}) in C{log.txt}, the extract in
    C{database.json}.

    @return: C{path}.
    """
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    partial = path + ".part"
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        lines = log_lines(events)
        archive.writestr("log.txt", "\n".join(lines) + ("\n" if lines else ""))
        archive.writestr("database.json", json.dumps(extract, indent=1, default=str))
    os.replace(partial, path)
    return path


class Diagnostics:
    """
    Carries out GetDiagnostics requests.

    @param store: the L{openocpp.chargepoint.store.ChargePointStore}.
    @param ocpp_config: the L{openocpp.chargepoint.interfaces.IOcppConfig}.
    @param clock: the C{twisted.internet.interfaces.IReactorTime}.
    @param now: returns the charge point's time (an aware datetime).
    @param send: C{send(request, triggered=False)} sends a request.
    @param hook: C{hook(name, **kwargs)} asks the plugins; a Deferred.
    @param transfers: returns the L{openocpp.transfer.interfaces.ITransfers}
        to upload with (asked when first needed).
    @param folder: where the default file is written (then removed).
    @param identity: the charge point identity (in the file's name).
    @param log_ring: the L{LogRing} of the charge point's log events.
    @param in_thread: C{in_thread(function, *args)} runs blocking work off
        the reactor thread; returns a Deferred of its result.
    """

    log = Logger()

    def __init__(
        self,
        store: Any,
        ocpp_config: Any,
        clock: Any,
        now: Callable[[], datetime],
        send: Callable[..., Deferred],
        hook: Callable[..., Deferred],
        transfers: Callable[[], Any],
        folder: str,
        identity: str,
        log_ring: LogRing,
        in_thread: Callable[..., Deferred],
    ) -> None:
        self._store = store
        self._config = ocpp_config
        self._clock = clock
        self._now = now
        self._send = send
        self._hook = hook
        self._transfers = transfers
        self._folder = folder
        self._identity = identity
        self._ring = log_ring
        self._in_thread = in_thread
        self._timer = None
        self._work: Deferred | None = None
        #: The upload running (a dict), or C{None}: idle.
        self._job: dict | None = None

    def handlers(self) -> dict:
        """
        @return: the request handlers by action.
        """
        return {"GetDiagnostics": self.get_diagnostics}

    def triggers(self) -> dict:
        """
        @return: what TriggerMessage sends, by L{MessageTrigger}.
        """
        return {MessageTrigger.DIAGNOSTICS_STATUS_NOTIFICATION: self.trigger}

    @property
    def uploading(self) -> bool:
        return self._job is not None

    # -- requests ---------------------------------------------------------------------

    @inlineCallbacks
    def get_diagnostics(self, request: Any):
        check_transfer_url("GetDiagnostics", request.location)
        start, stop = request.start_time, request.stop_time
        provided = yield self._hook(
            "openocpp_cp_diagnostics_file", start_time=start, stop_time=stop
        )
        if provided is False or provided == "":
            self.log.info("GetDiagnostics: no diagnostics information to upload")
            return GetDiagnosticsResponse()
        attempts, interval = attempts_and_interval(request.retries, request.retry_interval)
        job = {
            "location": request.location,
            "attempts": attempts,
            "interval": interval,
            "start": start,
            "stop": stop,
        }
        if provided is not None:
            path = str(provided)
            if not os.path.isfile(path):
                self.log.warn(
                    "GetDiagnostics: the file {path} a plugin gave is missing: nothing to upload",
                    path=path,
                )
                return GetDiagnosticsResponse()
            # fileName is a CiString255Type: the upload takes the name answered.
            job.update(path=path, name=os.path.basename(path)[-255:], built=False)
        else:
            self._build_diagnostics(job, start, stop)
        if self._job is not None:
            self.log.info(
                "GetDiagnostics to {location} replaces the upload of {name}",
                location=redact(request.location),
                name=self._job["name"],
            )
            self._abandon()
        self._job = job
        self.log.info(
            "GetDiagnostics: uploading {name} to {location} ({attempts} attempts, "
            "{interval} s apart)",
            name=job["name"],
            location=redact(job["location"]),
            attempts=attempts,
            interval=interval,
        )
        # After the answer: the notifications follow the GetDiagnostics.conf.
        self._timer = self._clock.callLater(0, self._begin, job)
        return GetDiagnosticsResponse(file_name=job["name"])

    def _build_diagnostics(self, job: dict, start: datetime | None, stop: datetime | None) -> None:
        """
        Make C{job} build the default diagnostics file (GetLog's
        DiagnosticsLog too).
        """
        stamp = self._now().astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        name = f"diagnostics-{_safe(self._identity)}-{stamp}.zip"
        job.update(path=os.path.join(self._folder, name), name=name, built=True)
        # Read now, on the reactor thread: the window and the state the
        # request was answered for.
        extract = dict(
            identity=self._identity,
            generatedAt=codec.format_datetime(self._now()),
            startTime=codec.format_datetime(start) if start else None,
            stopTime=codec.format_datetime(stop) if stop else None,
            **database_extract(self._store, self._config, start, stop),
        )
        job["write"] = (write_diagnostics_zip, self._ring.events(start, stop), extract)

    # -- service -----------------------------------------------------------------------

    def start(self) -> None:
        """
        The charge point starts: the default files an earlier run left (a
        process killed while uploading; an upload is not resumed) go.
        """
        prefix = f"diagnostics-{_safe(self._identity)}-"
        try:
            names = os.listdir(self._folder)
        except OSError:
            return
        removed = 0
        for name in names:
            if name.startswith(prefix) and name.endswith((".zip", ".zip.part")):
                try:
                    os.remove(os.path.join(self._folder, name))
                except OSError:
                    continue
                removed += 1
        if removed:
            self.log.info(
                "Removed {count} diagnostics file(s) an earlier run left", count=removed
            )

    def stop(self) -> None:
        """
        The charge point stops: the upload running is abandoned.
        """
        if self._job is not None:
            self._abandon()

    # -- trigger --------------------------------------------------------------------------

    @inlineCallbacks
    def trigger(self):
        """
        Send the DiagnosticsStatusNotification.req a TriggerMessage asked
        for: a plugin's C{openocpp_cp_diagnostics_status} answer, else
        Uploading while an upload runs (its retries included), else Idle
        (4.4: Idle only when not busy uploading).
        """
        status = yield self._hook("openocpp_cp_diagnostics_status")
        if status is None:
            status = DiagnosticsStatus.UPLOADING if self.uploading else DiagnosticsStatus.IDLE
        yield self._notify(DiagnosticsStatus(status), triggered=True)

    # -- the steps ---------------------------------------------------------------------------

    def _begin(self, job: dict) -> None:
        self._timer = None
        self._notify(DiagnosticsStatus.UPLOADING)
        if job["built"]:
            write, *args = job.pop("write")
            work = maybeDeferred(self._in_thread, write, job["path"], *args)
            self._work = work

            def built(_):
                if work is self._work:
                    self._work = None
                    self._attempt(job, 1)

            def failed(failure):
                if work is self._work:
                    self._work = None
                    self.log.warn(
                        "Cannot write the diagnostics file {path}: {error}",
                        path=job["path"],
                        error=failure.getErrorMessage(),
                    )
                    self._end(job, DiagnosticsStatus.UPLOAD_FAILED)

            work.addCallbacks(built, failed)
        else:
            self._attempt(job, 1)

    def _attempt(self, job: dict, attempt: int) -> None:
        self._timer = None
        self.log.info(
            "Uploading {name} to {location} (attempt {attempt} of {attempts})",
            name=job["name"],
            location=redact(job["location"]),
            attempt=attempt,
            attempts=job["attempts"],
        )
        try:
            work = self._transfers().upload(job["location"], job["path"], job["name"])
        except Exception as error:
            work = fail(error)
        self._work = work

        def uploaded(_):
            if work is self._work:
                self._work = None
                self.log.info("Diagnostics {name} uploaded", name=job["name"])
                self._end(job, DiagnosticsStatus.UPLOADED)

        def failed(failure):
            if work is not self._work:
                return
            self._work = None
            reason = _reason(failure)
            if attempt < job["attempts"]:
                self.log.info(
                    "Diagnostics upload failed ({reason}): again in {interval} s",
                    reason=reason,
                    interval=job["interval"],
                )
                self._timer = self._clock.callLater(
                    job["interval"], self._attempt, job, attempt + 1
                )
                return
            self.log.warn(
                "Diagnostics upload to {location} failed after {attempts} attempts: {reason}",
                location=redact(job["location"]),
                attempts=attempt,
                reason=reason,
            )
            self._end(job, DiagnosticsStatus.UPLOAD_FAILED)

        work.addCallbacks(uploaded, failed)

    def _end(self, job: dict, status: DiagnosticsStatus) -> None:
        if self._job is job:
            self._job = None
        self._clean(job)
        self._notify(status)

    def _abandon(self) -> None:
        job, self._job = self._job, None
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()
        work, self._work = self._work, None
        if work is not None:
            # A thread writing the file is not stopped by this: the file it
            # leaves is that of a job no longer running, and goes too.
            work.cancel()
        if job is not None:
            self._clean(job)

    def _clean(self, job: dict) -> None:
        if job["built"]:
            for path in (job["path"], job["path"] + ".part"):
                try:
                    os.remove(path)
                except OSError:
                    pass

    def _notify(self, status: DiagnosticsStatus, triggered: bool = False) -> Deferred:
        self.log.info("Diagnostics status {status}", status=status.value)

        def failed(failure):
            self.log.info(
                "DiagnosticsStatusNotification {status} not sent: {error}",
                status=status.value,
                error=failure.getErrorMessage(),
            )
            return False

        try:
            sending = self._send(DiagnosticsStatusNotificationRequest(status=status),
                                 triggered=triggered)
        except Exception as error:
            sending = fail(error)
        return sending.addCallbacks(lambda _: True, failed)


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return None


def _safe(identity: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in identity)[:64] or "cp"


def _reason(failure: Any) -> str:
    error = getattr(failure, "value", failure)
    reason = getattr(error, "reason", None)
    if isinstance(reason, str) and reason:
        return redact(reason)
    text = str(error)
    return redact(text.splitlines()[0]) if text else type(error).__name__
