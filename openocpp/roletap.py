"""
What the two role tap modules (L{openocpp.centralsystem.tap},
L{openocpp.chargepoint.tap}) share: the options every role takes, and the
way a role's mistakes become one usage error naming the option.

Its imports are light, like the tap modules': C{twistd --help} stays fast.
"""

from contextlib import contextmanager
from typing import Any, Iterator

from twisted.python import usage

from openocpp.preflight import in_option_names, number, option_names


class RoleOptions(usage.Options):
    """
    Options of one role of C{twistd openocpp}: C{--plugin} (repeatable,
    into C{self["plugins"]}) and C{--log-frames} (off by default), and what
    a subclass adds.

    Parsing leaves the role's settings in C{self.config}, made by
    L{make_config} after L{check}; a C{ValueError} either raises is a
    C{usage.UsageError} whose message names the options, not the settings
    (C{--call-timeout}, not C{call_timeout}): see L{errors_named}.
    """

    synopsis = "[options]"
    optFlags = [
        ["log-frames", None, "Log every OCPP frame in and out (debug level)."],
    ]
    optParameters = [
        ["log-format", None, "text",
         "The log's format: text (one line per event) or json (one JSON object per line)."],
        ["log-level", None, "info",
         "The lowest level logged: debug, info, warn, error or critical (--log-frames: debug)."],
        ["trace", None, None,
         "Write every OCPP frame in and out to this file, one JSON line each (size-rotated)."],
        ["trace-max-bytes", None, 10 * 1024 * 1024, "Bytes past which the --trace file is rotated.",
         number("--trace-max-bytes", int)],
        ["trace-files", None, 5, "How many --trace files are kept (FILE, FILE.1, ...).",
         number("--trace-files", int)],
    ]

    #: The settings whose option is not named by the rule of
    #: L{openocpp.preflight.option_names}: setting name -> option.
    renamed_options: dict[str, str] = {}

    #: The role's settings, once parsed.
    config: Any = None

    def __init__(self) -> None:
        super().__init__()
        self["plugins"] = []

    def opt_plugin(self, name: str) -> None:
        """
        A plugin module to load (dotted name), may be repeated.
        """
        self["plugins"].append(name)

    def postOptions(self) -> None:
        with self.errors_named():
            self.check_observability()
            self.check()
            self.config = self.make_config()

    def check_observability(self) -> None:
        """
        Fail unless C{--log-format} and C{--log-level} are ones we write, and the C{--trace}
        file (when given) can be written: its folder exists, and it is no
        folder nor a file this process may not write. Creates nothing.

        @raise ValueError: it cannot; the message names the option.
        """
        import os

        if self["log-format"] not in ("text", "json"):
            raise ValueError(f"--log-format must be text or json, not {self['log-format']!r}")
        if self["log-level"] not in ("debug", "info", "warn", "error", "critical"):
            raise ValueError(
                f"--log-level must be debug, info, warn, error or critical, not {self['log-level']!r}"
            )
        path = self["trace"]
        if path is None:
            return
        if self["trace-max-bytes"] < 1024:
            raise ValueError(f"--trace-max-bytes must be 1024 or more, not {self['trace-max-bytes']}")
        if self["trace-files"] < 1:
            raise ValueError(f"--trace-files must be 1 or more, not {self['trace-files']}")
        folder = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(path):
            raise ValueError(f"--trace {path!r} is a folder")
        if not os.path.isdir(folder):
            raise ValueError(f"--trace {path!r}: the folder {folder!r} does not exist")
        if os.path.exists(path):
            if not os.access(path, os.W_OK):
                raise ValueError(f"--trace {path!r}: cannot write it")
        elif not os.access(folder, os.W_OK | os.X_OK):
            raise ValueError(f"--trace {path!r}: cannot write in the folder {folder!r}")

    def check(self) -> None:
        """
        Check what the settings do not check themselves, or check under
        their own names.

        @raise ValueError: an option is wrong; the message names it.
        """

    def make_config(self) -> Any:
        """
        @return: the role's settings the options describe.
        @raise ValueError: they do not make valid ones.
        """
        raise NotImplementedError(f"{type(self).__name__}.make_config")

    @classmethod
    def option_names(cls) -> dict[str, str]:
        """
        @return: setting name -> the option that sets it, for every option of
            more than one word.
        """
        return option_names(cls, **cls.renamed_options)

    @contextmanager
    def errors_named(self) -> Iterator[None]:
        """
        Run a block whose C{ValueError} (from the settings, a preflight
        check, building the service) becomes a C{usage.UsageError} naming
        the options.
        """
        try:
            yield
        except ValueError as error:
            raise usage.UsageError(in_option_names(str(error), self.option_names())) from None
