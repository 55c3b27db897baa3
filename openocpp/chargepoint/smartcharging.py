"""
Smart Charging on the charge point (OCPP 1.6 section 3.13, 5.5, 5.7, 5.11,
5.16, 9.4): the charging profiles the central system installs and clears,
the composite schedule it asks for, and the limit each connector may draw,
handed to the charger's application whenever it changes.

The profiles are kept in the SQLite file (L{ChargingProfileStore}); the
schedules are combined by L{openocpp.chargepoint.composite}, a pure
computation this module feeds with the installed profiles, the connectors'
transactions and the charge point's time.

The limit of each connector is worked out when a profile is installed or
cleared, when a transaction starts or stops, when the charge point's time
jumps, and when the composite schedule reaches its next change: one timer
per connector with a transaction, at that moment, on the reactor clock (an
idle connector draws nothing, and its Relative schedules would start again
at every look). The application hears it through the notification hook
C{openocpp_cp_charging_limit_changed} only when it really changed; before the
first one, a connector has no limit.

Amperes and watts are converted with the voltage per phase the hook
C{openocpp_cp_supply_voltage} answers (the config's C{supply_voltage}, 230 V,
when no plugin answers) and the period's numberPhases (3 when absent).
Where no profile applies, the charger's maximum (the config's
C{max_current}, amperes per phase) is the limit; without one the gap is no
limit: left out of GetCompositeSchedule.conf's periods, and C{None} to the
hook.
"""

from dataclasses import replace
from datetime import datetime
from typing import Any, Callable

from twisted.internet.defer import Deferred, gatherResults, inlineCallbacks, succeed
from twisted.logger import Logger

from openocpp.chargepoint.chargingprofiles import ChargingProfileStore, StoredProfile
from openocpp.chargepoint.composite import (
    HORIZON,
    CompositeRefused,
    ConnectorActivity,
    InstalledProfile,
    composite_schedule,
    current_limit,
)
from openocpp.messages import (
    ClearChargingProfileResponse,
    GetCompositeScheduleResponse,
    SetChargingProfileResponse,
)
from openocpp.messages.datatypes import ChargingProfile
from openocpp.messages.enums import (
    ChargingProfileKindType,
    ChargingProfilePurposeType,
    ChargingProfileStatus,
    ChargingRateUnitType,
    ClearChargingProfileStatus,
    GetCompositeScheduleStatus,
)
from openocpp.messages.errors import ErrorCode
from openocpp.rpc.errors import CallError

#: What an SQLite INTEGER holds (the schemas set no maximum to an integer).
_INT64 = range(-(2**63), 2**63)

#: ChargingScheduleAllowedChargingRateUnit's items, by unit.
_UNIT_ITEMS = {ChargingRateUnitType.A: "Current", ChargingRateUnitType.W: "Power"}


class SmartCharging:
    """
    The Smart Charging profile of a charge point.

    @param connectors: the L{openocpp.chargepoint.connectors.Connectors}.
    @param store: the L{openocpp.chargepoint.store.ChargePointStore}.
    @param ocpp_config: the L{openocpp.chargepoint.interfaces.IOcppConfig}
        (the Smart Charging keys, ConnectionTimeOut).
    @param clock: the C{twisted.internet.interfaces.IReactorTime} of the
        timers.
    @param now: returns the charge point's time (an aware C{datetime}).
    @param hook: C{hook(name, **kwargs)} asks the plugins (the supply
        voltage); returns a Deferred.
    @param notify: C{notify(name, **kwargs)} tells the plugins (the limit).
    @param voltage: volts per phase when no plugin tells.
    @param phases: the phases the charger is wired with (3: a numberPhases
        of 1 needs ConnectorSwitch3to1PhaseSupported).
    @param max_current: the charger's maximum in amperes per phase, the
        limit where no profile applies; C{None}: no limit there.
    """

    log = Logger()

    def __init__(
        self,
        connectors: Any,
        store: Any,
        ocpp_config: Any,
        clock: Any,
        now: Callable[[], datetime],
        hook: Callable[..., Deferred],
        notify: Callable[..., None],
        voltage: float = 230.0,
        phases: int = 3,
        max_current: float | None = None,
    ) -> None:
        self._connectors = connectors
        self._profiles = ChargingProfileStore(store)
        self._config = ocpp_config
        self._clock = clock
        self._now = now
        self._hook = hook
        self._notify = notify
        self._voltage = voltage
        self._phases = phases
        self._max_current = max_current
        #: By connector, the (limit, unit, number_phases) last told.
        self._told: dict[int, tuple] = {}
        #: By connector, the timer of its limit's next change.
        self._timers: dict[int, Any] = {}
        #: By connector, the TxProfile of an accepted remote start waiting
        #: for its transaction, and the timer that forgets it.
        self._expected: dict[int, tuple[ChargingProfile, Any]] = {}
        self._running = False

    def handlers(self) -> dict:
        """
        @return: the request handlers of the Smart Charging profile.
        """
        return {
            "SetChargingProfile": self.set_charging_profile,
            "ClearChargingProfile": self.clear_charging_profile,
            "GetCompositeSchedule": self.get_composite_schedule,
        }

    # -- lifetime -----------------------------------------------------------------

    def start(self) -> Deferred:
        """
        The charge point started: forget the TxProfiles of transactions that
        ended while it was stopped, and hand out the limits.
        """
        self._running = True
        self._profiles.forget()
        running = [record.local_id for record in self._connectors.running()]
        removed = self._profiles.clear_transactions(keep=running)
        if removed:
            self.log.info(
                "{count} TxProfiles of ended transactions removed", count=removed
            )
        return self.reconsider()

    def stop(self) -> None:
        """
        The charge point stops: no timer is left.
        """
        self._running = False
        timers = list(self._timers.values()) + [timer for _, timer in self._expected.values()]
        self._timers.clear()
        self._expected.clear()
        for timer in timers:
            if timer.active():
                timer.cancel()

    # -- what is installed --------------------------------------------------------

    def installed(self) -> list[StoredProfile]:
        """
        @return: the installed profiles.
        """
        return self._profiles.profiles()

    def _applicable(self) -> list:
        """
        The installed profiles as the composite takes them: a TxProfile
        only while its transaction runs, with that transaction's id.
        """
        running = {record.local_id: record for record in self._connectors.running()}
        profiles = []
        for stored in self._profiles.profiles():
            profile = stored.profile
            if stored.local_id is not None:
                record = running.get(stored.local_id)
                if record is None or record.connector_id != stored.connector_id:
                    continue
                profile = replace(profile, transaction_id=_transaction_key(record))
            profiles.append(InstalledProfile(stored.connector_id, profile))
        return profiles

    def _activities(self) -> dict:
        """
        Every connector 1..N with its transaction (id and start), as the
        composite takes them.
        """
        activities = {}
        for connector in self._connectors.outlets():
            record = self._connectors.transaction(connector)
            if record is None:
                activities[connector] = ConnectorActivity(None, None)
            else:
                activities[connector] = ConnectorActivity(
                    _transaction_key(record), _parse_time(record.started_at)
                )
        return activities

    # -- SetChargingProfile (5.16) -----------------------------------------------------

    def set_charging_profile(self, request):
        """
        SetChargingProfile.req: install the profile, or say why not.

        @return: the L{SetChargingProfileResponse} (Accepted or Rejected).
        @raise CallError: PropertyConstraintViolation for a connectorId
            that is not 0 to NumberOfConnectors (errata 3.39).
        """
        connector = request.connector_id
        profile = request.cs_charging_profiles
        if not 0 <= connector <= self._connectors.count:
            # errata 3.39: an invalid connectorId is a CALLERROR.
            self.log.info(
                "SetChargingProfile for connector {connector}: no such connector",
                connector=connector,
            )
            raise CallError(
                ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, f"no connector {connector}"
            )
        problem, local_id = self._installation_problem(connector, profile)
        if problem is not None:
            self.log.info(
                "SetChargingProfile {profile_id} on connector {connector} rejected: {problem}",
                profile_id=profile.charging_profile_id,
                connector=connector,
                problem=problem,
            )
            return SetChargingProfileResponse(status=ChargingProfileStatus.REJECTED)
        self._profiles.install(connector, profile, local_id)
        self.log.info(
            "Charging profile {profile_id} ({purpose}, stack level {stack_level}) installed "
            "on connector {connector}",
            profile_id=profile.charging_profile_id,
            purpose=str(profile.charging_profile_purpose),
            stack_level=profile.stack_level,
            connector=connector,
        )
        self.reconsider()
        return SetChargingProfileResponse(status=ChargingProfileStatus.ACCEPTED)

    def _installation_problem(self, connector: int, profile: ChargingProfile):
        """
        What stops installing a profile on a connector, and the local id of
        the transaction a TxProfile belongs to.

        @return: C{(problem or None, local_id or None)}.
        """
        problem = self.profile_problem(profile)
        if problem is not None:
            return problem, None
        purpose = ChargingProfilePurposeType(profile.charging_profile_purpose)
        local_id = None
        if purpose is ChargingProfilePurposeType.CHARGE_POINT_MAX_PROFILE and connector != 0:
            return "a ChargePointMaxProfile can only be set on connector 0 (3.13.1)", None
        if purpose is not ChargingProfilePurposeType.TX_PROFILE and profile.transaction_id is not None:
            # 7.8: transactionId is "Only valid if ChargingProfilePurpose is
            # set to TxProfile".
            return f"a transactionId on a {purpose.value} (only a TxProfile has one, 7.8)", None
        if purpose is ChargingProfilePurposeType.TX_PROFILE:
            if connector == 0:
                return "a TxProfile can only be set on a connector > 0 (3.13.1)", None
            record = self._connectors.transaction(connector)
            if record is None:
                return f"no transaction on connector {connector} for a TxProfile (3.13.1)", None
            wanted = profile.transaction_id
            if wanted is not None and wanted != record.wire_id:
                return (
                    f"transaction {wanted} does not run on connector {connector} "
                    f"(its transaction is {record.wire_id})"
                ), None
            local_id = record.local_id
        return self._room_problem(connector, profile), local_id

    def _room_problem(self, connector: int, profile: ChargingProfile) -> str | None:
        """
        @return: why installing C{profile} on C{connector} would hold more
            than MaxChargingProfilesInstalled profiles (9.4), or C{None}.
        """
        limit = self._config.integer("MaxChargingProfilesInstalled")
        after = self._profiles.count() - self._profiles.replaced_by(connector, profile) + 1
        if after > limit:
            return f"{limit} profiles installed already (MaxChargingProfilesInstalled)"
        return None

    def profile_problem(self, profile: ChargingProfile) -> str | None:
        """
        What in a profile the Smart Charging keys (9.4) or the spec's rules
        for schedules (5.16, 7.x) do not allow.

        @return: the problem, naming the key, or C{None}.
        """
        if profile.charging_profile_id not in _INT64:
            return f"chargingProfileId {profile.charging_profile_id} is beyond 64 bits (what the store holds)"
        config = self._config
        most = config.integer("ChargeProfileMaxStackLevel")
        if profile.stack_level < 0 or profile.stack_level > most:
            return f"stackLevel {profile.stack_level} is not 0 to {most} (ChargeProfileMaxStackLevel)"
        schedule = profile.charging_schedule
        unit = ChargingRateUnitType(schedule.charging_rate_unit)
        allowed = config.get("ChargingScheduleAllowedChargingRateUnit")
        if _UNIT_ITEMS[unit] not in [item.strip() for item in allowed.split(",")]:
            return (
                f"chargingRateUnit {unit.value} is not allowed "
                f"(ChargingScheduleAllowedChargingRateUnit is {allowed})"
            )
        periods = schedule.charging_schedule_period
        most = config.integer("ChargingScheduleMaxPeriods")
        if len(periods) > most:
            return f"{len(periods)} periods, more than {most} (ChargingScheduleMaxPeriods)"
        if not periods:
            return "no chargingSchedulePeriod"
        if periods[0].start_period != 0:
            return "the first chargingSchedulePeriod does not start at 0 (5.16)"
        for before, after in zip(periods, periods[1:]):
            if after.start_period <= before.start_period:
                return "the periods' startPeriod do not increase"
        for period in periods:
            if period.limit < 0:
                return f"a negative limit ({period.limit})"
            phases = period.number_phases
            if phases is not None:
                if not 1 <= phases <= 3:
                    return f"numberPhases {phases} is not 1 to 3"
                if phases > self._phases:
                    return f"numberPhases {phases} on a {self._phases}-phase charge point"
                if (
                    phases == 1
                    and self._phases == 3
                    and not config.boolean("ConnectorSwitch3to1PhaseSupported")
                ):
                    return "numberPhases 1 on a 3-phase charge point (ConnectorSwitch3to1PhaseSupported is false)"
        if schedule.duration is not None and schedule.duration < 0:
            return f"a negative duration ({schedule.duration})"
        kind = ChargingProfileKindType(profile.charging_profile_kind)
        if kind is ChargingProfileKindType.RECURRING:
            if profile.recurrency_kind is None:
                return "a Recurring profile without recurrencyKind"
            if schedule.start_schedule is None:
                return "a Recurring profile without startSchedule (its recurrence origin)"
        if (
            profile.valid_from is not None
            and profile.valid_to is not None
            and profile.valid_to <= profile.valid_from
        ):
            return "validTo is not after validFrom"
        return None

    # -- RemoteStartTransaction's profile (5.11, 5.16.2) ---------------------------------

    def remote_start_problem(self, connector: int, profile: ChargingProfile) -> str | None:
        """
        What stops a RemoteStartTransaction.req's charging profile from
        being used for the transaction it starts.

        @return: the problem, or C{None}.
        """
        if profile.charging_profile_purpose != ChargingProfilePurposeType.TX_PROFILE:
            # 5.11: "The purpose of this ChargingProfile SHALL be set to TxProfile."
            return f"its charging profile's purpose is {profile.charging_profile_purpose}, not TxProfile (5.11)"
        if profile.transaction_id is not None:
            # errata to 5.16.2: "the transactionId SHALL NOT be set"
            return "its charging profile has a transactionId (5.16.2)"
        problem = self.profile_problem(profile) or self._room_problem(connector, profile)
        if problem is not None:
            # 5.11: the profile "SHALL" be used if accepted: a remote start
            # whose profile cannot be installed is not accepted.
            return f"its charging profile: {problem}"
        return None

    def expect(self, connector: int, profile: ChargingProfile) -> None:
        """
        An accepted remote start carried a TxProfile: it is installed for
        the next transaction starting on the connector, unless none starts
        within ConnectionTimeOut.
        """
        self._forget_expected(connector)
        timeout = self._config.integer("ConnectionTimeOut")
        timer = self._clock.callLater(timeout, self._expected_timed_out, connector)
        self._expected[connector] = (profile, timer)

    def _expected_timed_out(self, connector: int) -> None:
        expected = self._expected.pop(connector, None)
        if expected is not None:
            self.log.info(
                "Charging profile {profile_id} of a remote start dropped: no transaction "
                "started on connector {connector}",
                profile_id=expected[0].charging_profile_id,
                connector=connector,
            )

    def _forget_expected(self, connector: int) -> ChargingProfile | None:
        expected = self._expected.pop(connector, None)
        if expected is None:
            return None
        profile, timer = expected
        if timer.active():
            timer.cancel()
        return profile

    # -- transactions ----------------------------------------------------------------

    def transaction_changed(self, connector: int) -> None:
        """
        A transaction started or stopped on a connector: a remote start's
        TxProfile is installed for the one that started, the TxProfiles of
        the one that stopped are removed (3.13.1: "After the transaction is
        stopped, the profile SHOULD be deleted"), and the limits worked out
        again.
        """
        try:
            self._transaction_changed(connector)
        except Exception:
            # The transaction goes on whatever happens here (a full disk).
            self.log.failure(
                "Charging profiles of connector {connector} not updated", connector=connector
            )
        self.reconsider()

    def _transaction_changed(self, connector: int) -> None:
        record = self._connectors.transaction(connector)
        if record is not None:
            profile = self._forget_expected(connector)
            if profile is not None:
                self._profiles.install(connector, profile, record.local_id)
                self.log.info(
                    "Charging profile {profile_id} of the remote start installed for "
                    "transaction {local_id} on connector {connector}",
                    profile_id=profile.charging_profile_id,
                    local_id=record.local_id,
                    connector=connector,
                )
        else:
            running = [record.local_id for record in self._connectors.running()]
            removed = self._profiles.clear_transactions(keep=running)
            if removed:
                self.log.info(
                    "TxProfiles of the transaction on connector {connector} removed",
                    connector=connector,
                )

    # -- ClearChargingProfile (5.5) -----------------------------------------------------

    def clear_charging_profile(self, request):
        """
        ClearChargingProfile.req: clear by id, or every profile matching
        all the fields given (errata 3.25; none: all).

        @return: the L{ClearChargingProfileResponse}: Accepted when a
            profile was cleared, Unknown otherwise.
        """
        purpose = request.charging_profile_purpose
        numbers = (request.id, request.connector_id, request.stack_level)
        if any(number is not None and number not in _INT64 for number in numbers):
            # No profile has a number beyond 64 bits (none is installed
            # with one): nothing matches.
            removed = 0
        else:
            removed = self._profiles.clear(
                request.id,
                request.connector_id,
                None if purpose is None else str(purpose),
                request.stack_level,
            )
        self.log.info(
            "ClearChargingProfile (id {id}, connector {connector}, purpose {purpose}, stack "
            "level {stack_level}) removed {count} profiles",
            id=request.id,
            connector=request.connector_id,
            purpose=purpose,
            stack_level=request.stack_level,
            count=removed,
        )
        if not removed:
            return ClearChargingProfileResponse(status=ClearChargingProfileStatus.UNKNOWN)
        self.reconsider()
        return ClearChargingProfileResponse(status=ClearChargingProfileStatus.ACCEPTED)

    # -- GetCompositeSchedule (5.7) --------------------------------------------------------

    @inlineCallbacks
    def get_composite_schedule(self, request):
        """
        GetCompositeSchedule.req: the schedule from now over the duration
        asked (5.7).

        @return: a Deferred of the L{GetCompositeScheduleResponse}.
        """
        rejected = GetCompositeScheduleResponse(status=GetCompositeScheduleStatus.REJECTED)
        connector = request.connector_id
        if not 0 <= connector <= self._connectors.count:
            self.log.info(
                "GetCompositeSchedule rejected: no connector {connector}", connector=connector
            )
            return rejected
        allowed = self._allowed_units()
        unit = request.charging_rate_unit
        if unit is None:
            unit = allowed[0]
        elif ChargingRateUnitType(unit) not in allowed:
            self.log.info(
                "GetCompositeSchedule rejected: unit {unit} not in "
                "ChargingScheduleAllowedChargingRateUnit",
                unit=str(unit),
            )
            return rejected
        unit = ChargingRateUnitType(unit)
        voltage = yield self.supply_voltage(connector)
        # Periods are whole seconds from startSchedule: it is now, to the second.
        start = self._now().replace(microsecond=0)
        try:
            composite = composite_schedule(
                self._applicable(),
                connector,
                start,
                request.duration,
                unit,
                self._activities(),
                voltage=voltage,
                **self._maximum(),
            )
        except CompositeRefused as refused:
            # A negative duration, or one longer than the composite works
            # out without holding the reactor (MAX_DURATION, 31 days): "not
            # able to report the requested schedule" (5.7).
            self.log.info("GetCompositeSchedule rejected: {reason}", reason=str(refused))
            return rejected
        return GetCompositeScheduleResponse(
            status=GetCompositeScheduleStatus.ACCEPTED,
            connector_id=connector,
            schedule_start=start,
            charging_schedule=composite.to_charging_schedule(),
        )

    def _allowed_units(self) -> list[ChargingRateUnitType]:
        items = [
            item.strip()
            for item in self._config.get("ChargingScheduleAllowedChargingRateUnit").split(",")
        ]
        units = [unit for unit, item in _UNIT_ITEMS.items() if item in items]
        return units or [ChargingRateUnitType.A]

    def _maximum(self) -> dict:
        """
        The charger's maximum per connector, as the composite takes it:
        C{max_current} amperes per phase on each of its phases.
        """
        return {
            "max_limit": self._max_current,
            "max_limit_unit": ChargingRateUnitType.A,
            "max_limit_phases": self._phases,
        }

    def supply_voltage(self, connector: int) -> Deferred:
        """
        @return: a Deferred of the volts per phase on a connector: a
            plugin's answer, or the configured default.
        """

        def answer(volts):
            if volts is None:
                return self._voltage
            try:
                volts = float(volts)
            except (TypeError, ValueError):
                volts = 0.0
            if not volts > 0:  # also refuses nan
                self.log.warn(
                    "openocpp_cp_supply_voltage answered {volts!r}: using {default} V",
                    volts=volts,
                    default=self._voltage,
                )
                return self._voltage
            return volts

        def failed(failure):
            self.log.failure(
                "openocpp_cp_supply_voltage failed: using {default} V", failure, default=self._voltage
            )
            return self._voltage

        return self._hook("openocpp_cp_supply_voltage", connector=connector).addCallbacks(
            answer, failed
        )

    # -- the limit handed to the charger ------------------------------------------------------

    def reconsider(self) -> Deferred:
        """
        Work out every connector's limit now, tell the application of those
        that changed, and set each connector's timer at its next change.

        @return: a Deferred that fires once done.
        """
        if not self._running:
            return succeed(None)
        work = [self._reconsider(connector) for connector in self._connectors.outlets()]
        return gatherResults(work, consumeErrors=True).addCallback(lambda _: None)

    @inlineCallbacks
    def _reconsider(self, connector: int):
        voltage = yield self.supply_voltage(connector)
        if not self._running:
            return
        now = self._now()
        try:
            period, unit, next_change = current_limit(
                self._applicable(),
                connector,
                now,
                self._activities(),
                voltage=voltage,
                **self._maximum(),
            )
        except Exception:
            # Nothing a timer or a transaction's start could do about it:
            # the limit told stays, and the next change tries again.
            self.log.failure("The charging limit of connector {connector} could not be worked out",
                             connector=connector)
            return
        if period is None:
            limit = (None, None, None)
        else:
            limit = (period.limit, ChargingRateUnitType(unit), period.number_phases)
        timer = self._timers.pop(connector, None)
        if timer is not None and timer.active():
            timer.cancel()
        # Only a connector with a transaction has a timer: an idle one draws
        # nothing, and its Relative schedules would start again at every
        # look (as if a transaction started now). Its limit is worked out
        # again when a profile changes and when a transaction starts.
        if self._connectors.transaction(connector) is not None:
            if next_change is None:
                # No change within the horizon looked in: look again once
                # it has passed (a profile starting in a month still
                # limits a transaction running then).
                delay = float(HORIZON)
            else:
                # At least a millisecond on: a boundary at the very moment
                # is past once this runs again.
                delay = max((next_change - now).total_seconds(), 0.001)
            self._timers[connector] = self._clock.callLater(delay, self._boundary, connector)
        if self._told.get(connector, (None, None, None)) == limit:
            return
        self._told[connector] = limit
        self.log.info(
            "Connector {connector} may now draw {limit} {unit} ({number_phases} phases)",
            connector=connector,
            limit="any" if limit[0] is None else limit[0],
            unit="" if limit[1] is None else limit[1].value,
            number_phases=limit[2] or 3,
        )
        self._notify(
            "openocpp_cp_charging_limit_changed",
            connector_id=connector,
            limit=limit[0],
            unit=limit[1],
            number_phases=limit[2],
        )

    def _boundary(self, connector: int) -> None:
        self._timers.pop(connector, None)
        self._reconsider(connector)

    def limit(self, connector: int) -> tuple:
        """
        @return: C{(limit, unit, number_phases)} last told for a connector;
            C{(None, None, None)}: no limit.
        """
        return self._told.get(connector, (None, None, None))


def _transaction_key(record: Any) -> int:
    """
    The id a running transaction is known by in the composite: the central
    system's, or (until StartTransaction.conf gives it) minus the local one.
    """
    wire = record.wire_id
    return wire if wire is not None else -record.local_id


def _parse_time(text: str) -> datetime:
    # The store keeps codec.format_datetime's text: ISO 8601, in UTC.
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
