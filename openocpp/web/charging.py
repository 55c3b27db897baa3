"""
The API's Smart Charging route: the charging profiles the central system
sent a charge point and it accepted
(C{GET /api/v1/chargepoints/{identity}/chargingprofiles}). The messages
themselves go through the generic C{POST .../actions/SetChargingProfile},
C{ClearChargingProfile} and C{GetCompositeSchedule}.
"""

from typing import Any, Callable

from twisted.internet.defer import Deferred


class ChargingProfileRoutes:
    """
    The handlers of the charging profile routes.

    @param queries: the L{openocpp.web.queries.ReadOnlyQueries}.
    @param charge_point: C{charge_point(identity)}: a Deferred of the
        charge point's JSON, or of C{None} when it is neither known nor
        connected.
    """

    def __init__(self, queries: Any, charge_point: Callable[[str], Deferred]) -> None:
        self._queries = queries
        self._charge_point = charge_point

    def list_profiles(self, call: Any, identity: str) -> Deferred:
        """
        C{GET .../chargingprofiles}: C{{"chargePoint", "items"}}, the
        profiles by connector and chargingProfileId.
        """
        # Imported here: openocpp.web.api imports this module for its routes.
        from openocpp.web.api import ApiError

        def known(record: dict | None) -> Deferred:
            if record is None:
                raise ApiError(404, "unknown_charge_point", f"no charge point {identity!r} is known or connected")
            return self._queries.charging_profiles(identity).addCallback(
                lambda items: {"chargePoint": identity, "items": items}
            )

        return self._charge_point(identity).addCallback(known)
