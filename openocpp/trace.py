"""
The frame trace (C{--trace FILE}, both roles): one JSON line per OCPP-J
frame in or out, and its reader (the console's message log)::

    {"time":"2026-12-02T05:00:00.123Z","identity":"CP1","direction":"in","frame":[2,"1","Heartbeat",{}]}

C{frame} is the frame's JSON when it parses, else its raw text as a string,
with C{"invalid": true}. The value of the AuthorizationKey (the Basic-auth
password) is never written: a ChangeConfiguration or GetConfiguration
carrying it shows C{"***"} instead.

L{TraceWriter} is an L{openocpp.rpc.interfaces.IFrameObserver} added to each
session when the trace is on (nothing is added when it is off: no cost). It
buffers the lines of one reactor turn and writes them with one system call
at the end of it (or every L{DEFAULT_FLUSH_LINES} lines), so a busy reactor
writes a few times a second, not once a frame. The file is rotated by size
(C{FILE}, C{FILE.1}, ... C{FILE.N}, the oldest removed) by
C{twisted.python.logfile.LogFile}.

L{read_trace} reads the lines back, newest first, across the rotated files.
"""

from __future__ import annotations

import json
import os
import time as _time
from datetime import datetime, timezone
from typing import Any, Callable

import orjson
from twisted.logger import Logger
from twisted.python.logfile import LogFile
from zope.interface import implementer

from openocpp.rpc.interfaces import IFrameObserver

#: The default size past which the trace file is rotated, in bytes.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: The default number of trace files kept (the current one and the rotated).
DEFAULT_FILES = 5
#: Lines buffered before they are written, even within one reactor turn.
DEFAULT_FLUSH_LINES = 1000
#: What a redacted AuthorizationKey value is written as.
REDACTED = "***"
#: The most lines L{read_trace} returns at once.
MAX_LIMIT = 1000

_KEY = "authorizationkey"


def _redact_configuration(frame: list) -> bool:
    """
    Replace the AuthorizationKey's value in a ChangeConfiguration.req or a
    GetConfiguration.conf (which should never hold it: it is write-only).

    @return: whether anything was replaced.
    """
    changed = False
    payload = frame[-1] if frame and isinstance(frame[-1], dict) else None
    if payload is None:
        return False
    key = payload.get("key")
    if isinstance(key, str) and key.lower() == _KEY and "value" in payload:
        payload["value"] = REDACTED
        changed = True
    for entry in payload.get("configurationKey") or ():
        if isinstance(entry, dict) and str(entry.get("key", "")).lower() == _KEY and "value" in entry:
            entry["value"] = REDACTED
            changed = True
    return changed


def format_time(seconds: float) -> str:
    """
    A POSIX time as the trace writes it: UTC, milliseconds, C{Z}.
    """
    whole, millis = divmod(int(seconds * 1000 + 0.001), 1000)
    return _time.strftime("%Y-%m-%dT%H:%M:%S", _time.gmtime(whole)) + ".%03dZ" % millis


def normalise_time(text: str) -> str:
    """
    An RFC 3339 date-time as the trace writes it (UTC, milliseconds), so
    that times compare as text.

    @raise ValueError: C{text} is not an RFC 3339 date-time.
    """
    try:
        parsed = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except (ValueError, AttributeError):
        raise ValueError(f"{text!r} is not an RFC 3339 date-time (2026-12-02T05:00:00Z)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return format_time(parsed.timestamp())


@implementer(IFrameObserver)
class TraceWriter:
    """
    Writes every frame it is shown to a size-rotated file, one JSON line
    each: an L{IFrameObserver} of every session while the trace is on.

    @ivar path: the trace file.
    @ivar listeners: callables given each entry (the dict of a line) as it
        is traced: the console's live message log. Empty by default, and
        then no dict is made.
    """

    log = Logger()

    def __init__(
        self,
        path: str,
        clock: Any,
        max_bytes: int = DEFAULT_MAX_BYTES,
        files: int = DEFAULT_FILES,
        flush_lines: int = DEFAULT_FLUSH_LINES,
    ) -> None:
        """
        @param path: the trace file (made if missing, appended to if not).
        @param clock: the C{IReactorTime} giving the time of each frame and
            the end of the turn the lines are written at.
        @param max_bytes: the size past which the file is rotated.
        @param files: the number of files kept (the current one included).
        @param flush_lines: the most lines buffered between two writes.
        @raise ValueError: a number is out of range, or the file cannot be
            opened (the message names it).
        """
        if max_bytes < 1024:
            raise ValueError(f"trace_max_bytes must be 1024 or more, not {max_bytes!r}")
        if files < 1:
            raise ValueError(f"trace_files must be 1 or more, not {files!r}")
        self.path = os.path.abspath(path)
        self._clock = clock
        self._flush_lines = flush_lines
        try:
            self._file = LogFile(
                os.path.basename(self.path),
                os.path.dirname(self.path),
                rotateLength=max_bytes,
                defaultMode=0o600,  # frames carry id tags and more
                maxRotatedFiles=files - 1,
            )
        except OSError as error:
            raise ValueError(f"trace {path!r}: {error.strerror}") from None
        self._buffer: list[str] = []
        self._scheduled: Any = None
        self._second = -1
        self._prefix = ""
        self._identities: dict[Any, str] = {}
        self._failing = False
        self.listeners: list[Callable[[dict], None]] = []

    # -- IFrameObserver ----------------------------------------------------

    def __call__(self, direction: str, text: str, session: Any) -> None:
        self.record(session.identity, direction, text)

    def record(self, identity: str | None, direction: str, text: str) -> None:
        """
        Trace one frame.

        @param identity: the charge point identity.
        @param direction: C{"in"} or C{"out"}.
        @param text: the frame's text, as on the wire.
        """
        # Milliseconds, a hair up so that float error does not take one off.
        millis = int(self._clock.seconds() * 1000 + 0.001)
        second, millis = divmod(millis, 1000)
        if second != self._second:
            self._second = second
            self._prefix = _time.strftime('{"time":"%Y-%m-%dT%H:%M:%S', _time.gmtime(second))
        stamp = "%s.%03dZ\"" % (self._prefix, millis)
        name = self._identities.get(identity)
        if name is None:
            if len(self._identities) > 100000:
                self._identities.clear()
            name = self._identities[identity] = json.dumps(identity, ensure_ascii=False)
        invalid = False
        try:
            # orjson: strict JSON (no NaN), and 3 to 5 times json's speed.
            frame = orjson.loads(text)
        except (ValueError, RecursionError):
            frame = text
            invalid = True
        if invalid:
            if _KEY in text.lower():
                frame = "(an invalid frame naming AuthorizationKey: not traced)"
            written = json.dumps(frame, ensure_ascii=False) + ',"invalid":true'
        elif ("\n" in text or "\r" in text) or (_KEY in text.lower() and type(frame) is list
                                                 and _redact_configuration(frame)):
            # One line per frame; and no password on disk.
            written = json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
        else:
            written = text
        self._buffer.append(f'{stamp},"identity":{name},"direction":"{direction}","frame":{written}}}\n')
        if self.listeners:
            entry = {"time": stamp[9:-1], "identity": identity, "direction": direction, "frame": frame}
            if invalid:
                entry["invalid"] = True
            for listener in list(self.listeners):
                try:
                    listener(entry)
                except Exception:
                    self.log.failure("A trace listener failed")
        if len(self._buffer) >= self._flush_lines:
            self.flush()
        elif self._scheduled is None:
            self._scheduled = self._clock.callLater(0, self._flush_later)

    def _flush_later(self) -> None:
        self._scheduled = None
        self.flush()

    def flush(self) -> None:
        """
        Write the buffered lines now (the reader calls it first).
        """
        if self._scheduled is not None:
            if self._scheduled.active():
                self._scheduled.cancel()
            self._scheduled = None
        if not self._buffer:
            return
        data = "".join(self._buffer).encode("utf-8")
        self._buffer = []
        try:
            self._file.write(data)
        except (OSError, ValueError) as error:
            if not self._failing:
                # One line until it works again, not one per turn.
                self._failing = True
                self.log.error(
                    "Cannot write the frame trace {path}: {error}; frames are not traced "
                    "until it can",
                    path=self.path,
                    error=getattr(error, "strerror", None) or str(error),
                )
            return
        if self._failing:
            self._failing = False
            self.log.info("Writing the frame trace {path} again", path=self.path)

    def close(self) -> None:
        """
        Write what is buffered and close the file.
        """
        self.flush()
        if not self._file.closed:
            self._file.close()


def trace_files(path: str) -> list[str]:
    """
    The files of a trace, newest first: C{path}, then C{path.1}, ...
    (those that exist).
    """
    files = [path] if os.path.exists(path) else []
    rotated = []
    folder = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path) + "."
    try:
        names = os.listdir(folder)
    except OSError:
        return files
    for name in names:
        if name.startswith(base) and name[len(base):].isdigit():
            rotated.append((int(name[len(base):]), os.path.join(folder, name)))
    return files + [name for _, name in sorted(rotated)]


def _lines_backwards(path: str, block: int = 65536):
    """
    The lines of a file, last first (bytes, without their newline).
    """
    try:
        handle = open(path, "rb")
    except OSError:
        return
    with handle:
        handle.seek(0, os.SEEK_END)
        position = handle.tell()
        rest = b""
        while position > 0:
            size = min(block, position)
            position -= size
            handle.seek(position)
            chunk = handle.read(size) + rest
            lines = chunk.split(b"\n")
            rest = lines.pop(0)
            for line in reversed(lines):
                if line:
                    yield line
        if rest:
            yield rest


def read_trace(
    path: str,
    identity: str | None = None,
    search: str | None = None,
    before: str | None = None,
    limit: int = 100,
) -> list[dict]:
    """
    The traced frames, newest first, across the rotated files.

    Blocking file reads: a server calls it in a thread.

    @param path: the trace file (C{--trace}).
    @param identity: only the frames of this charge point.
    @param search: only the frames whose JSON text holds this text, case
        ignored.
    @param before: only the frames traced before this RFC 3339 time
        (the C{time} of the last entry of a page gives the next page).
    @param limit: the most entries returned.
    @return: the entries, each C{{"time", "identity", "direction",
        "frame"}} (and C{"invalid": true} for a frame that was no JSON).
    @raise ValueError: C{before} is not a date-time, or C{limit} is out of
        1 to L{MAX_LIMIT}.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1 to {MAX_LIMIT}, not {limit!r}")
    cutoff = None if before is None else normalise_time(before)
    needle = None if not search else search.lower()
    found: list[dict] = []
    for name in trace_files(path):
        for line in _lines_backwards(name):
            try:
                entry = json.loads(line)
                stamp = entry["time"]
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short (the process died while writing)
            if cutoff is not None and stamp >= cutoff:
                continue
            if identity is not None and entry.get("identity") != identity:
                continue
            if needle is not None:
                frame = entry.get("frame")
                text = frame if isinstance(frame, str) else json.dumps(
                    frame, ensure_ascii=False, separators=(",", ":")
                )
                if needle not in text.lower():
                    continue
            found.append(entry)
            if len(found) >= limit:
                return found
    return found
