"""
The C{twistd openocpp} command line: options and the service they build::

    twistd -n openocpp centralsystem [options]
    twistd -n openocpp chargepoint [options]

A mistake on the command line is one line on standard error, naming the
option, and exit status 2, before any file is created: L{Options} and
L{makeService} exit that way (L{build_service} raises
C{usage.UsageError} instead, for programs that build the services
themselves). Each role gets a pid file of its own by default
(C{openocpp-centralsystem.pid}, C{openocpp-chargepoint.pid}; and, as a
daemon, a log file of its own), so both roles run from one folder.

Each role's options live in its package (C{openocpp.centralsystem.tap},
C{openocpp.chargepoint.tap}); the services are built by L{makeService}, which
imports the heavy parts only then, so C{twistd --help} stays fast: importing
this module, the dropin and the role tap modules loads neither autobahn nor a
role's service, store or web layer (C{tests/cli/test_tap_imports.py}).
"""

import sys

from twisted.application.service import IService, MultiService, Service
from twisted.logger import Logger
from twisted.python import usage

from openocpp.centralsystem.tap import CentralSystemOptions
from openocpp.centralsystem.tap import make_service as make_central_system
from openocpp.chargepoint.tap import ChargePointOptions
from openocpp.chargepoint.tap import make_service as make_charge_point

_BUILDERS = {
    "centralsystem": make_central_system,
    "chargepoint": make_charge_point,
}


#: twistd's default pid file, replaced by one per role.
_TWISTD_PIDFILE = "twistd.pid"

#: The prefix twistd's option parser gives a coercer's error.
_COERCION_PREFIX = "Parameter type enforcement failed: "


def _milliseconds(text: str) -> float:
    # --debug-stalls: a positive number of milliseconds.
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not value > 0 or value == float("inf"):
        raise ValueError(f"--debug-stalls takes a positive number of milliseconds, not {text!r}")
    return value


class Options(usage.Options):
    """
    Options of C{twistd openocpp}: a subcommand names the role to run.

    A usage error is written as one line to C{stderr} and exits the process
    with status 2 (not twistd's whole C{--help}).
    """

    longdesc = "Run one role of OCPP 1.6-J: a central system or a charge point."
    optFlags = [
        ["no-gc-tuning", None, "Keep CPython's garbage collector settings (see openocpp.gctuning)."],
    ]
    optParameters = [
        ["debug-stalls", None, None,
         "Log every reactor turn longer than MS milliseconds with what ran in it, and a "
         "summary a minute (see openocpp.stalls; a debugging aid).", _milliseconds],
    ]
    subCommands = [
        ["centralsystem", None, CentralSystemOptions, "Run a central system"],
        ["chargepoint", None, ChargePointOptions, "Run a charge point"],
    ]

    #: Where a usage error is written (tests replace it).
    stderr = None

    @property
    def synopsis(self) -> str:
        """
        The usage line's part for C{openocpp}: with a role chosen, the role's
        own synopsis follows it (so it is not said twice).
        """
        if self.subCommand is None:
            return "[--no-gc-tuning] [--debug-stalls MS] <centralsystem|chargepoint> [options]"
        return "[--no-gc-tuning] [--debug-stalls MS]"

    def opt_version(self) -> None:
        """
        Print openocpp's version and exit.
        """
        from openocpp import __version__

        sys.stdout.write(f"openocpp {__version__}\n")
        raise SystemExit(0)

    def parseOptions(self, options=None) -> None:
        try:
            super().parseOptions(options)
        except usage.UsageError as error:
            exit_with_usage_error(error, self.subCommand, self.stderr)

    def postOptions(self) -> None:
        if self.subCommand is None:
            raise usage.UsageError(
                "name a role to run: 'centralsystem' or 'chargepoint'"
            )
        parent = getattr(self, "parent", None)
        if parent is not None:
            _files_per_role(parent, self.subCommand)
            _log_format(parent, self.subOptions)


def _log_format(twistd: usage.Options, role: usage.Options) -> None:
    # twistd's log observer factory (its --logger) is ours, writing where
    # twistd would (--logfile, or standard output) in --log-format, at
    # --log-level and above; --log-frames' lines are debug ones.
    from openocpp.logformat import use_format

    level = "debug" if role["log-frames"] else role["log-level"]
    use_format(twistd, role["log-format"], level)


def _files_per_role(twistd: usage.Options, role: str) -> None:
    # twistd's pid file (and a daemon's log file) are named after the role
    # unless given: the two roles can run from one folder.
    if twistd.get("pidfile") == _TWISTD_PIDFILE:
        twistd["pidfile"] = f"openocpp-{role}.pid"
    if "logfile" in twistd and twistd.get("logfile") is None and not twistd.get("nodaemon"):
        twistd["logfile"] = f"openocpp-{role}.log"


def exit_with_usage_error(error: usage.UsageError, role: str | None = None, stderr=None) -> None:
    """
    Write a usage error as one line and exit with status 2.

    @param role: the role named on the command line, if any.
    @param stderr: where to write (default: C{sys.stderr}).
    @raise SystemExit: always.
    """
    message = " ".join(str(error).split())  # one line, whatever the error said
    if message.startswith(_COERCION_PREFIX):
        message = message[len(_COERCION_PREFIX):]
    command = "twistd openocpp" + (f" {role}" if role else "")
    stream = stderr if stderr is not None else sys.stderr
    stream.write(f"{command}: {message}\n")
    stream.flush()
    raise SystemExit(2)


def build_service(config: Options, reactor=None) -> IService:
    """
    Build the service tree of the role named on the command line: the role,
    and a L{ListeningGuard} that stops the reactor if one of its ports
    cannot listen after all.

    @raise usage.UsageError: the role's options cannot make a service (a
        plugin does not load, a port is in use, the database is not the
        role's, ...).
    """
    from openocpp.gctuning import GarbageCollectorTuning

    if reactor is None:
        from twisted.internet import reactor
    service = MultiService()
    if not config["no-gc-tuning"]:
        GarbageCollectorTuning().setServiceParent(service)
    if config["debug-stalls"] is not None:
        from openocpp.stalls import StallDetector

        StallDetector(reactor, config["debug-stalls"] / 1000).setServiceParent(service)
    role = _BUILDERS[config.subCommand](config.subOptions, reactor=reactor)
    role.setServiceParent(service)
    ListeningGuard(reactor, role).setServiceParent(service)
    return service


class ListeningGuard(Service):
    """
    Stops the reactor when a service that listens (one with a
    C{when_listening()}) fails to: a process without its port must not
    keep running, doing nothing. Started after the services it watches.

    The ports are tried before the role is built (L{openocpp.preflight}),
    so this catches only what changed in between, or endpoints that could
    not be tried then.

    @param reactor: the reactor to stop.
    @param root: the service tree to watch.
    """

    log = Logger()

    def __init__(self, reactor, root: IService) -> None:
        self._reactor = reactor
        self._root = root

    def startService(self) -> None:
        super().startService()
        for service in _listening_services(self._root):
            service.when_listening().addErrback(self._failed, service)

    def _failed(self, failure, service) -> None:
        self.log.critical(
            "{service} cannot listen ({reason}): stopping",
            service=getattr(service, "name", None) or type(service).__name__,
            reason=failure.getErrorMessage(),
        )
        if not self.running:
            return
        if self._reactor.running:
            self._reactor.stop()
        else:
            # twistd starts the services before it runs the reactor.
            self._reactor.callWhenRunning(self._reactor.stop)


def _listening_services(service):
    if callable(getattr(service, "when_listening", None)):
        yield service
    for child in service if isinstance(service, MultiService) else ():
        yield from _listening_services(child)


def makeService(config: Options) -> IService:
    """
    twistd's entry: L{build_service}, a usage error written as one line and
    exit status 2.
    """
    try:
        return build_service(config)
    except usage.UsageError as error:
        exit_with_usage_error(error, config.subCommand, config.stderr)
