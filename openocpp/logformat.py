"""
The log format of both roles (C{--log-format text|json}).

C{text}, the default, is twistd's own: one line per event,
C{2026-12-02T05:00:00+0000 [namespace#info] text}. C{json} writes one JSON
object per line: C{time} (UTC, RFC 3339 with milliseconds), C{level},
C{namespace}, C{text} (the formatted message), the event's own fields
whose values are JSON (others as their text), and C{traceback} for a
failure. The tap installs it as twistd's log observer factory
(C{twistd --logger}'s), writing where twistd would: C{--logfile}, standard
output when run with C{-n} and no log file.

Either format keeps the events of C{--log-level} and above (C{info} by
default: one line per connection event, not the debug lines around it);
C{--log-frames} lowers it to C{debug}, the level of its frame lines.
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from twisted.logger import (
    FileLogObserver,
    FilteringLogObserver,
    ILogObserver,
    LogLevel,
    LogLevelFilterPredicate,
    formatEvent,
    textFileLogObserver,
)
from twisted.python.logfile import LogFile

from openocpp.trace import format_time

#: The formats C{--log-format} takes.
LOG_FORMATS = ("text", "json")

#: The levels C{--log-level} takes, lowest first.
LOG_LEVELS = ("debug", "info", "warn", "error", "critical")

_PLAIN = (str, int, float, bool, type(None))


def _field(value: Any) -> Any:
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, (list, tuple, dict)):
        try:
            json.dumps(value)
            return value
        except (TypeError, ValueError):
            pass
    host, port = getattr(value, "host", None), getattr(value, "port", None)
    if isinstance(host, str) and isinstance(port, int):
        # An IPv4Address or IPv6Address: host:port, not its repr.
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return str(value)


def json_line(event: dict) -> str:
    """
    One event as a JSON line (with its newline).
    """
    level = event.get("log_level")
    line = {
        "time": format_time(event.get("log_time") or 0.0),
        "level": getattr(level, "name", None),
        "namespace": event.get("log_namespace"),
        "text": formatEvent(event),
    }
    for key, value in event.items():
        if key.startswith("log_") or key in line or key in ("format", "isError", "message", "system",
                                                           "time", "failure", "why"):
            continue
        line[key] = _field(value)
    failure = event.get("log_failure")
    if failure is not None:
        line["traceback"] = failure.getTraceback()
    return json.dumps(line, ensure_ascii=False, default=str) + "\n"


def json_file_observer(stream: IO[str]) -> FileLogObserver:
    """
    An observer writing each event to C{stream} as a JSON line.
    """
    return FileLogObserver(stream, json_line)


def log_stream(logfile: str | None, nodaemon: bool) -> IO[str]:
    """
    Where twistd would write its log: standard output for C{--logfile -}
    or when running in the foreground without one, else the file (rotated
    by size, as twistd's own).
    """
    if logfile == "-" or (nodaemon and not logfile):
        return sys.stdout
    return LogFile.fromFullPath(logfile or "twistd.log")


#: twistd's parsed options, handed over by the tap for the observer
#: factories: twistd's C{--logger} names a factory it calls with no
#: argument, so the destination (C{--logfile}, C{-n}) and the level cannot
#: reach it any other way.
_twistd_options: dict = {}

#: The lowest level logged, set by L{use_format}.
_level: dict = {"level": LogLevel.info}


def use_format(twistd: Any, log_format: str, level: str) -> None:
    """
    Make twistd log in C{log_format} the events of C{level} and above: its
    C{logger} option names L{json_observer} or L{text_observer}, which
    write where twistd would have. A C{--logger} given to twistd with the
    text format is left alone.

    @param twistd: twistd's options (being parsed: C{logfile} and
        C{nodaemon} are read when the observer is made, after the tap set
        the role's log file).
    @param log_format: one of L{LOG_FORMATS}.
    @param level: one of L{LOG_LEVELS}.
    """
    global _twistd_options
    _twistd_options = twistd
    _level["level"] = LogLevel.levelWithName(level)
    if log_format == "json":
        twistd["logger"] = "openocpp.logformat.json_observer"
    elif twistd.get("logger") is None:
        twistd["logger"] = "openocpp.logformat.text_observer"


def use_json(twistd: Any) -> None:
    """
    Make twistd log JSON lines at C{info} and above (see L{use_format}).
    """
    use_format(twistd, "json", "info")


def filtered(observer: ILogObserver, level: LogLevel) -> ILogObserver:
    """
    C{observer}, given only the events of C{level} and above.
    """
    return FilteringLogObserver(observer, [LogLevelFilterPredicate(defaultLogLevel=level)])


def _stream() -> IO[str]:
    options = _twistd_options
    return log_stream(options.get("logfile"), bool(options.get("nodaemon")))


def json_observer() -> ILogObserver:
    """
    twistd's log observer factory for C{--log-format json} (see
    L{use_format}).
    """
    return filtered(json_file_observer(_stream()), _level["level"])


def text_observer() -> ILogObserver:
    """
    twistd's log observer factory for C{--log-format text}: twistd's own
    lines (see L{use_format}).
    """
    return filtered(textFileLogObserver(_stream()), _level["level"])
