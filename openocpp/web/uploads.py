"""
The central system's upload endpoint, where charge points put the files a
GetDiagnostics.req asks for (OCPP 1.6 5.6: its C{location} is a directory
the charge point uploads into), and the API routes around it.

C{POST /api/v1/chargepoints/{identity}/diagnostics} makes a one-time token
and sends GetDiagnostics with the location C{<public base>/uploads/<token>/};
C{POST /api/v1/chargepoints/{identity}/logs} does the same for GetLog (the
Security Whitepaper's N01: "uploaded like GetDiagnostics"), the token made
for its C{logType}.  The charge point then sends its file there, either way:

  - C{PUT /uploads/<token>/<file name>} with the file's bytes as the body
    (what openocpp's charge point does, L{openocpp.transfer.http}), or
  - C{POST /uploads/<token>/} with a C{multipart/form-data} body whose
    C{file} field holds the file (its part's C{filename} names it).

A token serves one upload, for L{DEFAULT_UPLOAD_LIFETIME} seconds (24 h; the
config's C{upload_lifetime}) from when it was made; an unknown, spent or
expired token is answered 404 and nothing is written.  A body larger than
the config's C{max_upload} is answered 413 and nothing is kept.  Files are
stored in the folder beside the database (C{<database>.uploads/}), one
folder per charge point, under sanitised names (no path, no dots in front,
C{[A-Za-z0-9._-]} only; a log's name begins with its kind,
C{SecurityLog-} or C{DiagnosticsLog-}, so that no log is taken for the
diagnostics file of the same name; a name taken gets C{-1}, C{-2}, ...: no
file is ever overwritten), and recorded, with its kind, in
the database (L{record_upload<openocpp.centralsystem.interfaces.ICentralSystemStore.record_upload>})
before the 201 answer.  C{GET /api/v1/uploads[?kind=...]} lists them, each
with its C{kind} (L{UPLOAD_KINDS}), and C{GET /api/v1/uploads/{id}}
downloads one.

The upload location is the config's C{public_url} (what charge points
reach this API as) when it is set; otherwise the scheme and C{Host} header
of the operator's request that asked for the diagnostics.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import io
import json
import os
import re
import secrets
import tempfile
from datetime import timedelta
from typing import Any, Callable
from urllib.parse import unquote_to_bytes

from twisted.internet.defer import Deferred, maybeDeferred
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request
from twisted.web.static import NoRangeStaticProducer

from openocpp.centralsystem.store import StorageFailed
from openocpp.messages import codec
from openocpp.messages.core import GetDiagnosticsRequest
from openocpp.messages.security import GetLogRequest
from openocpp.messages.errors import ValidationError
from openocpp.messages.validation import parse_datetime
from openocpp.web.api import STREAMING, ApiError, Route

#: What an upload is: the file a GetDiagnostics.req asked for, or a GetLog.req
#: of that logType.
DIAGNOSTICS = "Diagnostics"
UPLOAD_KINDS = (DIAGNOSTICS, "DiagnosticsLog", "SecurityLog")

#: Bytes an upload may have, unless configured (C{--api-max-upload}).
DEFAULT_MAX_UPLOAD = 64 * 1024 * 1024

#: Seconds an upload token is good for, unless configured.
DEFAULT_UPLOAD_LIFETIME = 24 * 60 * 60.0

#: The longest file name kept (longer ones are cut, keeping the extension).
MAX_NAME = 120

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

#: Bytes copied at a time.
_CHUNK = 64 * 1024

#: The answer to an unknown, spent or expired token.
_NOT_FOUND = (404, "not_found", "no such upload location (unknown, used or expired)")


def safe_name(name: str, fallback: str = "upload") -> str:
    """
    A file name that stays in its folder: the last part of C{name} (after
    any C{/} or C{\\}), with every run of other characters than letters,
    digits, C{.}, C{_} and C{-} made C{_}, without leading dots, at most
    L{MAX_NAME} characters.

    @param name: what the client called the file.
    @param fallback: the name when nothing is left.
    @return: the safe name.
    """
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", last).lstrip(".")
    if len(cleaned) > MAX_NAME:
        stem, dot, extension = cleaned.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            cleaned = stem[: MAX_NAME - len(extension) - 1] + "." + extension
        else:
            cleaned = cleaned[:MAX_NAME]
    return cleaned or fallback


class UploadFolder:
    """
    Where received files are kept: C{<root>/<charge point>/<file name>}.

    @ivar root: the folder (created when the first file arrives).
    """

    def __init__(self, root: str) -> None:
        self.root = root

    def keep(self, identity: str, name: str, source: Any) -> tuple[str, int, str]:
        """
        Copy an uploaded body into the folder, under a name not taken yet.
        Blocking: run it in a thread.

        @param identity: the charge point (its folder's name is made safe).
        @param name: the safe file name wanted.
        @param source: a file object of the body, read from its start.
        @return: the path relative to the root, the size and the SHA-256.
        @raise OSError: the disk refused it (nothing is left behind).
        """
        folder_name = safe_name(identity, fallback="charge-point")
        folder = os.path.join(self.root, folder_name)
        os.makedirs(folder, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as target:
                source.seek(0)
                while True:
                    chunk = source.read(_CHUNK)
                    if not chunk:
                        break
                    digest.update(chunk)
                    size += len(chunk)
                    target.write(chunk)
            stem, dot, extension = name.rpartition(".")
            if not stem:
                stem, dot, extension = name, "", ""
            candidate, number = name, 0
            while True:
                final = os.path.join(folder, candidate)
                try:
                    # Claimed exclusively, then replaced by the complete
                    # file: no other file is ever overwritten.
                    os.close(os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
                    break
                except FileExistsError:
                    number += 1
                    candidate = "{}-{}{}{}".format(stem, number, dot, extension)
            os.replace(temporary, final)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise
        return folder_name + "/" + candidate, size, digest.hexdigest()

    def path(self, stored_as: str) -> str | None:
        """
        The file a record names, if it is inside the folder.
        """
        path = os.path.realpath(os.path.join(self.root, stored_as))
        root = os.path.realpath(self.root)
        if not path.startswith(root + os.sep):
            return None
        return path

    def remove(self, stored_as: str) -> None:
        """
        Remove a kept file (its record could not be stored).
        """
        path = self.path(stored_as)
        if path is not None:
            try:
                os.unlink(path)
            except OSError:
                pass


def _multipart_file(content_type: str, body: bytes) -> tuple[str | None, bytes] | None:
    """
    The C{file} field of a C{multipart/form-data} body (or its first part
    with a file name): its file name and bytes, or C{None}.
    """
    header = "Content-Type: {}\r\nMIME-Version: 1.0\r\n\r\n".format(content_type).encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    if not message.is_multipart():
        return None
    chosen = None
    for part in message.iter_parts():
        field = part.get_param("name", header="content-disposition")
        if field == "file" or (chosen is None and part.get_filename()):
            chosen = part
            if field == "file":
                break
    if chosen is None:
        return None
    return chosen.get_filename(), chosen.get_payload(decode=True) or b""


def _answer(request: Any, status: int, body: dict) -> None:
    if getattr(request, "upload_client_gone", False):
        # The client left while its file was written: nobody to tell.
        return
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"application/json; charset=utf-8")
    request.setHeader(b"cache-control", b"no-store")
    request.write(json.dumps(body).encode("utf-8"))
    request.finish()


def _error(request: Any, status: int, error: str, description: str) -> None:
    _answer(request, status, {"error": error, "code": None, "description": description})


class UploadsResource(Resource):
    """
    C{/uploads/<token>/[<file name>]}: takes one file per token (see the
    module's docstring).  No API token is asked for: the upload token is
    the authority, as a charge point knows only the location it was given.

    @param store: the central system's L{ICentralSystemStore}.
    @param folder: the L{UploadFolder}.
    @param reactor: the reactor (its thread pool copies the files).
    @param max_upload: the most bytes an upload may have (0: no limit).
    @param events: the L{ILiveEvents} told of each file kept
        (C{uploadReceived}), or C{None}.
    """

    isLeaf = True
    log = Logger()

    def __init__(
        self, store: Any, folder: UploadFolder, reactor: Any, max_upload: int, events: Any = None
    ) -> None:
        super().__init__()
        self._events = events
        self._store = store
        self._folder = folder
        self._reactor = reactor
        self._max_upload = max_upload
        # Tokens whose upload is being written: a second one at once is
        # refused as a spent token is.
        self._busy: set[str] = set()

    @property
    def max_upload(self) -> int:
        """
        The most bytes an upload may have (0: no limit).
        """
        return self._max_upload

    def _usable(self, token: str) -> dict | None:
        record = self._store.upload_token(token) if token else None
        if record is None or record["used_at"] is not None or token in self._busy or self._expired(record):
            return None
        return record

    def refusal(self, path: bytes, length: int | None) -> tuple[int, str, str] | None:
        """
        Whether an upload is refused as soon as its headers arrived (see
        L{UploadRequest}).

        @param path: the request's path (C{/uploads/<token>/...}).
        @param length: its C{Content-Length}, or C{None}.
        @return: C{(status, error, description)}, or C{None} to take it.
        """
        token = path[len(b"/uploads/"):].split(b"?", 1)[0].split(b"/", 1)[0]
        try:
            text = unquote_to_bytes(token).decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        if self._usable(text) is None:
            return _NOT_FOUND
        if self._max_upload and length is not None and length > self._max_upload:
            return self.too_large(length)
        return None

    def too_large(self, size: int) -> tuple[int, str, str]:
        """
        The refusal of an upload of C{size} bytes over the limit.
        """
        return (
            413, "upload_too_large",
            "the upload ({} bytes) is larger than the limit of {} bytes (--api-max-upload)".format(
                size, self._max_upload
            ),
        )

    def render(self, request: Any) -> Any:
        request.setHeader(b"x-content-type-options", b"nosniff")
        refused = getattr(request, "upload_refusal", None)
        if refused is not None and request.method in (b"PUT", b"POST"):
            self.log.warn(
                "Upload refused from {peer}: {description}",
                peer=getattr(request.getClientAddress(), "host", "?"),
                description=refused[2],
            )
            _error(request, *refused)
            return NOT_DONE_YET
        if request.method not in (b"PUT", b"POST"):
            request.setHeader(b"allow", b"PUT, POST")
            _error(request, 405, "method_not_allowed", "upload with PUT (the raw file) or POST (multipart/form-data)")
            return NOT_DONE_YET
        try:
            segments = [unquote_to_bytes(s).decode("utf-8") for s in request.postpath]
        except UnicodeDecodeError:
            segments = []
        token = segments[0] if segments else ""
        name = "/".join(segments[1:])
        peer = getattr(request.getClientAddress(), "host", "?")
        record = self._usable(token)
        if record is None:
            self.log.warn(
                "Upload refused from {peer}: unknown, spent or expired upload location",
                peer=peer,
            )
            _error(request, *_NOT_FOUND)
            return NOT_DONE_YET
        identity = record["identity"]
        content = request.content
        size = content.seek(0, os.SEEK_END)
        content.seek(0)
        if self._max_upload and size > self._max_upload:
            self.log.warn(
                "Upload from {identity} refused: {size} bytes, larger than the limit of {limit} "
                "(--api-max-upload)",
                identity=identity,
                size=size,
                limit=self._max_upload,
            )
            _error(request, *self.too_large(size))
            return NOT_DONE_YET
        source: Any = content
        kind = (
            getattr(request, "upload_content_type", None) or request.getHeader(b"content-type") or b""
        ).decode("latin-1")
        if request.method == b"POST" and kind.split(";")[0].strip().lower() == "multipart/form-data":
            try:
                part = _multipart_file(kind, content.read())
            except Exception:
                # The email package is lenient; whatever it still refuses
                # is a bad body, not a server failure.
                part = None
            if part is None:
                _error(request, 400, "bad_upload", "the multipart/form-data body has no file field")
                return NOT_DONE_YET
            given, data = part
            name = name or given or ""
            source = io.BytesIO(data)
        if not name:
            _error(
                request, 400, "bad_upload",
                "name the file: PUT /uploads/<token>/<file name>, or a multipart part with a filename",
            )
            return NOT_DONE_YET
        self._busy.add(token)
        request.upload_client_gone = False
        request.notifyFinish().addErrback(lambda _: setattr(request, "upload_client_gone", True))
        kept = deferToThreadPool(
            self._reactor, self._reactor.getThreadPool(), self._folder.keep, identity,
            kept_name(record.get("kind") or DIAGNOSTICS, name), source
        )
        kept.addCallback(self._kept, request, token, identity, name)
        kept.addErrback(self._failed, request, identity)
        kept.addBoth(self._done, token)
        return NOT_DONE_YET

    def _expired(self, record: dict) -> bool:
        try:
            return parse_datetime(record["expires_at"]) <= self._store.now()
        except (TypeError, ValueError):
            return True

    def _kept(self, kept: tuple[str, int, str], request: Any, token: str, identity: str, name: str) -> Deferred:
        stored_as, size, sha256 = kept
        file_name = stored_as.rsplit("/", 1)[-1]
        try:
            upload_id = self._store.record_upload(token, identity, file_name, stored_as, size, sha256)
        except StorageFailed:
            self._folder.remove(stored_as)
            raise

        def committed(upload_id: int) -> None:
            self.log.info(
                "Upload {id} from {identity}: {name!r} kept as {stored_as} ({size} bytes)",
                id=upload_id, identity=identity, name=name, stored_as=stored_as, size=size,
            )
            _answer(
                request, 201,
                {"id": upload_id, "chargePoint": identity, "fileName": file_name, "size": size, "sha256": sha256},
            )
            if self._events is not None:
                record = {
                    "id": upload_id, "identity": identity, "file_name": file_name, "size": size,
                    "sha256": sha256, "received_at": None, "kind": None,
                }
                kept = self._store.upload_record(upload_id)
                kept.addCallback(lambda found: found or record)
                kept.addCallback(
                    lambda found: self._events.publish(
                        "uploadReceived", {"chargePoint": identity, "upload": upload_json(found)}
                    )
                )
                kept.addErrback(lambda failure: self.log.failure("Telling of upload {id} failed", failure, id=upload_id))

        def lost(failure: Any) -> Any:
            self._folder.remove(stored_as)
            return failure

        return self._store.when_committed(upload_id).addCallbacks(committed, lost)

    def _failed(self, failure: Any, request: Any, identity: str) -> None:
        if failure.check(StorageFailed):
            self.log.warn("Upload from {identity} not kept: the database failed", identity=identity)
            _error(request, 503, "storage_failed", "the central system could not record the upload: try again")
        elif failure.check(OSError):
            self.log.warn(
                "Upload from {identity} not kept: cannot write in {folder}: {error}",
                identity=identity, folder=self._folder.root, error=failure.getErrorMessage(),
            )
            _error(request, 507, "not_stored", "the central system could not write the file: see its log")
        else:
            self.log.failure("Upload from {identity} not kept", failure, identity=identity)
            _error(request, 500, "internal_error", "the central system failed to keep the file: see its log")

    def _done(self, result: Any, token: str) -> None:
        self._busy.discard(token)


class _Dropped:
    """
    The body of an upload refused before it arrived: what is sent is
    counted, not kept (neither in memory nor in a temporary file).
    """

    def __init__(self) -> None:
        self.dropped = 0

    def write(self, data: bytes) -> None:
        self.dropped += len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def tell(self) -> int:
        return 0

    def read(self, size: int = -1) -> bytes:
        return b""

    def close(self) -> None:
        pass


class UploadRequest(Request):
    """
    The API site's request: the body of an upload (C{/uploads/...}) whose
    token is not usable, or which says (C{Content-Length}) or turns out
    (chunked) to be larger than the limit, is dropped as it arrives rather
    than kept in twisted.web's temporary file; the L{UploadsResource} then
    answers the refusal.  Any other request is twisted.web's own.

    The site names the resource deciding as its C{upload_guard} attribute.

    @ivar upload_refusal: C{(status, error, description)} once refused, else
        C{None}.
    @ivar upload_content_type: an upload's C{Content-Type}, taken out of its
        headers (see L{requestReceived}).
    """

    upload_refusal: tuple[int, str, str] | None = None
    upload_content_type: bytes | None = None
    _received = 0
    _guarded = False

    def gotLength(self, length: int | None) -> None:
        guard = getattr(getattr(self.channel, "site", None), "upload_guard", None)
        path = getattr(self.channel, "_path", b"") or b""
        if guard is None or not path.startswith(b"/uploads/"):
            super().gotLength(length)
            return
        self._guarded = True
        self._guard = guard
        self.upload_refusal = guard.refusal(path, length)
        if self.upload_refusal is not None:
            self.content = _Dropped()
        else:
            super().gotLength(length)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        if self._guarded:
            # twisted.web would parse a multipart body into args (all of it
            # in memory again) and answer a malformed one with a bare 400
            # before the resource sees it: the resource parses it itself,
            # from the type kept here.
            kinds = self.requestHeaders.getRawHeaders(b"content-type")
            self.upload_content_type = kinds[0] if kinds else None
            self.requestHeaders.removeHeader(b"content-type")
        super().requestReceived(command, path, version)

    def handleContentChunk(self, data: bytes) -> None:
        if self._guarded and self.upload_refusal is None:
            self._received += len(data)
            limit = self._guard.max_upload
            if limit and self._received > limit:
                # A body without a Content-Length grew past the limit: what
                # was kept is thrown away, the rest is not kept.
                self.content.close()
                self.content = _Dropped()
                self.upload_refusal = self._guard.too_large(self._received)
        self.content.write(data)


def upload_json(record: dict) -> dict:
    """
    An upload record as the API shows it.
    """
    return {
        "id": record["id"],
        "chargePoint": record["identity"],
        "kind": record.get("kind") or DIAGNOSTICS,
        "fileName": record["file_name"],
        "size": record["size"],
        "sha256": record["sha256"],
        "receivedAt": record["received_at"],
        "href": "/api/v1/uploads/{}".format(record["id"]),
    }


class UploadsApi:
    """
    The API's routes for diagnostics and uploads, added to the
    L{ApiResource<openocpp.web.api.ApiResource>}'s.

    @param central: the L{ICentralSystem}.
    @param folder: the L{UploadFolder}.
    @param config: the L{IApiConfig} (C{public_url}, C{upload_lifetime}).
    @param call_failed: the API's mapping of a failed OCPP call to its
        L{ApiError} (C{errback(failure, identity, action)}).
    """

    log = Logger()

    def __init__(self, central: Any, folder: UploadFolder, config: Any, call_failed: Callable) -> None:
        self._central = central
        self._folder = folder
        self._public_url = config.public_url
        self._lifetime = config.upload_lifetime
        self._call_failed = call_failed

    def routes(self) -> list[Route]:
        """
        @return: the routes, for C{ApiResource.routes}.
        """
        return [
            Route("v1/chargepoints/{identity}/diagnostics", POST=self.post_diagnostics),
            Route("v1/chargepoints/{identity}/logs", POST=self.post_log),
            Route("v1/uploads", GET=self.list_uploads),
            Route("v1/uploads/{uploadId}", GET=self.get_upload),
        ]

    def _base(self, request: Any) -> str:
        if self._public_url:
            return self._public_url.rstrip("/")
        host = request.getHeader(b"host")
        if isinstance(host, bytes):
            host = host.decode("latin-1")
        if not host:
            address = request.getHost()
            host = "{}:{}".format(address.host, address.port)
        return "{}://{}".format("https" if request.isSecure() else "http", host)

    def _connected(self, identity: str) -> Any:
        try:
            proxy = self._central.charge_point(identity)
        except KeyError:
            proxy = None
        if proxy is None:
            if self._central.store.charge_point(identity) is None:
                raise ApiError(404, "unknown_charge_point", f"no charge point {identity!r} is known or connected")
            raise ApiError(404, "not_connected", f"charge point {identity!r} is not connected")
        return proxy

    def _send_with_location(
        self, call: Any, identity: str, proxy: Any, request: Any, token: str | None, kind: str
    ) -> Deferred:
        """
        Keep the upload token (when the location is ours), then send the
        request; fire with the charge point's answer.
        """
        store = self._central.store
        if token is not None:
            expires = store.now() + timedelta(seconds=self._lifetime)
            try:
                store.add_upload_token(token, identity, expires, kind)
            except StorageFailed as error:
                raise ApiError(503, "storage_failed", f"could not store the upload location ({error.error})") from None
            ready = store.when_committed()
        else:
            ready = maybeDeferred(lambda: None)

        def stored_failed(failure: Any) -> None:
            failure.trap(StorageFailed)
            raise ApiError(503, "storage_failed", "could not store the upload location: try again later")

        def send(_: Any) -> Deferred:
            self.log.info(
                "{who} sends {action} to {identity}, location {location}",
                who=call.who, action=request.action, identity=identity,
                location="ours" if token is not None else "given",
            )
            return proxy.call(request).addErrback(self._call_failed, identity, request.action)

        return ready.addErrback(stored_failed).addCallback(send)

    def _our_location(self, call: Any) -> tuple[str, str]:
        token = secrets.token_urlsafe(24)
        return "{}/uploads/{}/".format(self._base(call.request), token), token

    def post_diagnostics(self, call: Any, identity: str) -> Any:
        body = call.json_object(("location", "startTime", "stopTime", "retries", "retryInterval"))
        proxy = self._connected(identity)
        payload = dict(body)
        token = None
        if payload.get("location") is None:
            payload["location"], token = self._our_location(call)
        request = _decoded(GetDiagnosticsRequest, payload)

        def answered(response: Any) -> dict:
            return {"fileName": response.file_name, "location": request.location}

        return self._send_with_location(call, identity, proxy, request, token, DIAGNOSTICS).addCallback(answered)

    def post_log(self, call: Any, identity: str) -> Any:
        """
        C{POST {logType, requestId?, remoteLocation?, oldestTimestamp?,
        latestTimestamp?, retries?, retryInterval?}}: send GetLog.req with a
        location of ours unless one is given; the file uploaded there is
        listed as of its C{logType}.  Without C{requestId}, one is chosen
        (answered, with the location, to match the LogStatusNotifications).
        """
        body = call.json_object(
            ("logType", "requestId", "remoteLocation", "oldestTimestamp", "latestTimestamp", "retries",
             "retryInterval")
        )
        if body.get("logType") not in UPLOAD_KINDS[1:]:
            raise ApiError(400, "bad_body", "logType must be DiagnosticsLog or SecurityLog")
        proxy = self._connected(identity)
        log = {name: body.get(name) for name in ("remoteLocation", "oldestTimestamp", "latestTimestamp")}
        token = None
        if log["remoteLocation"] is None:
            log["remoteLocation"], token = self._our_location(call)
        payload = {
            "logType": body["logType"],
            "requestId": body.get("requestId", secrets.randbelow(2**31 - 1) + 1),
            "log": {name: value for name, value in log.items() if value is not None},
            "retries": body.get("retries"),
            "retryInterval": body.get("retryInterval"),
        }
        request = _decoded(GetLogRequest, {name: value for name, value in payload.items() if value is not None})

        def answered(response: Any) -> dict:
            return {
                "status": str(response.status),
                "fileName": response.filename,
                "requestId": request.request_id,
                "location": request.log.remote_location,
            }

        return self._send_with_location(call, identity, proxy, request, token, body["logType"]).addCallback(answered)

    def list_uploads(self, call: Any) -> Deferred:
        limit, offset = call.page()
        identity = call.arg("chargePoint")
        kind = call.arg("kind")
        if kind is not None and kind not in UPLOAD_KINDS:
            raise ApiError(400, "bad_query", f"query argument kind must be one of {', '.join(UPLOAD_KINDS)}, not {kind!r}")

        def shaped(page: Any) -> dict:
            return {
                "items": [upload_json(record) for record in page.records],
                "total": page.total,
                "limit": limit,
                "offset": offset,
            }

        return self._central.store.uploads_page(limit, offset, identity=identity, kind=kind).addCallback(shaped)

    def get_upload(self, call: Any, uploadId: str) -> Any:
        if not (uploadId.isdigit() and len(uploadId) < 19):
            raise ApiError(404, "unknown_upload", f"no upload {uploadId!r}")

        def found(record: dict | None) -> Any:
            if record is None:
                raise ApiError(404, "unknown_upload", f"no upload {uploadId!r}")
            path = self._folder.path(record["stored_as"])
            try:
                file = open(path, "rb") if path is not None else None
            except OSError:
                file = None
            if file is None:
                cluster = getattr(self._central, "cluster", None)
                if cluster is not None:
                    # The records are shared, the files are not: each is on
                    # the disk of the node that received it.
                    raise ApiError(
                        410, "upload_gone",
                        f"upload {uploadId}'s file is not on the disk of this node ({cluster.node_id}): "
                        "in a cluster each upload is kept by the node that received it (see Cluster, Uploads)",
                    )
                raise ApiError(410, "upload_gone", f"upload {uploadId}'s file is no longer on disk")
            request = call.request
            request.setResponseCode(200)
            request.setHeader(b"content-type", b"application/octet-stream")
            request.setHeader(b"content-length", str(record["size"]).encode("ascii"))
            request.setHeader(
                b"content-disposition",
                'attachment; filename="{}"'.format(record["file_name"]).encode("ascii", "replace"),
            )
            if request.method == b"HEAD":
                file.close()
                request.write(b"")
                request.finish()
                return STREAMING
            producer = NoRangeStaticProducer(request, file)
            producer.start()
            return STREAMING

        return self._central.store.upload_record(int(uploadId)).addCallback(found)


def kept_name(kind: str, name: str) -> str:
    """
    The name an upload is kept under: C{name} made safe (L{safe_name}),
    after its kind for a log (C{SecurityLog-log.txt}), so that a log never
    looks like the diagnostics file of the same name.
    """
    safe = safe_name(name)
    return safe if kind == DIAGNOSTICS else safe_name(f"{kind}-{safe}")


def uploads_folder(database: str) -> str:
    """
    The folder beside a database where uploads are kept: C{<database>.uploads}
    (for an in-memory database, a new temporary folder: its records are
    not kept either).
    """
    if not database or database == ":memory:":
        return tempfile.mkdtemp(prefix="openocpp-uploads-")
    return os.path.abspath(database) + ".uploads"



def _decoded(kind: Any, payload: dict) -> Any:
    # An API body as the request it asks for, or the 400 saying why not.
    try:
        return codec.decode(kind, payload)
    except ValidationError as error:
        raise ApiError(400, "invalid_payload", error.description, code=str(error.code)) from None
    except (TypeError, ValueError) as error:
        raise ApiError(400, "invalid_payload", str(error)) from None
