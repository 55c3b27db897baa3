"""
The composite charging schedule: the limits a charge point will actually
apply, combined from its installed charging profiles (OCPP 1.6 sections 3.13
and 5.7, with the errata).

Pure computation: no Twisted, no I/O, no clock; the caller passes the
profiles, the connectors' transactions and the time. The smart charging
collaborator answers GetCompositeSchedule with L{composite_schedule} and
tells the charger's application the limit in force with L{current_limit}.

The rules, and the choices made where the spec leaves room:

 - B{Which profiles count.} A ChargePointMaxProfile counts only on connector
   0 ("can only be set at Charge Point ConnectorId 0", 3.13.1), a TxProfile
   only on a connector > 0 that has a transaction, and only if its
   transactionId is that transaction's or absent (5.16.2: a RemoteStart's
   profile has none). A TxDefaultProfile on connector 0 applies to every
   connector, but one installed on a connector replaces, for that connector
   only, the connector-0 TxDefaultProfile of the same stackLevel ("the
   TxDefaultProfile SHALL be replaced only for that specific connector",
   3.13.1, with 3.13.2's rule that the same stackLevel and purpose replace):
   the others stack with it. Profiles on unknown connectors are ignored.

 - B{Stacking} (3.13.2). Within one purpose, at each moment, the profile
   with the highest stackLevel that applies at that moment prevails. A
   profile applies from validFrom (absent: always) until validTo (absent:
   forever), and only while its schedule runs: from its start to the end of
   its C{duration} (absent: forever), so that a lower stack level takes over
   when it ends (errata to 5.16.4: "SHALL use a ChargingProfile with a lower
   stackLevel if available"). Two profiles of the same purpose and
   stackLevel (which the charge point does not allow) both count: the lower
   limit wins, so that the answer does not depend on their order.

 - B{A schedule's start.} Absolute: its startSchedule (absent: as Relative,
   "if absent the schedule will be relative to start of charging", 7.13).
   Relative: the connector's transaction's start; a connector without one is
   answered as if a transaction started at the composite's start (so is a
   transaction whose start is unknown); a Relative ChargePointMaxProfile
   counts from the connector's start in the same way, and from the
   composite's start on connector 0. Recurring: every 24 hours (Daily) or 7
   days (Weekly) "at the same time as in the startSchedule" (errata to
   7.37), from startSchedule on (no recurrence before it); without a
   startSchedule, from midnight UTC (Daily) or Monday 00:00 UTC (Weekly),
   the 1.6 text's "beginning of the next day / week (Monday morning)"; a
   Recurring profile without a recurrencyKind recurs daily. A recurrence is
   cut at the recurrence period: "the remainder periods SHALL NOT be
   executed" (errata). Days are 86400 s of UTC: DST is not applied (3.13.7:
   "a special profile might be needed").

 - B{Periods.} A period runs from its startPeriod to the next one's (7.14);
   the last one runs to the schedule's duration ("the Charge Point SHALL
   keep the value of the last chargingSchedulePeriod until duration has
   ended", 5.16.4); a period starting after the duration is not executed.
   Before a first period that does not start at 0 (which the spec forbids)
   the profile does not apply. Two periods with the same startPeriod: the
   lower limit. Negative limits count as 0, a numberPhases below 1 as
   absent.

 - B{Combining purposes} (3.13.3). On a connector, a TxProfile that applies
   overrules the TxDefaultProfiles (3.13.1); the connector's limit is the
   minimum of that and the ChargePointMaxProfile ("taking the minimum value
   for each time interval"). C{max_limit}, the charger's own maximum per
   connector (a local limit, 5.7: "Local Limits might be taken into
   account"), caps every connector too, when given.

 - B{Connector 0} is "the total expected power or current the Charge Point
   expects to consume from the grid" (5.7, errata 3.30): the sum over the
   connectors that have a transaction (an idle connector draws nothing) of
   their limits without the ChargePointMaxProfile, the sum bounded by the
   ChargePointMaxProfile ("the limit for all connectors combined", 3.13.3).
   With no transaction anywhere the total is 0. A busy connector that no
   profile limits (and no C{max_limit}) makes the total unbounded, so only
   the ChargePointMaxProfile limits it. In A the connectors' currents per
   phase are added as if all drew on the same phases: no phase carries
   more.

 - B{Units} (7.12). A is per phase, W the total: W = A * C{voltage} *
   phases, with the period's numberPhases, 3 when absent ("3 SHALL be
   assumed"). Each period is converted to the composite's unit before the
   minimum is taken. With C{unit=None} the composite is in W when every
   profile that counts for the query is in W, and in A otherwise (or when
   none counts). C{max_limit} is in A per phase on C{max_limit_phases}
   phases unless C{max_limit_unit} says W.

 - B{numberPhases.} The number of phases is a limit too (3.13.7: any of
   charge point, cable and EV limits it): a composite period carries the
   smallest numberPhases stated by the periods that apply, None when none
   states one. On connector 0 it is the largest stated by the busy
   connectors (one that states none counting as 3 then), bounded by the
   ChargePointMaxProfile's.

 - B{minChargingRate} is not a limit (3.13.4: a hint for a local balancing
   algorithm): it is ignored.

 - B{Rounding.} Limits are rounded down to one decimal place ("accepts at
   most one digit fraction", 7.14), down so that a converted limit never
   exceeds the limit it comes from. Times count whole seconds (startPeriod
   is an integer): the composite starts at C{start} truncated to the second
   and sub-second parts of other times are dropped; a naive datetime is
   UTC. Adjacent periods with
   the same limit and numberPhases are merged.

 - B{No profile applies.} "If a Charge Point goes offline, without having
   any charging profiles, then it SHALL execute a transaction as if no
   constraints apply" (3.13.6), but a ChargingSchedule cannot say "no
   limit": its periods run until the next one, and its first starts at 0.
   So with C{max_limit} given, a moment without a profile gets
   C{max_limit}: what the charger applies when no profile limits it. Without
   C{max_limit}, the composite ends (its C{duration} is cut) at the first
   moment from which no profile applies: "the last period will continue
   ... until duration" (7.13), and after the duration nothing is said, which
   a central system reads as no limit. When no profile applies at the start,
   the composite has no period and duration 0, and
   L{Composite.to_charging_schedule} returns None: the answer is Accepted
   without a chargingSchedule (it is optional in GetCompositeSchedule.conf).

 - B{Cost.} The work grows with the periods of the answer; a duration
   longer than C{max_duration} (L{MAX_DURATION}, 31 days, by default) is
   refused (L{DurationRefused}), as is a negative one, and so is a window
   in which the profiles that count have more than C{max_segments}
   (L{MAX_SEGMENTS}) periods in force (L{WorkRefused}: ten daily profiles
   of 24 distinct periods over 31 days on connector 0 are 9000, 40 ms of
   work with the answer's encoding): GetCompositeSchedule answers Rejected,
   as 5.7 allows when the charge point "is not able to report the requested
   schedule".

 - B{Determinism.} The result depends neither on the profiles' order nor on
   their chargingProfileIds.
"""

from __future__ import annotations

import math
import sys
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from openocpp.messages.datatypes import ChargingProfile, ChargingSchedule, ChargingSchedulePeriod
from openocpp.messages.enums import (
    ChargingProfileKindType,
    ChargingProfilePurposeType,
    ChargingRateUnitType,
    RecurrencyKindType,
)

#: Seconds in a Daily recurrence.
DAY = 86400
#: Seconds in a Weekly recurrence.
WEEK = 7 * DAY
#: How far L{current_limit} looks for the next change.
HORIZON = WEEK
#: The longest composite computed by default: a month of 10 daily profiles
#: of 24 periods takes about 5 ms (benchmarks/bench_composite.py), a year
#: 60 ms, which would block the reactor.
MAX_DURATION = 31 * DAY
#: From here on a float has no fractional part (2 ** 52).
_WHOLE = float(2**52)
#: The most segments (a profile's period in force between two moments of
#: the composite's window) a composite is worked out from by default: the
#: sweep, then encoding and checking the answer's periods, cost about 4.5 us
#: a segment of CPU, so 1200 hold the reactor for about 5 ms. Ten daily
#: profiles of 24 periods (the keys' defaults) at distinct times on two busy
#: connectors make 1200 segments in about 4 days on connector 0, a week on
#: connector 1 (without this bound: 40 ms for 31 days on connector 0).
MAX_SEGMENTS = 1200
#: The phases assumed when a period states none (7.12: "3 SHALL be assumed").
DEFAULT_PHASES = 3

#: Monday 1970-01-05 00:00 UTC, in seconds since the epoch: the origin of a
#: Weekly recurrence without startSchedule.
_FIRST_MONDAY = 4 * DAY
#: L{current_limit} looks this far first, then further while nothing changes.
_LOOKAHEADS = (3600, DAY)

_A = ChargingRateUnitType.A
_W = ChargingRateUnitType.W
_MAX = ChargingProfilePurposeType.CHARGE_POINT_MAX_PROFILE
_DEFAULT = ChargingProfilePurposeType.TX_DEFAULT_PROFILE
_TX = ChargingProfilePurposeType.TX_PROFILE


class CompositeRefused(ValueError):
    """
    The charge point cannot report the composite asked for: GetCompositeSchedule
    answers Rejected (5.7: "If the Charge Point is not able to report the
    requested schedule, for instance if the connectorId is unknown, it SHALL
    respond with a status Rejected").
    """


class WorkRefused(CompositeRefused):
    """
    The composite asked for would be worked out from more segments than
    C{max_segments}: more work than the charge point does without holding
    its reactor.
    """


class UnknownConnector(CompositeRefused, LookupError):
    """
    The connector asked for is neither 0 nor one of the charge point's.
    """


class DurationRefused(CompositeRefused):
    """
    The duration asked for is negative, or longer than the charge point
    computes without blocking (C{max_duration}).
    """


@dataclass(frozen=True, slots=True)
class InstalledProfile:
    """
    A charging profile as installed on the charge point.

    @ivar connector_id: the connector it was set on; 0 is the charge point as
        a whole (a ChargePointMaxProfile, or a TxDefaultProfile for every
        connector).
    @ivar profile: the profile.
    """

    connector_id: int
    profile: ChargingProfile


@dataclass(frozen=True, slots=True)
class ConnectorActivity:
    """
    What a connector is doing, as far as its charging limits care.

    @ivar transaction_id: its transaction's id; None when it has none.
    @ivar started_at: when that transaction started (Relative profiles count
        from it); None when unknown or when there is no transaction.
    """

    transaction_id: int | None
    started_at: datetime | None


@dataclass(frozen=True, slots=True)
class CompositePeriod:
    """
    One period of a composite schedule.

    @ivar start_period: seconds from the composite's start.
    @ivar limit: the limit, in the composite's unit, rounded down to one
        decimal place.
    @ivar number_phases: the phases that may be used; None when no profile
        says.
    """

    start_period: int
    limit: float
    number_phases: int | None


@dataclass(frozen=True, slots=True)
class Composite:
    """
    A composite schedule: what the charge point will apply from C{start} for
    C{duration} seconds.

    @ivar start: its start (the request's time, to the second).
    @ivar duration: its length in seconds: the duration asked for, or less
        when no profile applies from some moment on (see the module's
        docstring).
    @ivar unit: the unit of its limits.
    @ivar periods: its periods, the first at 0, ordered, each running until
        the next (the last until C{duration}); empty when no profile applies
        at the start.
    """

    start: datetime
    duration: int
    unit: ChargingRateUnitType
    periods: tuple[CompositePeriod, ...]

    def to_charging_schedule(self) -> ChargingSchedule | None:
        """
        The composite as the chargingSchedule of a GetCompositeSchedule.conf:
        no startSchedule (errata 3.57: "this field must be omitted"; the
        answer's scheduleStart is L{start}), no minChargingRate.

        @return: the schedule; None when the composite has no period (answer
            without a chargingSchedule, which needs at least one period).
        """
        if not self.periods:
            return None
        return ChargingSchedule(
            charging_rate_unit=self.unit,
            duration=self.duration,
            charging_schedule_period=[
                ChargingSchedulePeriod(
                    start_period=period.start_period,
                    limit=period.limit,
                    number_phases=period.number_phases,
                )
                for period in self.periods
            ],
        )


def composite_schedule(
    profiles: Sequence[InstalledProfile],
    connector_id: int,
    start: datetime,
    duration: int,
    unit: ChargingRateUnitType | None,
    connectors: Mapping[int, ConnectorActivity],
    voltage: float = 230.0,
    max_limit: float | None = None,
    *,
    max_limit_unit: ChargingRateUnitType = _A,
    max_limit_phases: int = DEFAULT_PHASES,
    max_duration: int | None = MAX_DURATION,
    max_segments: int | None = MAX_SEGMENTS,
) -> Composite:
    """
    The schedule the charge point will actually apply on a connector (0: the
    whole charge point) from C{start} over C{duration} seconds, by the rules
    of the module's docstring.

    @param profiles: every installed profile, on every connector.
    @param connector_id: the connector asked for; 0 for the charge point's
        total.
    @param start: the composite's start (an aware datetime; naive is UTC).
    @param duration: its length in seconds.
    @param unit: the unit to answer in; None: W when every profile that
        counts is in W, else A.
    @param connectors: every connector 1..N and its transaction.
    @param voltage: the line voltage per phase, for A <-> W.
    @param max_limit: the charger's own maximum per connector; None: none.
    @param max_limit_unit: C{max_limit}'s unit.
    @param max_limit_phases: the phases C{max_limit} is for (A <-> W).
    @param max_duration: the longest C{duration} computed (None: any); the
        cost grows with the periods of the answer.
    @param max_segments: the most segments (periods in force of the
        profiles that count, within the window) worked from (None: any).
    @raise UnknownConnector: C{connector_id} is neither 0 nor in
        C{connectors} (answer Rejected).
    @raise DurationRefused: C{duration} is negative or longer than
        C{max_duration} (answer Rejected).
    @raise WorkRefused: more than C{max_segments} segments (answer
        Rejected).
    @raise ValueError: a C{voltage} that is not positive.
    """
    if duration < 0:
        raise DurationRefused(f"duration must not be negative, not {duration}")
    if max_duration is not None and duration > max_duration:
        raise DurationRefused(f"duration {duration} is longer than the {max_duration} s computed")
    query = _Query(profiles, connector_id, start, unit, connectors, voltage, max_limit, max_limit_unit, max_limit_phases)
    steps = query.steps(duration, max_segments)
    periods = []
    end = duration
    for offset, value in steps:
        if value is None:
            end = offset
            break
        periods.append(CompositePeriod(offset, value[0], value[1]))
    return Composite(start=query.start, duration=end, unit=query.unit, periods=tuple(periods))


def current_limit(
    profiles: Sequence[InstalledProfile],
    connector_id: int,
    moment: datetime,
    connectors: Mapping[int, ConnectorActivity],
    voltage: float = 230.0,
    max_limit: float | None = None,
    *,
    unit: ChargingRateUnitType | None = None,
    max_limit_unit: ChargingRateUnitType = _A,
    max_limit_phases: int = DEFAULT_PHASES,
    horizon: int = HORIZON,
) -> tuple[CompositePeriod | None, ChargingRateUnitType, datetime | None]:
    """
    The limit in force on a connector at C{moment}, and when it next
    changes: the first period of L{composite_schedule} from C{moment}.

    @param unit: as for L{composite_schedule}.
    @param horizon: how far to look for the next change, in seconds.
    @return: the period in force (start_period 0; None when no profile
        applies and there is no C{max_limit}), its unit, and the time the
        limit or numberPhases next changes (None: not within C{horizon}).
    @raise UnknownConnector: as for L{composite_schedule}.
    @raise ValueError: a C{voltage} that is not positive.
    """
    query = _Query(profiles, connector_id, moment, unit, connectors, voltage, max_limit, max_limit_unit, max_limit_phases)
    steps: list[tuple[int, tuple[float, int | None] | None]] = []
    for lookahead in _LOOKAHEADS + (horizon,):
        lookahead = min(lookahead, horizon)
        steps = query.steps(lookahead)
        if len(steps) > 1 or lookahead >= horizon:
            break
    if not steps:
        return None, query.unit, None
    value = steps[0][1]
    period = None if value is None else CompositePeriod(0, value[0], value[1])
    changes = None if len(steps) < 2 else query.start + timedelta(seconds=steps[1][0])
    return period, query.unit, changes


#: A limit and its numberPhases (None: not stated).
_Value = tuple[float, "int | None"]


def _epoch(moment: datetime) -> int:
    """
    @return: C{moment} in whole seconds since the epoch (naive is UTC).
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return math.floor(moment.timestamp())


def _round_down(limit: float) -> float:
    """
    @return: C{limit} rounded down to one decimal place (the tolerance keeps
        8.7 from becoming 8.6 through binary fractions); at most the largest
        finite float.
    """
    if limit >= _WHOLE:
        # The schema lets a limit be any number: 1e308 A times 10, or in W,
        # or summed over connectors, is infinite, which math.floor refuses
        # and JSON cannot carry. So large a float has no fraction anyway.
        return limit if limit <= sys.float_info.max else sys.float_info.max
    return math.floor(limit * 10 + 1e-6) / 10


def _min_phases(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a < b else b


def _lower(a: _Value | None, b: _Value | None) -> _Value | None:
    """
    @return: the stricter of two limits (None: no limit), with the fewer
        phases either states.
    """
    if a is None:
        return b
    if b is None:
        return a
    return (a[0] if a[0] < b[0] else b[0], _min_phases(a[1], b[1]))


def _total(drawn: list[_Value | None]) -> _Value | None:
    """
    @param drawn: the limit of each connector that counts.
    @return: their sum (None: unbounded, when one is); its phases are the
        most any connector may use (absent counting as 3), None when none
        states any. No connector: 0.
    """
    limit = 0.0
    phases = None
    for value in drawn:
        if value is None:
            return None
        limit += value[0]
        if value[1] is not None:
            phases = max(phases or 0, value[1])
    if phases is not None and any(value[1] is None for value in drawn):
        phases = max(phases, DEFAULT_PHASES)
    return (limit, phases)


class _Schedule:
    """
    One profile's limits over the query's window, as ordered, disjoint
    segments, converted to the query's unit; read at increasing times.

    @ivar rank: its precedence within its stack (higher wins).
    @ivar count: how many segments it has.
    """

    __slots__ = ("rank", "count", "_starts", "_ends", "_values", "_index")

    def __init__(self, rank: tuple[int, int], starts: list[int], ends: list[int], values: list[_Value]) -> None:
        self.rank = rank
        self.count = len(starts)
        self._starts = starts
        self._ends = ends
        self._values = values
        self._index = 0

    def boundaries(self) -> list[int]:
        """
        @return: every time its limit starts or ends.
        """
        return self._starts + self._ends

    def at(self, moment: int) -> _Value | None:
        """
        @param moment: no earlier than the previous call's.
        @return: its limit at C{moment}; None when it does not apply.
        """
        index = self._index
        ends = self._ends
        count = self.count
        while index < count and ends[index] <= moment:
            index += 1
        self._index = index
        if index < count and self._starts[index] <= moment:
            return self._values[index]
        return None


def _prevailing(stack: list[_Schedule], moment: int) -> _Value | None:
    """
    @param stack: schedules ordered by rank, highest first.
    @return: the limit of the highest-ranked schedule that applies at
        C{moment} (the lowest of equally ranked ones); None when none does.
    """
    best = None
    best_rank = None
    for schedule in stack:
        if best_rank is not None and schedule.rank < best_rank:
            break
        value = schedule.at(moment)
        if value is not None:
            best = _lower(best, value)
            best_rank = schedule.rank
    return best


class _Query:
    """
    One composite query: the profiles that count, in the query's unit, and
    the sweep that combines them.
    """

    def __init__(
        self,
        profiles: Sequence[InstalledProfile],
        connector_id: int,
        start: datetime,
        unit: ChargingRateUnitType | None,
        connectors: Mapping[int, ConnectorActivity],
        voltage: float,
        max_limit: float | None,
        max_limit_unit: ChargingRateUnitType,
        max_limit_phases: int,
    ) -> None:
        if connector_id != 0 and connector_id not in connectors:
            raise UnknownConnector(connector_id)
        if not voltage > 0:
            raise ValueError(f"voltage must be positive, not {voltage}")
        if start.tzinfo is None:
            start = start.replace(tzinfo=timezone.utc)
        self.start = start.replace(microsecond=0)
        self._origin = _epoch(self.start)
        self._converted: dict[int, tuple[list[int], list[_Value]]] = {}
        self._voltage = float(voltage)
        self._connector_id = connector_id
        self._connectors = {number: connectors[number] for number in sorted(connectors) if number > 0}
        # Which profiles count, per role: the ChargePointMaxProfiles, and per
        # connector that counts the TxProfiles and TxDefaultProfiles.
        self._max_profiles = [p.profile for p in profiles if p.connector_id == 0 and p.profile.charging_profile_purpose == _MAX]
        if connector_id == 0:
            counted = [n for n, activity in self._connectors.items() if activity.transaction_id is not None]
        else:
            counted = [connector_id]
        self._counted = counted
        self._tx_profiles = {n: self._tx_profiles_for(profiles, n) for n in counted}
        counting = list(self._max_profiles)
        for selected in self._tx_profiles.values():
            counting.extend(profile for _, profile in selected)
        if unit is None:
            units = {profile.charging_schedule.charging_rate_unit for profile in counting}
            unit = _W if units == {_W} else _A
        self.unit = ChargingRateUnitType(unit)
        self._max_value: _Value | None = None
        if max_limit is not None:
            self._max_value = (max(0.0, self._convert(float(max_limit), max_limit_unit, max_limit_phases)), None)

    def _tx_profiles_for(
        self, profiles: Sequence[InstalledProfile], connector: int
    ) -> list[tuple[bool, ChargingProfile]]:
        """
        @return: the TxProfiles (True) and TxDefaultProfiles (False) that
            count on C{connector}.
        """
        activity = self._connectors[connector]
        own_defaults = [
            p.profile for p in profiles if p.connector_id == connector and p.profile.charging_profile_purpose == _DEFAULT
        ]
        replaced = {profile.stack_level for profile in own_defaults}
        selected = [(False, profile) for profile in own_defaults]
        selected += [
            (False, p.profile)
            for p in profiles
            if p.connector_id == 0
            and p.profile.charging_profile_purpose == _DEFAULT
            and p.profile.stack_level not in replaced
        ]
        if activity.transaction_id is not None:
            selected += [
                (True, p.profile)
                for p in profiles
                if p.connector_id == connector
                and p.profile.charging_profile_purpose == _TX
                and p.profile.transaction_id in (None, activity.transaction_id)
            ]
        return selected

    def _convert(self, limit: float, unit: ChargingRateUnitType, phases: int | None) -> float:
        if unit == self.unit:
            return limit
        phases = phases or DEFAULT_PHASES
        if self.unit == _W:
            return limit * self._voltage * phases
        return limit / (self._voltage * phases)

    def _relative_start(self, connector: int) -> int:
        """
        @return: where a Relative schedule starts on C{connector} (0: the
            charge point), in seconds from the query's start.
        """
        activity = self._connectors.get(connector)
        if activity is None or activity.transaction_id is None or activity.started_at is None:
            return 0
        return _epoch(activity.started_at) - self._origin

    def _periods(self, profile: ChargingProfile) -> tuple[list[int], list[_Value]]:
        """
        @return: C{profile}'s period starts in order and their limits in the
            query's unit (computed once per query).
        """
        key = id(profile)
        cached = self._converted.get(key)
        if cached is not None:
            return cached
        unit = profile.charging_schedule.charging_rate_unit
        same = unit == self.unit
        to_watts = self.unit == _W
        voltage = self._voltage
        offsets = []
        values = []
        for period in profile.charging_schedule.charging_schedule_period:
            phases = period.number_phases
            if phases is not None and phases <= 0:
                phases = None
            limit = float(period.limit)
            if limit < 0:
                limit = 0.0
            elif not same:
                factor = voltage * (phases or DEFAULT_PHASES)
                limit = limit * factor if to_watts else limit / factor
            offsets.append(period.start_period)
            values.append((limit, phases))
        if offsets and offsets[0] >= 0 and all(a < b for a, b in zip(offsets, offsets[1:])):
            cached = (offsets, values)
        else:
            # Out of order or repeated starts (which SetChargingProfile
            # should refuse): the lower limit of a repeated start.
            periods: dict[int, _Value] = {}
            for offset, value in zip(offsets, values):
                if offset >= 0:
                    periods[offset] = _lower(periods.get(offset), value)
            ordered = sorted(periods)
            cached = (ordered, [periods[offset] for offset in ordered])
        self._converted[key] = cached
        return cached

    def _schedule(self, rank: tuple[int, int], profile: ChargingProfile, connector: int, length: int) -> _Schedule:
        """
        @return: C{profile}'s limits within [0, C{length}) of the query, in
            order.
        """
        starts: list[int] = []
        ends: list[int] = []
        values: list[_Value] = []
        low, high = 0, length
        if profile.valid_from is not None:
            low = max(low, _epoch(profile.valid_from) - self._origin)
        if profile.valid_to is not None:
            high = min(high, _epoch(profile.valid_to) - self._origin)
        if low >= high:
            return _Schedule(rank, starts, ends, values)
        schedule = profile.charging_schedule
        run = math.inf if schedule.duration is None else schedule.duration
        kind = profile.charging_profile_kind
        if kind == ChargingProfileKindType.RECURRING:
            cycle = WEEK if profile.recurrency_kind == RecurrencyKindType.WEEKLY else DAY
            if schedule.start_schedule is not None:
                origin = _epoch(schedule.start_schedule) - self._origin
            else:
                origin = (_FIRST_MONDAY if cycle == WEEK else 0) - self._origin
            run = min(run, cycle)
            first = max(0, (low - origin) // cycle)
            last = (high - 1 - origin) // cycle
            anchors: Sequence[int] = range(origin + first * cycle, origin + last * cycle + 1, cycle)
        elif kind == ChargingProfileKindType.ABSOLUTE and schedule.start_schedule is not None:
            anchors = (_epoch(schedule.start_schedule) - self._origin,)
        else:
            anchors = (self._relative_start(connector),)
        offsets, limits = self._periods(profile)
        count = len(offsets)
        for anchor in anchors:
            begin_at = low if low > anchor else anchor
            stop = anchor + run
            stop_at = int(high if high < stop else stop)
            if begin_at >= stop_at:
                continue
            # The period in force at begin_at, then each until stop_at.
            index = bisect_right(offsets, begin_at - anchor) - 1
            if index < 0:
                index = 0
            while index < count:
                begin = anchor + offsets[index]
                if begin >= stop_at:
                    break
                end = anchor + offsets[index + 1] if index + 1 < count else stop_at
                if begin < begin_at:
                    begin = begin_at
                if end > stop_at:
                    end = stop_at
                if begin < end:
                    starts.append(begin)
                    ends.append(end)
                    values.append(limits[index])
                index += 1
        return _Schedule(rank, starts, ends, values)

    def _stack(self, profiles: list[tuple[tuple[int, int], ChargingProfile]], connector: int, length: int) -> list[_Schedule]:
        """
        @return: the schedules of C{profiles} (with their ranks), highest
            rank first.
        """
        stack = [self._schedule(rank, profile, connector, length) for rank, profile in profiles]
        stack = [schedule for schedule in stack if schedule.count]
        stack.sort(key=lambda schedule: schedule.rank, reverse=True)
        return stack

    def steps(self, length: int, max_segments: int | None = None) -> list[tuple[int, _Value | None]]:
        """
        @param max_segments: the most segments worked from (None: any).
        @return: the combined limit over [0, C{length}): (start, value) in
            order, value None where no limit applies, rounded and merged.
        @raise WorkRefused: more segments than C{max_segments}.
        """
        if length <= 0:
            return []
        # A Relative ChargePointMaxProfile counts from the queried
        # connector's start, or the query's start on connector 0.
        max_stack = self._stack([((p.stack_level, 0), p) for p in self._max_profiles], self._connector_id, length)
        tx_stacks = {
            connector: self._stack(
                [((1 if is_tx else 0, profile.stack_level), profile) for is_tx, profile in selected], connector, length
            )
            for connector, selected in self._tx_profiles.items()
        }
        if max_segments is not None:
            segments = sum(schedule.count for schedule in max_stack)
            segments += sum(schedule.count for stack in tx_stacks.values() for schedule in stack)
            if segments > max_segments:
                raise WorkRefused(
                    f"{segments} segments of profiles in {length} s, more than the {max_segments} worked out"
                )
        moments = {0}
        for schedule in max_stack:
            moments.update(schedule.boundaries())
        for stack in tx_stacks.values():
            for schedule in stack:
                moments.update(schedule.boundaries())
        ordered = sorted(moment for moment in moments if 0 <= moment < length)
        maximum = self._max_value
        total = self._connector_id == 0
        stacks = list(tx_stacks.values())
        steps: list[tuple[int, _Value | None]] = []
        previous: object = ()
        for moment in ordered:
            cap = _prevailing(max_stack, moment)
            if total:
                value = _total([_lower(_prevailing(stack, moment), maximum) for stack in stacks])
                value = _lower(value, cap)
            else:
                value = _lower(_lower(_prevailing(stacks[0], moment), cap), maximum)
            if value is not None:
                value = (_round_down(value[0]), value[1])
            if value != previous:
                steps.append((moment, value))
                previous = value
        return steps
