"""
What the two role tap modules (L{openocpp.centralsystem.tap},
L{openocpp.chargepoint.tap}) share: the options every role takes, and the
way a role's mistakes become one usage error naming the option.

Its imports are light, like the tap modules': C{twistd --help} stays fast.
"""

from contextlib import contextmanager
from typing import Any, Iterator

from twisted.python import usage

from openocpp.preflight import in_option_names, option_names


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
            self.check()
            self.config = self.make_config()

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
