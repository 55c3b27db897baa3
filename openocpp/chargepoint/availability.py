"""
Availability (OCPP 1.6 section 5.2, ChangeAvailability): connectors and
the charge point become Operative or Inoperative now, or once the
transactions running on them end (Scheduled); the connector's status
follows (Unavailable, Available again), and plugins are told.
"""

from typing import Any, Callable

from twisted.logger import Logger

from openocpp.messages.enums import AvailabilityStatus, AvailabilityType, ChargePointStatus


class Availability:
    """
    Carries out availability changes.

    @param connectors: the L{openocpp.chargepoint.connectors.Connectors}.
    @param status: the L{openocpp.chargepoint.status.StatusReporter}
        (its C{set}).
    @param notify: C{notify(hook, **kwargs)} tells plugins
        (C{openocpp_cp_availability_changed}).
    """

    log = Logger()

    def __init__(self, connectors: Any, status: Any, notify: Callable[..., None]) -> None:
        self._connectors = connectors
        self._status = status
        self._notify = notify

    def change(self, connector: int, kind: AvailabilityType) -> AvailabilityStatus:
        """
        Apply a ChangeAvailability now, or schedule it after the
        transactions running on the connectors it concerns. Connector 0 is
        the charge point and all its connectors (section 5.2); a connector
        already so answers Accepted, transaction or not.
        """
        connectors = self._connectors
        targets = [connector] if connector else list(connectors.outlets())
        scheduled = False
        for target in targets:
            record = connectors.record(target)
            if connectors.transaction(target) is None:
                if connector:
                    self._apply(target, kind)
                else:
                    # Reported with the charge point's own change below.
                    self._set(target, kind)
            elif record.availability == kind.value:
                connectors.schedule_availability(target, None)
            else:
                connectors.schedule_availability(target, kind)
                scheduled = True
        if connector == 0:
            if scheduled:
                connectors.schedule_availability(0, kind)
                for target in targets:
                    if connectors.transaction(target) is None:
                        self._follow(target)
            else:
                self._apply(0, kind)
        self.log.info(
            "Availability of connector {connector} set to {type}{when}",
            connector=connector,
            type=kind.value,
            when=" after its transactions" if scheduled else "",
        )
        return AvailabilityStatus.SCHEDULED if scheduled else AvailabilityStatus.ACCEPTED

    def _set(self, connector: int, kind: AvailabilityType) -> None:
        if self._connectors.set_availability(connector, kind):
            self._notify("openocpp_cp_availability_changed", connector=connector,
                         operative=kind is AvailabilityType.OPERATIVE)

    def _apply(self, connector: int, kind: AvailabilityType) -> None:
        self._set(connector, kind)
        if connector == 0:
            for target in self._connectors.all():
                if target == 0 or self._connectors.transaction(target) is None:
                    self._follow(target)
            return
        self._follow(connector)

    def _follow(self, connector: int) -> None:
        status = self._connectors.status(connector)
        if status is ChargePointStatus.FAULTED:
            return
        if not self._connectors.operative(connector):
            self._status.set(connector, ChargePointStatus.UNAVAILABLE)
        elif status is ChargePointStatus.UNAVAILABLE:
            self._status.set(connector, ChargePointStatus.AVAILABLE)

    def apply_scheduled(self, connector: int) -> None:
        connectors = self._connectors
        scheduled = connectors.scheduled_availability(connector)
        if scheduled is not None:
            self._apply(connector, scheduled)
        whole = connectors.scheduled_availability(0)
        if whole is not None and not connectors.running():
            self._apply(0, whole)
