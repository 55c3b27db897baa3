"""
The C{twistd openocpp} command line: options and the service they build.

    twistd -n openocpp centralsystem [options]
    twistd -n openocpp chargepoint [options]

Heavy imports happen inside L{makeService}, so C{twistd --help} stays fast.
"""

from twisted.application.service import IService, MultiService
from twisted.python import usage

from openocpp.centralsystem.tap import CentralSystemOptions, make_service as make_central_system


def _not_yet(role: str) -> None:
    # Refused while parsing, so twistd prints a usage error, not a traceback.
    raise usage.UsageError(
        f"the {role} role is not available yet: it arrives with its role "
        "issue (see README.md)"
    )


class ChargePointOptions(usage.Options):
    """
    Options of C{twistd openocpp chargepoint}.
    """

    synopsis = "[options]"
    longdesc = (
        "Run an OCPP 1.6-J charge point. It arrives with the Charge Point "
        "role issue; this release ships the message, RPC and transport "
        "layers."
    )

    def postOptions(self) -> None:
        _not_yet("chargepoint")


class Options(usage.Options):
    """
    Options of C{twistd openocpp}: a subcommand names the role to run.
    """

    synopsis = "<centralsystem|chargepoint> [options]"
    longdesc = "Run one role of OCPP 1.6-J: a central system or a charge point."
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

    @raise usage.UsageError: the role is not available in this release.
    """
    builders = {"centralsystem": make_central_system}
    builder = builders.get(config.subCommand)
    if builder is None:
        raise usage.UsageError(
            f"the {config.subCommand} role is not available yet: it arrives "
            "with its role issue (see README.md)"
        )
    service = MultiService()
    builder(config.subOptions).setServiceParent(service)
    return service
