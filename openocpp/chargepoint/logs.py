"""
GetLog (Security Whitepaper edition 2, use case N01): the security log (a
CSV file of L{openocpp.chargepoint.securitylog}, or the application's through
C{openocpp_cp_security_log_file}) or the diagnostics log (the GetDiagnostics
file), within the request's time window, uploaded like GetDiagnostics (the
same transfers, retries and steps: L{LogUploads} is a
L{openocpp.chargepoint.diagnostics.Diagnostics}), each step told with
LogStatusNotification.req carrying the request's requestId (N01.FR.07,
N01.FR.12): Uploading, then Uploaded or UploadFailure.

A GetLog arriving while an upload runs cancels it and is answered
AcceptedCanceled (N01.FR.11).
"""

import os
from datetime import timezone
from typing import Any

from twisted.internet.defer import Deferred, fail, inlineCallbacks

from openocpp.chargepoint.diagnostics import Diagnostics, _safe
from openocpp.chargepoint.firmware import attempts_and_interval, check_transfer_url
from openocpp.messages import GetLogResponse, LogStatusNotificationRequest
from openocpp.messages.enums import (
    DiagnosticsStatus,
    LogEnumType,
    LogStatusEnumType,
    UploadLogStatusEnumType,
)

#: The upload steps as LogStatusNotification tells them.
_STATUSES = {
    DiagnosticsStatus.IDLE: UploadLogStatusEnumType.IDLE,
    DiagnosticsStatus.UPLOADING: UploadLogStatusEnumType.UPLOADING,
    DiagnosticsStatus.UPLOADED: UploadLogStatusEnumType.UPLOADED,
    DiagnosticsStatus.UPLOAD_FAILED: UploadLogStatusEnumType.UPLOAD_FAILURE,
}


def write_text(path: str, text: str) -> str:
    """
    Write a text file (in a thread: it blocks), whole or not at all.

    @return: C{path}.
    """
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    partial = path + ".part"
    with open(partial, "w", encoding="utf-8", newline="") as out:
        out.write(text)
    os.replace(partial, path)
    return path


class LogUploads(Diagnostics):
    """
    Carries out GetLog requests; the parameters are L{Diagnostics}', and:

    @param security_log: the L{openocpp.chargepoint.securitylog.SecurityLog}.
    """

    def __init__(self, *args: Any, security_log: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._security_log = security_log

    def handlers(self) -> dict:
        """
        @return: the request handlers by action.
        """
        return {"GetLog": self.get_log}

    def triggers(self) -> dict:
        # TriggerMessage knows no LogStatusNotification (ExtendedTriggerMessage
        # asks L{trigger}).
        return {}

    @inlineCallbacks
    def get_log(self, request: Any):
        location = request.log.remote_location
        check_transfer_url("GetLog", location)
        oldest, latest = request.log.oldest_timestamp, request.log.latest_timestamp
        security = request.log_type == LogEnumType.SECURITY_LOG
        if security:
            provided = yield self._hook(
                "openocpp_cp_security_log_file", oldest_timestamp=oldest, latest_timestamp=latest
            )
            if provided is None and not self._security_log.kept:
                self.log.info("GetLog(SecurityLog) rejected: no security log is kept")
                return GetLogResponse(status=LogStatusEnumType.REJECTED)
        else:
            provided = yield self._hook(
                "openocpp_cp_diagnostics_file", start_time=oldest, stop_time=latest
            )
        if provided is False or provided == "":
            self.log.info("GetLog({kind}) rejected: no log to upload", kind=request.log_type)
            return GetLogResponse(status=LogStatusEnumType.REJECTED)
        attempts, interval = attempts_and_interval(request.retries, request.retry_interval)
        job = {
            "location": location,
            "attempts": attempts,
            "interval": interval,
            "start": oldest,
            "stop": latest,
            "request_id": request.request_id,
        }
        if provided is not None:
            path = str(provided)
            if not os.path.isfile(path):
                self.log.warn("GetLog: the file {path} a plugin gave is missing", path=path)
                return GetLogResponse(status=LogStatusEnumType.REJECTED)
            job.update(path=path, name=os.path.basename(path)[-255:], built=False)
        elif security:
            stamp = self._now().astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            name = f"security-log-{_safe(self._identity)}-{stamp}.csv"
            job.update(path=os.path.join(self._folder, name), name=name, built=True)
            # The entries of the window as they are now (reactor thread).
            job["write"] = (write_text, self._security_log.csv(oldest, latest))
        else:
            self._build_diagnostics(job, oldest, latest)
        status = LogStatusEnumType.ACCEPTED
        if self._job is not None:
            # N01.FR.11: the ongoing upload is cancelled.
            self.log.info(
                "GetLog {request_id} cancels the upload of {name}",
                request_id=request.request_id,
                name=self._job["name"],
            )
            self._abandon()
            status = LogStatusEnumType.ACCEPTED_CANCELED
        self._job = job
        self.log.info(
            "GetLog {request_id}: uploading {name} to {location} ({attempts} attempts, "
            "{interval} s apart)",
            request_id=request.request_id,
            name=job["name"],
            location=location,
            attempts=attempts,
            interval=interval,
        )
        self._timer = self._clock.callLater(0, self._begin, job)
        return GetLogResponse(status=status, filename=job["name"])

    @inlineCallbacks
    def trigger(self):
        """
        Send the LogStatusNotification.req an ExtendedTriggerMessage asked
        for: Uploading (with its requestId) while an upload runs, else Idle
        (N01.FR.12: no requestId then).
        """
        status = DiagnosticsStatus.UPLOADING if self.uploading else DiagnosticsStatus.IDLE
        yield self._notify(status, triggered=True)

    def _end(self, job: dict, status: DiagnosticsStatus) -> None:
        self._ending = job
        try:
            super()._end(job, status)
        finally:
            self._ending = None

    def _notify(self, status: DiagnosticsStatus, triggered: bool = False) -> Deferred:
        job = getattr(self, "_ending", None) or self._job
        request_id = job["request_id"] if job is not None else None
        log_status = _STATUSES[status]
        self.log.info(
            "Log upload {request_id} status {status}", request_id=request_id, status=log_status.value
        )

        def failed(failure):
            self.log.info(
                "LogStatusNotification {status} not sent: {error}",
                status=log_status.value,
                error=failure.getErrorMessage(),
            )
            return False

        try:
            sending = self._send(
                LogStatusNotificationRequest(status=log_status, request_id=request_id),
                triggered=triggered,
            )
        except Exception as error:
            sending = fail(error)
        return sending.addCallbacks(lambda _: True, failed)
