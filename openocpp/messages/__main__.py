"""
C{python -m openocpp.messages}: list every supported action, its feature
profile and who sends it. Importing the package compiles every shipped
schema, so this also checks that the message layer is installed whole.
"""

import sys

from openocpp.messages.registry import ACTIONS, Role
from openocpp.messages.validation import VALIDATORS

_ROLE_NAMES = {Role.CHARGE_POINT: "Charge Point", Role.CENTRAL_SYSTEM: "Central System"}


def main() -> int:
    """
    Print the actions; return 0.
    """
    width = max(map(len, ACTIONS))
    print(
        f"openocpp: {len(ACTIONS)} OCPP 1.6 actions, "
        f"{len(VALIDATORS)} schemas compiled"
    )
    for spec in ACTIONS.values():
        senders = " and ".join(
            _ROLE_NAMES[role] for role in Role if spec.sent_by(role)
        )
        print(f"  {spec.name:<{width}}  {spec.profile:<24}  sent by {senders}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
