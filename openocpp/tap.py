"""
The C{twistd openocpp} command line: options and the service they build.

    twistd -n openocpp centralsystem [options]
    twistd -n openocpp chargepoint [options]

Each role's options live in its package (C{openocpp.centralsystem.tap},
C{openocpp.chargepoint.tap}); the services are built by L{makeService}, which
imports the heavy parts only then, so C{twistd --help} stays fast.
"""

from twisted.application.service import IService, MultiService
from twisted.python import usage

from openocpp.centralsystem.tap import CentralSystemOptions
from openocpp.centralsystem.tap import make_service as make_central_system
from openocpp.chargepoint.tap import ChargePointOptions
from openocpp.chargepoint.tap import make_service as make_charge_point

_BUILDERS = {
    "centralsystem": make_central_system,
    "chargepoint": make_charge_point,
}


class Options(usage.Options):
    """
    Options of C{twistd openocpp}: a subcommand names the role to run.
    """

    synopsis = "[--no-gc-tuning] <centralsystem|chargepoint> [options]"
    longdesc = "Run one role of OCPP 1.6-J: a central system or a charge point."
    optFlags = [
        ["no-gc-tuning", None, "Keep CPython's garbage collector settings (see openocpp.gctuning)."],
    ]
    subCommands = [
        ["centralsystem", None, CentralSystemOptions, "Run a central system"],
        ["chargepoint", None, ChargePointOptions, "Run a charge point"],
    ]

    def postOptions(self) -> None:
        if self.subCommand is None:
            raise usage.UsageError(
                "name a role to run: 'centralsystem' or 'chargepoint'"
            )


def makeService(config: Options) -> IService:
    """
    Build the service tree of the role named on the command line.
    """
    from openocpp.gctuning import GarbageCollectorTuning

    service = MultiService()
    if not config["no-gc-tuning"]:
        GarbageCollectorTuning().setServiceParent(service)
    _BUILDERS[config.subCommand](config.subOptions).setServiceParent(service)
    return service
