"""
Tests for L{openocpp.chargepoint.composite}: a table of composite schedules
worked out by hand from OCPP 1.6 section 3.13 (and 5.7, 5.16, 7.x, the
errata), and properties that hold for any profiles.

Times are UTC; 2026-12-02 is a Wednesday. Each case says the installed
profiles, the connectors' transactions, the query and the expected periods
as (startPeriod, limit, numberPhases), with the spec sentence it follows.
"""

from __future__ import annotations

import math
import sys

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from openocpp.chargepoint.composite import (
    MAX_DURATION,
    Composite,
    CompositePeriod,
    CompositeRefused,
    ConnectorActivity,
    DurationRefused,
    InstalledProfile,
    UnknownConnector,
    WorkRefused,
    composite_schedule,
    current_limit,
)
from openocpp.messages import GetCompositeScheduleResponse, codec
from openocpp.messages.datatypes import ChargingProfile, ChargingSchedule, ChargingSchedulePeriod
from openocpp.messages.enums import (
    ChargingProfileKindType,
    ChargingProfilePurposeType,
    ChargingRateUnitType,
    GetCompositeScheduleStatus,
    RecurrencyKindType,
)

UTC = timezone.utc
A = ChargingRateUnitType.A
W = ChargingRateUnitType.W
MAX = ChargingProfilePurposeType.CHARGE_POINT_MAX_PROFILE
DEFAULT = ChargingProfilePurposeType.TX_DEFAULT_PROFILE
TX = ChargingProfilePurposeType.TX_PROFILE
ABSOLUTE = ChargingProfileKindType.ABSOLUTE
RECURRING = ChargingProfileKindType.RECURRING
RELATIVE = ChargingProfileKindType.RELATIVE
DAILY = RecurrencyKindType.DAILY
WEEKLY = RecurrencyKindType.WEEKLY
HOUR = 3600
DAY = 86400


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """
    @return: C{day} December 2026, C{hour}:C{minute} UTC.
    """
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def profile(
    purpose: ChargingProfilePurposeType,
    periods: list[tuple],
    *,
    stack: int = 0,
    kind: ChargingProfileKindType = ABSOLUTE,
    start: datetime | None = None,
    duration: int | None = None,
    unit: ChargingRateUnitType = A,
    recurrency: RecurrencyKindType | None = None,
    transaction: int | None = None,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    identifier: int = 1,
    min_rate: float | None = None,
) -> ChargingProfile:
    """
    @param periods: (startPeriod, limit) or (startPeriod, limit,
        numberPhases) tuples.
    @return: a charging profile.
    """
    return ChargingProfile(
        charging_profile_id=identifier,
        stack_level=stack,
        charging_profile_purpose=purpose,
        charging_profile_kind=kind,
        recurrency_kind=recurrency,
        transaction_id=transaction,
        valid_from=valid_from,
        valid_to=valid_to,
        charging_schedule=ChargingSchedule(
            charging_rate_unit=unit,
            duration=duration,
            start_schedule=start,
            min_charging_rate=min_rate,
            charging_schedule_period=[
                ChargingSchedulePeriod(start_period=p[0], limit=p[1], number_phases=p[2] if len(p) > 2 else None)
                for p in periods
            ],
        ),
    )


#: Two idle connectors.
IDLE = {1: (None, None), 2: (None, None)}


@dataclass
class Case:
    """
    One composite worked out by hand.

    @ivar quote: the spec sentence the expectation follows.
    @ivar installed: (connectorId, profile) pairs.
    @ivar query: (connectorId, start, duration, unit).
    @ivar expected: (duration, unit, [(startPeriod, limit, numberPhases)]).
    @ivar connectors: connectorId -> (transactionId, started_at).
    """

    quote: str
    installed: list[tuple[int, ChargingProfile]]
    query: tuple[int, datetime, int, ChargingRateUnitType | None]
    expected: tuple[int, ChargingRateUnitType, list[tuple]]
    connectors: dict[int, tuple] = field(default_factory=lambda: dict(IDLE))
    max_limit: float | None = None


def busy(transaction: int = 7, started: datetime | None = None, other: tuple = (None, None)) -> dict:
    """
    @return: connector 1 in C{transaction} (started at C{started}), connector
        2 as C{other}.
    """
    return {1: (transaction, started), 2: other}


#: The example of 3.13.7: a daily default profile of 6 kW from 08:00 to 20:00.
SPEC_EXAMPLE = profile(
    DEFAULT,
    [(0, 11000, 3), (28800, 6000, 3), (72000, 11000, 3)],
    kind=RECURRING,
    recurrency=DAILY,
    duration=86400,
    start=datetime(2013, 1, 1, tzinfo=UTC),
    unit=W,
    identifier=100,
)

#: 3.13.2's calendar: a weekly TxDefaultProfile with full current on
#: weekdays 23:00-06:00 and all weekend, reduced current at other times
#: (from Monday 2026-11-30 00:00).
WEEK_CALENDAR = profile(
    DEFAULT,
    [(0, 32)]
    + [(day * DAY + offset, limit) for day in range(5) for offset, limit in ((6 * HOUR, 10), (23 * HOUR, 32))],
    kind=RECURRING,
    recurrency=WEEKLY,
    start=at(1, 0) - timedelta(days=1),
    identifier=10,
)

#: 3.13.2's exception for a holiday: full current all of Friday 25 December.
HOLIDAY = profile(DEFAULT, [(0, 32)], stack=1, start=at(25, 0), duration=DAY, identifier=11)

CASES: dict[str, Case] = {
    # 3.13.7: "a daily default profile that limits the power to 6 kW between 08:00h and 20:00h."
    "spec_example_limits_6kw_from_8_to_20": Case(
        "3.13.7 Example data structure: limits the power to 6 kW between 08:00h and 20:00h",
        [(0, SPEC_EXAMPLE)],
        (1, at(2, 6), DAY, None),
        (DAY, W, [(0, 11000, 3), (2 * HOUR, 6000, 3), (14 * HOUR, 11000, 3)]),
    ),
    # 7.12: "Current per phase = Power / (Line Voltage * Number of Phases)": 11000 / 690 = 15.94, 6000 / 690 = 8.69.
    "spec_example_in_amperes_is_rounded_down": Case(
        "7.12 W: Current per phase = Power / (Line Voltage * Number of Phases); 7.14 limit: at most one digit fraction",
        [(0, SPEC_EXAMPLE)],
        (1, at(2, 6), DAY, A),
        (DAY, A, [(0, 15.9, 3), (2 * HOUR, 8.6, 3), (14 * HOUR, 15.9, 3)]),
    ),
    "spec_calendar_reduced_on_weekday_evening_full_at_night_and_weekend": Case(
        "3.13.2: full power or current charging on weekdays from 23:00h to 06:00h and 00:00h to 24:00h in weekends",
        [(0, WEEK_CALENDAR)],
        (1, at(4, 20), 12 * HOUR, None),
        (12 * HOUR, A, [(0, 10), (3 * HOUR, 32)]),
    ),
    "spec_calendar_without_holiday_reduces_on_thursday_and_friday": Case(
        "3.13.2: reduced power or current charging at other times",
        [(0, WEEK_CALENDAR)],
        (1, at(24, 20), 12 * HOUR, None),
        (12 * HOUR, A, [(0, 10), (3 * HOUR, 32), (10 * HOUR, 10)]),
    ),
    "spec_calendar_holiday_exception_on_higher_stack_level_prevails": Case(
        "3.13.2: On top of that, one can define other TxDefaultProfiles that define exception to this rule, for example for holidays",
        [(0, WEEK_CALENDAR), (0, HOLIDAY)],
        (1, at(24, 20), 12 * HOUR, None),
        (12 * HOUR, A, [(0, 10), (3 * HOUR, 32)]),
    ),
    "recurring_daily_crosses_midnight_without_a_boundary": Case(
        "errata 7.37 Daily: The schedule restarts every 24 hours, at the same time as in the startSchedule",
        [(0, profile(DEFAULT, [(0, 10), (4 * HOUR, 32)], kind=RECURRING, recurrency=DAILY, start=at(1, 22), duration=8 * HOUR))],
        (1, at(2, 23), 4 * HOUR, None),
        (4 * HOUR, A, [(0, 10), (3 * HOUR, 32)]),
    ),
    "recurring_daily_shorter_than_a_day_falls_back_to_no_limit": Case(
        "errata 5.16.4: the Charge Point SHALL fall back to default behavior after the chargingSchedule duration ends ..."
        " If no other ChargingProfile is available, the Charge Point SHALL allow charging as if no ChargingProfile is installed",
        [(0, profile(DEFAULT, [(0, 10), (4 * HOUR, 32)], kind=RECURRING, recurrency=DAILY, start=at(1, 22), duration=8 * HOUR))],
        (1, at(3, 5), 3 * HOUR, None),
        (HOUR, A, [(0, 32)]),
    ),
    "recurring_daily_shorter_than_a_day_falls_back_to_the_chargers_maximum": Case(
        "errata 5.16.4: the Charge Point SHALL allow charging as if no ChargingProfile is installed",
        [(0, profile(DEFAULT, [(0, 10), (4 * HOUR, 32)], kind=RECURRING, recurrency=DAILY, start=at(1, 22), duration=8 * HOUR))],
        (1, at(3, 5), 3 * HOUR, None),
        (3 * HOUR, A, [(0, 32), (HOUR, 40)]),
        max_limit=40,
    ),
    "recurring_daily_falls_back_to_lower_stack_level": Case(
        "errata 5.16.4: This fall back means that the Charge Point SHALL use a ChargingProfile with a lower stackLevel if available",
        [
            (0, profile(DEFAULT, [(0, 6)], kind=RECURRING, recurrency=DAILY, start=at(1, 8), duration=12 * HOUR, stack=1)),
            (0, profile(DEFAULT, [(0, 16)], start=at(1, 0), identifier=2)),
        ],
        (1, at(2, 18), 4 * HOUR, None),
        (4 * HOUR, A, [(0, 6), (2 * HOUR, 16)]),
    ),
    "recurring_periods_beyond_the_recurrence_are_not_executed": Case(
        "errata 5.16.4: If the chargingSchedulePeriod and/or duration is longer then the recurrence period duration,"
        " the remainder periods SHALL not be executed",
        [(0, profile(DEFAULT, [(0, 10), (DAY + HOUR, 20)], kind=RECURRING, recurrency=DAILY, start=at(1, 0), duration=2 * DAY))],
        (1, at(2, 23), 3 * HOUR, None),
        (3 * HOUR, A, [(0, 10)]),
    ),
    "recurring_daily_does_not_apply_before_its_start_schedule": Case(
        "7.13 startSchedule: Starting point of an absolute schedule; errata 7.37: restarts every 24 hours",
        [(0, profile(DEFAULT, [(0, 10)], kind=RECURRING, recurrency=DAILY, start=at(2, 12), duration=23 * HOUR))],
        (1, at(2, 10), 4 * HOUR, None),
        (4 * HOUR, A, [(0, 32), (2 * HOUR, 10)]),
        max_limit=32,
    ),
    "recurring_weekly_crosses_the_week_boundary": Case(
        "errata 7.37 Weekly: The schedule restarts every 7 days, at the same time and day-of-the-week as in the startSchedule",
        [(0, profile(DEFAULT, [(0, 16), (6 * DAY, 32)], kind=RECURRING, recurrency=WEEKLY, start=at(1, 0) - timedelta(days=1)))],
        (1, at(6, 20), 8 * HOUR, None),
        (8 * HOUR, A, [(0, 32), (4 * HOUR, 16)]),
    ),
    "recurring_weekly_without_start_schedule_restarts_monday_morning": Case(
        "7.37 (1.6 text) Weekly: The schedule restarts at the beginning of the next week (defined as Monday morning)",
        [(0, profile(DEFAULT, [(0, 16), (6 * DAY, 32)], kind=RECURRING, recurrency=WEEKLY))],
        (1, at(6, 20), 8 * HOUR, None),
        (8 * HOUR, A, [(0, 32), (4 * HOUR, 16)]),
    ),
    "relative_before_a_transaction_starts_now": Case(
        "7.9 Relative: Schedule periods are relative to a situation-specific start point (such as the start of a Transaction);"
        " issue 13: a connector without a transaction is answered as if a transaction started now",
        [(0, profile(DEFAULT, [(0, 6), (HOUR, 16)], kind=RELATIVE))],
        (1, at(2, 10), 2 * HOUR, None),
        (2 * HOUR, A, [(0, 6), (HOUR, 16)]),
    ),
    "relative_during_a_transaction_counts_from_its_start": Case(
        "7.9 Relative: Schedule periods are relative to a situation-specific start point (such as the start of a Transaction)",
        [(0, profile(DEFAULT, [(0, 6), (HOUR, 16)], kind=RELATIVE))],
        (1, at(2, 10), 2 * HOUR, None),
        (2 * HOUR, A, [(0, 6), (HOUR // 2, 16)]),
        connectors=busy(7, at(2, 9, 30)),
    ),
    "relative_tx_profile_ends_then_tx_default_applies": Case(
        "3.13.1: it SHALL overrule the default charging profile with purpose TxDefaultProfile for the duration of the current transaction only",
        [
            (1, profile(TX, [(0, 10)], kind=RELATIVE, duration=HOUR, transaction=7)),
            (0, profile(DEFAULT, [(0, 32)], start=at(1, 0), identifier=2)),
        ],
        (1, at(2, 10), 2 * HOUR, None),
        (2 * HOUR, A, [(0, 10), (HOUR // 2, 32)]),
        connectors=busy(7, at(2, 9, 30)),
    ),
    "stack_levels_overlapping_partially": Case(
        "3.13.2: the prevailing charging profile SHALL be the charging profile with the highest stackLevel among the profiles"
        " that are valid at that point in time",
        [
            (0, profile(DEFAULT, [(0, 32)], start=at(2, 10))),
            (0, profile(DEFAULT, [(0, 10)], start=at(2, 11), duration=HOUR, stack=1, identifier=2)),
        ],
        (1, at(2, 10), 4 * HOUR, None),
        (4 * HOUR, A, [(0, 32), (HOUR, 10), (2 * HOUR, 32)]),
    ),
    "highest_stack_level_without_duration_never_falls_back": Case(
        "3.13.2: If you use Stacking without a duration, on the highest stack level, the Charge Point will never fall back"
        " to a lower stack level profile",
        [
            (0, profile(DEFAULT, [(0, 32)], start=at(2, 10))),
            (0, profile(DEFAULT, [(0, 10)], start=at(2, 11), stack=1, identifier=2)),
        ],
        (1, at(2, 10), 4 * HOUR, None),
        (4 * HOUR, A, [(0, 32), (HOUR, 10)]),
    ),
    "absolute_schedule_not_started_yet_leaves_the_lower_level": Case(
        "7.13 startSchedule: Starting point of an absolute schedule",
        [
            (0, profile(DEFAULT, [(0, 32)], start=at(2, 8))),
            (0, profile(DEFAULT, [(0, 10)], start=at(2, 12), stack=1, identifier=2)),
        ],
        (1, at(2, 10), 4 * HOUR, None),
        (4 * HOUR, A, [(0, 32), (2 * HOUR, 10)]),
    ),
    "valid_from_and_valid_to_cut_a_schedule": Case(
        "3.13.2: ... among the profiles that are valid at that point in time, as determined by their validFrom and validTo parameters",
        [
            (0, profile(DEFAULT, [(0, 32)], start=at(2, 8))),
            (0, profile(DEFAULT, [(0, 10)], start=at(2, 8), stack=1, valid_from=at(2, 11), valid_to=at(2, 12), identifier=2)),
        ],
        (1, at(2, 10), 4 * HOUR, None),
        (4 * HOUR, A, [(0, 32), (HOUR, 10), (2 * HOUR, 32)]),
    ),
    "valid_to_ends_the_composite_when_nothing_else_applies": Case(
        "7.8 validTo: Point in time at which the profile stops to be valid; 7.13 duration: the last period will continue"
        " indefinitely or until end of the transaction",
        [(0, profile(DEFAULT, [(0, 32)], start=at(2, 8), valid_to=at(2, 12)))],
        (1, at(2, 10), 4 * HOUR, None),
        (2 * HOUR, A, [(0, 32)]),
    ),
    "charge_point_max_profile_below_a_tx_profile": Case(
        "3.13.3: the available power or current in the Composite Schedule ... SHALL be less than or equal to lowest value"
        " of available power or current in any of the merged schedules",
        [
            (0, profile(MAX, [(0, 20)], start=at(1, 0))),
            (1, profile(TX, [(0, 32)], kind=RELATIVE, transaction=7, identifier=2)),
        ],
        (1, at(2, 10), HOUR, None),
        (HOUR, A, [(0, 20)]),
        connectors=busy(7, at(2, 9)),
    ),
    "charge_point_max_profile_taking_the_minimum_for_each_interval": Case(
        "3.13.3: This Composite Schedule is calculated by taking the minimum value for each time interval",
        [
            (0, profile(MAX, [(0, 40), (HOUR, 10)], start=at(2, 10))),
            (1, profile(TX, [(0, 16)], kind=RELATIVE, transaction=7, identifier=2)),
        ],
        (1, at(2, 10), 2 * HOUR, None),
        (2 * HOUR, A, [(0, 16), (HOUR, 10)]),
        connectors=busy(7, at(2, 9)),
    ),
    "amperes_to_watts_with_three_phases_assumed": Case(
        "7.12: Note that if numberPhases in a ChargingSchedulePeriod is absent, 3 SHALL be assumed (16 A * 230 V * 3 = 11040 W)",
        [(0, profile(DEFAULT, [(0, 16)], start=at(1, 0)))],
        (1, at(2, 10), HOUR, W),
        (HOUR, W, [(0, 11040, None)]),
    ),
    "amperes_to_watts_with_one_phase": Case(
        "7.12: The Number of Phases is the numberPhases from the ChargingSchedulePeriod (16 A * 230 V * 1 = 3680 W)",
        [(0, profile(DEFAULT, [(0, 16, 1)], start=at(1, 0)))],
        (1, at(2, 10), HOUR, W),
        (HOUR, W, [(0, 3680, 1)]),
    ),
    "watts_to_amperes_with_one_phase": Case(
        "7.12: Current per phase = Power / (Line Voltage * Number of Phases) (7360 W / 230 V = 32 A)",
        [(0, profile(DEFAULT, [(0, 7360, 1)], start=at(1, 0), unit=W))],
        (1, at(2, 10), HOUR, A),
        (HOUR, A, [(0, 32, 1)]),
    ),
    "mixed_units_compared_in_amperes": Case(
        "3.13.3: SHALL be less than or equal to lowest value ... in any of the merged schedules (11040 W on 3 phases = 16 A)",
        [
            (0, profile(MAX, [(0, 11040)], start=at(1, 0), unit=W)),
            (0, profile(DEFAULT, [(0, 20)], start=at(1, 0), identifier=2)),
        ],
        (1, at(2, 10), HOUR, None),
        (HOUR, A, [(0, 16)]),
    ),
    "fewest_phases_stated_apply": Case(
        "3.13.7: The amount of phases used during charging is limited by the capabilities of: The Charge Point, EV and Cable",
        [
            (0, profile(MAX, [(0, 32, 3)], start=at(1, 0))),
            (0, profile(DEFAULT, [(0, 20, 1)], start=at(1, 0), identifier=2)),
        ],
        (1, at(2, 10), HOUR, None),
        (HOUR, A, [(0, 20, 1)]),
    ),
    "duration_beyond_the_last_period_keeps_its_limit_until_the_duration": Case(
        "5.16.4: If duration is longer than the chargingSchedulePeriod, the Charge Point SHALL keep the value of the last"
        " chargingSchedulePeriod until duration has ended",
        [(0, profile(DEFAULT, [(0, 16), (1800, 10)], start=at(2, 10), duration=HOUR))],
        (1, at(2, 10), 2 * HOUR, None),
        (HOUR, A, [(0, 16), (1800, 10)]),
    ),
    "duration_beyond_the_last_period_then_the_chargers_maximum": Case(
        "3.13.6: then it SHALL execute a transaction as if no constraints apply",
        [(0, profile(DEFAULT, [(0, 16), (1800, 10)], start=at(2, 10), duration=HOUR))],
        (1, at(2, 10), 2 * HOUR, None),
        (2 * HOUR, A, [(0, 16), (1800, 10), (HOUR, 32)]),
        max_limit=32,
    ),
    "periods_after_the_duration_are_not_executed": Case(
        "5.16.4: If the chargingSchedulePeriod is longer than duration, the remainder periods SHALL not be executed",
        [(0, profile(DEFAULT, [(0, 16), (HOUR, 10)], start=at(2, 10), duration=1800))],
        (1, at(2, 10), 2 * HOUR, None),
        (1800, A, [(0, 16)]),
    ),
    "connector_0_sums_two_busy_connectors_bounded_by_the_charge_point_max": Case(
        "3.13.3: the limit value of ChargePointMaxProfile is the limit for all connectors combined; 5.7: the total expected"
        " power or current the Charge Point expects to consume from the grid",
        [
            (0, profile(MAX, [(0, 40), (HOUR, 20)], start=at(2, 10))),
            (0, profile(DEFAULT, [(0, 16)], start=at(1, 0), identifier=2)),
            (1, profile(TX, [(0, 10)], kind=RELATIVE, transaction=7, identifier=3)),
        ],
        (0, at(2, 10), 2 * HOUR, None),
        (2 * HOUR, A, [(0, 26), (HOUR, 20)]),
        connectors=busy(7, at(2, 9), other=(8, at(2, 9, 30))),
    ),
    "connector_0_counts_only_connectors_with_a_transaction": Case(
        "5.7: the Charge Point SHALL report the total expected power or current the Charge Point expects to consume from the grid",
        [
            (0, profile(MAX, [(0, 40), (HOUR, 20)], start=at(2, 10))),
            (0, profile(DEFAULT, [(0, 16)], start=at(1, 0), identifier=2)),
            (1, profile(TX, [(0, 10)], kind=RELATIVE, transaction=7, identifier=3)),
        ],
        (0, at(2, 10), 2 * HOUR, None),
        (2 * HOUR, A, [(0, 10)]),
        connectors=busy(7, at(2, 9)),
    ),
    "connector_0_without_transactions_expects_nothing": Case(
        "5.7: the total expected power or current the Charge Point expects to consume from the grid (no transaction: none)",
        [(0, profile(MAX, [(0, 40)], start=at(2, 10)))],
        (0, at(2, 10), HOUR, None),
        (HOUR, A, [(0, 0)]),
    ),
    "connector_0_with_an_unlimited_busy_connector_is_the_charge_point_max": Case(
        "3.13.3: The combined energy flow of all connectors SHALL NOT be greater then the limit set by ChargePointMaxProfile",
        [(0, profile(MAX, [(0, 40)], start=at(2, 10)))],
        (0, at(2, 10), HOUR, None),
        (HOUR, A, [(0, 40)]),
        connectors=busy(7, at(2, 9)),
    ),
    "connector_0_sums_in_watts_with_each_connectors_phases": Case(
        "7.12 W: This is the TOTAL allowed charging power (16 A * 230 V * 3 + 16 A * 230 V * 1 = 14720 W)",
        [
            (1, profile(DEFAULT, [(0, 16)], start=at(1, 0))),
            (2, profile(DEFAULT, [(0, 16, 1)], start=at(1, 0), identifier=2)),
        ],
        (0, at(2, 10), HOUR, W),
        (HOUR, W, [(0, 14720, 3)]),
        connectors=busy(7, at(2, 9), other=(8, at(2, 9))),
    ),
    "connector_0_relative_tx_default_counts_from_each_transactions_start": Case(
        "3.13.1: If TxDefaultProfile is set to ConnectorId 0, the TxDefaultProfile is applicable to all Connectors;"
        " 7.9 Relative: relative to a situation-specific start point (such as the start of a Transaction)",
        [(0, profile(DEFAULT, [(0, 6), (HOUR, 16)], kind=RELATIVE))],
        (0, at(2, 10), 2 * HOUR, None),
        (2 * HOUR, A, [(0, 12), (1800, 22), (2700, 32)]),
        connectors=busy(7, at(2, 9, 30), other=(8, at(2, 9, 45))),
    ),
    "tx_profile_for_another_transaction_is_ignored": Case(
        "5.16: To prevent mismatch between transactions and a TxProfile, The Central System SHALL include the transactionId"
        " in a SetChargingProfile.req if the profile applies to a specific transaction",
        [
            (1, profile(TX, [(0, 6)], start=at(1, 0), transaction=99)),
            (0, profile(DEFAULT, [(0, 16)], start=at(1, 0), identifier=2)),
        ],
        (1, at(2, 10), HOUR, None),
        (HOUR, A, [(0, 16)]),
        connectors=busy(7, at(2, 9)),
    ),
    "tx_profile_without_transaction_id_applies_to_the_transaction": Case(
        "5.16.2: the transactionId SHALL NOT be set ... The Charge Point SHALL apply the given profile to the newly started transaction",
        [
            (1, profile(TX, [(0, 6)], kind=RELATIVE)),
            (0, profile(DEFAULT, [(0, 16)], start=at(1, 0), identifier=2)),
        ],
        (1, at(2, 10), HOUR, None),
        (HOUR, A, [(0, 6)]),
        connectors=busy(7, at(2, 9)),
    ),
    "tx_profile_is_ignored_on_a_connector_without_transaction": Case(
        "3.13.1: it SHALL overrule the default charging profile ... for the duration of the current transaction only",
        [
            (1, profile(TX, [(0, 6)], kind=RELATIVE, transaction=7)),
            (0, profile(DEFAULT, [(0, 16)], start=at(1, 0), identifier=2)),
        ],
        (1, at(2, 10), HOUR, None),
        (HOUR, A, [(0, 16)]),
    ),
    "connector_tx_default_replaces_the_connector_0_one": Case(
        "3.13.1: In the event a TxDefaultProfile for connector 0 is installed, and the Central System sends a new profile with"
        " ConnectorId >0, the TxDefaultProfile SHALL be replaced only for that specific connector",
        [
            (0, profile(DEFAULT, [(0, 6)], start=at(1, 0))),
            (1, profile(DEFAULT, [(0, 20)], start=at(1, 0), identifier=2)),
        ],
        (1, at(2, 10), HOUR, None),
        (HOUR, A, [(0, 20)]),
    ),
    "connector_0_tx_default_still_applies_to_the_other_connector": Case(
        "3.13.1: the TxDefaultProfile SHALL be replaced only for that specific connector",
        [
            (0, profile(DEFAULT, [(0, 6)], start=at(1, 0))),
            (1, profile(DEFAULT, [(0, 20)], start=at(1, 0), identifier=2)),
        ],
        (2, at(2, 10), HOUR, None),
        (HOUR, A, [(0, 6)]),
    ),
    "connector_0_tx_default_on_a_higher_stack_level_stacks_over_the_connectors": Case(
        "3.13.2: Precedence of charging profiles is determined by the value of their StackLevel parameter",
        [
            (0, profile(DEFAULT, [(0, 6)], start=at(2, 11), duration=HOUR, stack=1)),
            (1, profile(DEFAULT, [(0, 20)], start=at(1, 0), identifier=2)),
        ],
        (1, at(2, 10), 3 * HOUR, None),
        (3 * HOUR, A, [(0, 20), (HOUR, 6), (2 * HOUR, 20)]),
    ),
    "equal_periods_are_merged": Case(
        "3.13.3: Note that time intervals do not have to be of fixed length ... a resulting Composite Schedule MAY contain"
        " intervals of different lengths",
        [
            (0, profile(DEFAULT, [(0, 16), (1800, 16), (HOUR, 10)], start=at(2, 10))),
            (0, profile(DEFAULT, [(0, 16)], start=at(2, 10, 30), duration=1800, stack=1, identifier=2)),
        ],
        (1, at(2, 10), 2 * HOUR, None),
        (2 * HOUR, A, [(0, 16), (HOUR, 10)]),
    ),
    "equal_limits_on_different_phases_are_not_merged": Case(
        "7.14 numberPhases: The number of phases that can be used for charging",
        [(0, profile(DEFAULT, [(0, 16, 3), (1800, 16, 1)], start=at(2, 10)))],
        (1, at(2, 10), HOUR, None),
        (HOUR, A, [(0, 16, 3), (1800, 16, 1)]),
    ),
    "no_profile_gives_an_empty_composite": Case(
        "3.13.6: If a Charge Point goes offline, without having any charging profiles, then it SHALL execute a transaction"
        " as if no constraints apply",
        [],
        (1, at(2, 10), HOUR, None),
        (0, A, []),
    ),
    "no_profile_gives_the_chargers_maximum": Case(
        "5.7: Local Limits might be taken into account (errata 3.27)",
        [],
        (1, at(2, 10), HOUR, None),
        (HOUR, A, [(0, 32)]),
        max_limit=32,
    ),
    "chargers_maximum_caps_a_higher_profile": Case(
        "5.7: the result of the calculation of all active schedules and possible local limits present in the Charge Point",
        [(0, profile(DEFAULT, [(0, 40), (HOUR, 16)], start=at(2, 10)))],
        (1, at(2, 10), 2 * HOUR, None),
        (2 * HOUR, A, [(0, 32), (HOUR, 16)]),
        max_limit=32,
    ),
    "charge_point_max_profile_set_on_a_connector_is_ignored": Case(
        "3.13.1: ChargePointMaxProfile can only be set at Charge Point ConnectorId 0",
        [(1, profile(MAX, [(0, 6)], start=at(1, 0))), (0, profile(DEFAULT, [(0, 16)], start=at(1, 0), identifier=2))],
        (1, at(2, 10), HOUR, None),
        (HOUR, A, [(0, 16)]),
    ),
    "tx_profile_set_on_connector_0_is_ignored": Case(
        "3.13.1: TxProfile SHALL only be set at Charge Point ConnectorId >0",
        [(0, profile(TX, [(0, 6)], start=at(1, 0))), (0, profile(DEFAULT, [(0, 16)], start=at(1, 0), identifier=2))],
        (1, at(2, 10), HOUR, None),
        (HOUR, A, [(0, 16)]),
        connectors=busy(7, at(2, 9)),
    ),
    "negative_limits_count_as_zero": Case(
        "7.14 limit: Charging rate limit during the schedule period (a rate limit is never below zero)",
        [(0, profile(DEFAULT, [(0, -5), (HOUR, 16)], start=at(2, 10)))],
        (1, at(2, 10), 2 * HOUR, None),
        (2 * HOUR, A, [(0, 0), (HOUR, 16)]),
    ),
    "min_charging_rate_is_no_limit": Case(
        "3.13.4: minChargingRate may be used by the Charge Point to optimize the power distribution between the connectors",
        [(0, profile(DEFAULT, [(0, 16)], start=at(2, 10), min_rate=20.0))],
        (1, at(2, 10), HOUR, None),
        (HOUR, A, [(0, 16)]),
    ),
}


def activities(connectors: dict[int, tuple]) -> dict[int, ConnectorActivity]:
    """
    @return: the L{ConnectorActivity} of each connector.
    """
    return {number: ConnectorActivity(transaction, started) for number, (transaction, started) in connectors.items()}


def installed(pairs: list[tuple[int, ChargingProfile]]) -> list[InstalledProfile]:
    """
    @return: the L{InstalledProfile}s of (connectorId, profile) pairs.
    """
    return [InstalledProfile(connector, p) for connector, p in pairs]


def expected_periods(rows: list[tuple]) -> tuple[CompositePeriod, ...]:
    """
    @return: the L{CompositePeriod}s of (startPeriod, limit[, phases]) rows.
    """
    return tuple(CompositePeriod(row[0], float(row[1]), row[2] if len(row) > 2 else None) for row in rows)


class CompositeCasesTests(SynchronousTestCase):
    """
    Each case of L{CASES} gives the composite worked out by hand, whichever
    order the profiles are in; one test per case, named after it.
    """


def _case_test(case: Case):
    def test(self: SynchronousTestCase) -> None:
        connector, start, duration, unit = case.query
        expected_duration, expected_unit, rows = case.expected
        for pairs in (case.installed, list(reversed(case.installed))):
            composite = composite_schedule(
                installed(pairs), connector, start, duration, unit, activities(case.connectors), max_limit=case.max_limit
            )
            self.assertEqual(
                composite,
                Composite(start=start, duration=expected_duration, unit=expected_unit, periods=expected_periods(rows)),
                case.quote,
            )

    test.__doc__ = case.quote
    return test


for _name, _case in CASES.items():
    setattr(CompositeCasesTests, "test_" + _name, _case_test(_case))


class CompositeTests(SynchronousTestCase):
    """
    L{composite_schedule}'s answer as a ChargingSchedule, and its refusals.
    """

    def test_table_has_at_least_30_cases(self) -> None:
        """
        The table holds at least 30 hand-worked cases (issue 13).
        """
        self.assertGreaterEqual(len(CASES), 30)

    def test_charging_schedule_has_no_start_schedule(self) -> None:
        """
        The ChargingSchedule of GetCompositeSchedule.conf has the composite's
        duration, unit and periods and no startSchedule (errata 3.57: "this
        field must be omitted").
        """
        composite = composite_schedule(installed([(0, SPEC_EXAMPLE)]), 1, at(2, 6), DAY, None, activities(IDLE))
        self.assertEqual(
            composite.to_charging_schedule(),
            ChargingSchedule(
                charging_rate_unit=W,
                duration=DAY,
                charging_schedule_period=[
                    ChargingSchedulePeriod(start_period=0, limit=11000.0, number_phases=3),
                    ChargingSchedulePeriod(start_period=7200, limit=6000.0, number_phases=3),
                    ChargingSchedulePeriod(start_period=50400, limit=11000.0, number_phases=3),
                ],
            ),
        )

    def test_every_case_answers_a_valid_get_composite_schedule_conf(self) -> None:
        """
        Each case of the table, answered as GetCompositeSchedule.conf
        (scheduleStart the composite's start, its chargingSchedule when it
        has one), passes the message's JSON schema and decodes back to the
        same periods: what a central system parses.
        """
        for name, case in CASES.items():
            connector, start, duration, unit = case.query
            composite = composite_schedule(
                installed(case.installed), connector, start, duration, unit, activities(case.connectors), max_limit=case.max_limit
            )
            answer = GetCompositeScheduleResponse(
                status=GetCompositeScheduleStatus.ACCEPTED,
                connector_id=connector,
                schedule_start=composite.start,
                charging_schedule=composite.to_charging_schedule(),
            )
            payload = codec.encode(answer)
            codec.validate(GetCompositeScheduleResponse, payload)
            self.assertEqual(codec.decode(GetCompositeScheduleResponse, payload), answer, name)

    def test_huge_limits_stay_finite(self) -> None:
        """
        The schema lets a limit be any number: 1e308 A, rounded (times 10),
        converted to W or summed over two busy connectors overflows to
        infinity. The composite's limit is then the largest finite float
        (no OverflowError, and an answer JSON can carry); 1e308 A asked in A
        stays 1e308.
        """
        huge = installed([(0, profile(DEFAULT, [(0, 1e308)], start=at(1, 0)))])
        two = activities(busy(7, at(2, 5), (8, at(2, 5))))
        for connector, unit, limit in ((1, A, 1e308), (1, W, sys.float_info.max), (0, A, sys.float_info.max)):
            composite = composite_schedule(huge, connector, at(2, 6), 60, unit, two)
            self.assertEqual(composite.periods, (CompositePeriod(0, limit, None),), (connector, unit))
            answer = GetCompositeScheduleResponse(
                status=GetCompositeScheduleStatus.ACCEPTED,
                connector_id=connector,
                schedule_start=composite.start,
                charging_schedule=composite.to_charging_schedule(),
            )
            codec.validate(GetCompositeScheduleResponse, codec.encode(answer))
        period, _, _ = current_limit(huge, 1, at(2, 6), two, unit=W)
        self.assertEqual(period.limit, sys.float_info.max)

    def test_empty_composite_has_no_charging_schedule(self) -> None:
        """
        A composite without periods gives no ChargingSchedule (which needs
        one period at least): the answer goes without one.
        """
        composite = composite_schedule([], 1, at(2, 6), DAY, None, activities(IDLE))
        self.assertIsNone(composite.to_charging_schedule())

    def test_unknown_connector(self) -> None:
        """
        A connector that is neither 0 nor one of the charge point's raises
        L{UnknownConnector} (5.7: "if the connectorId is unknown, it SHALL
        respond with a status Rejected").
        """
        self.assertRaises(UnknownConnector, composite_schedule, [], 3, at(2, 6), DAY, None, activities(IDLE))
        self.assertRaises(UnknownConnector, current_limit, [], -1, at(2, 6), activities(IDLE))

    def test_negative_duration(self) -> None:
        """
        A negative duration raises L{DurationRefused}, a L{CompositeRefused}
        (answer Rejected).
        """
        self.assertRaises(DurationRefused, composite_schedule, [], 1, at(2, 6), -1, None, activities(IDLE))
        self.assertTrue(issubclass(DurationRefused, CompositeRefused))
        self.assertTrue(issubclass(UnknownConnector, CompositeRefused))

    def test_duration_longer_than_computed(self) -> None:
        """
        A duration longer than C{max_duration} (31 days by default) raises
        L{DurationRefused}; within it, or with C{max_duration=None}, the
        composite is computed.
        """
        self.assertRaises(DurationRefused, composite_schedule, [], 1, at(2, 6), MAX_DURATION + 1, None, activities(IDLE))
        self.assertRaises(
            DurationRefused, composite_schedule, [], 1, at(2, 6), 3601, None, activities(IDLE), max_duration=HOUR
        )
        composite = composite_schedule(
            [], 1, at(2, 6), MAX_DURATION + 1, None, activities(IDLE), max_limit=16, max_duration=None
        )
        self.assertEqual(composite.duration, MAX_DURATION + 1)
        composite = composite_schedule([], 1, at(2, 6), MAX_DURATION, None, activities(IDLE), max_limit=16)
        self.assertEqual(composite.periods, (CompositePeriod(0, 16.0, None),))

    def test_more_segments_than_worked_out_refused(self) -> None:
        """
        Ten daily profiles of 24 periods at distinct times (within the
        keys' defaults) give 10 * 24 * 31 segments over 31 days: more than
        L{MAX_SEGMENTS}, L{WorkRefused} (a L{CompositeRefused}: Rejected)
        rather than 40 ms of the reactor's time; over a day they are
        worked out; C{max_segments=None} lifts the bound.
        """
        daily = installed(
            [
                (
                    0,
                    profile(
                        DEFAULT,
                        [(0, 10)] + [(hour * HOUR + level * 7, 6 + (level + hour) % 26) for hour in range(1, 24)],
                        stack=level,
                        kind=RECURRING,
                        recurrency=DAILY,
                        start=at(1, 0),
                        identifier=level + 1,
                    ),
                )
                for level in range(10)
            ]
        )
        busy_one = activities(busy(7, at(2, 5)))
        self.assertRaises(WorkRefused, composite_schedule, daily, 1, at(2, 6), MAX_DURATION, W, busy_one)
        self.assertTrue(issubclass(WorkRefused, CompositeRefused))
        # The top level prevails: the period of 05:01:03, 18 more to 23:01:03,
        # midnight's, 5 more to 05:01:03.
        self.assertEqual(len(composite_schedule(daily, 1, at(2, 6), DAY, W, busy_one).periods), 25)
        composite = composite_schedule(daily, 1, at(2, 6), MAX_DURATION, W, busy_one, max_segments=None)
        self.assertEqual(composite.duration, MAX_DURATION)
        self.assertRaises(WorkRefused, composite_schedule, daily, 1, at(2, 6), DAY, W, busy_one, max_segments=100)

    def test_voltage_not_positive(self) -> None:
        """
        A voltage that is not positive raises L{ValueError}.
        """
        self.assertRaises(ValueError, composite_schedule, [], 1, at(2, 6), 60, None, activities(IDLE), voltage=0)

    def test_start_is_truncated_to_the_second(self) -> None:
        """
        startPeriod counts whole seconds: the composite starts at the
        request's time truncated to the second.
        """
        composite = composite_schedule([], 1, at(2, 6) + timedelta(microseconds=700), DAY, None, activities(IDLE))
        self.assertEqual(composite.start, at(2, 6))

    def test_naive_times_are_utc(self) -> None:
        """
        Naive datetimes (the request's, a profile's, a transaction's start)
        are taken as UTC.
        """
        naive = profile(DEFAULT, [(0, 6), (HOUR, 16)], kind=RELATIVE)
        aware = composite_schedule(
            installed([(0, naive)]), 1, at(2, 10), 2 * HOUR, None, activities(busy(7, at(2, 9, 30)))
        )
        composite = composite_schedule(
            installed([(0, naive)]),
            1,
            at(2, 10).replace(tzinfo=None),
            2 * HOUR,
            None,
            activities(busy(7, at(2, 9, 30).replace(tzinfo=None))),
        )
        self.assertEqual(composite.periods, aware.periods)
        self.assertEqual(composite.start, at(2, 10))

    def test_number_phases_below_one_count_as_absent(self) -> None:
        """
        A numberPhases of 0 (which SetChargingProfile should refuse) counts
        as absent: 3 phases for A <-> W, none stated.
        """
        composite = composite_schedule(
            installed([(0, profile(DEFAULT, [(0, 16, 0)], start=at(1, 0)))]), 1, at(2, 6), 60, W, activities(IDLE)
        )
        self.assertEqual(composite.periods, (CompositePeriod(0, 11040.0, None),))

    def test_voltage_converts(self) -> None:
        """
        The voltage given converts A to W: 16 A at 110 V on 3 phases is
        5280 W.
        """
        composite = composite_schedule(
            installed([(0, profile(DEFAULT, [(0, 16)], start=at(1, 0)))]), 1, at(2, 6), 60, W, activities(IDLE), voltage=110
        )
        self.assertEqual(composite.periods, (CompositePeriod(0, 5280.0, None),))


class CurrentLimitTests(SynchronousTestCase):
    """
    L{current_limit}: the limit in force now and when it next changes.
    """

    def test_limit_and_next_change(self) -> None:
        """
        At 06:00 the 3.13.7 example's limit is 11000 W until 08:00.
        """
        self.assertEqual(
            current_limit(installed([(0, SPEC_EXAMPLE)]), 1, at(2, 6), activities(IDLE)),
            (CompositePeriod(0, 11000.0, 3), W, at(2, 8)),
        )

    def test_next_change_beyond_a_day(self) -> None:
        """
        A change more than a day away is found (within the horizon).
        """
        profiles = installed([(0, profile(DEFAULT, [(0, 16), (3 * DAY, 10)], start=at(2, 0)))])
        self.assertEqual(current_limit(profiles, 1, at(2, 6), activities(IDLE)), (CompositePeriod(0, 16.0, None), A, at(5, 0)))

    def test_no_change_within_the_horizon(self) -> None:
        """
        A limit that never changes has no next change.
        """
        profiles = installed([(0, profile(DEFAULT, [(0, 16)], start=at(2, 0)))])
        self.assertEqual(current_limit(profiles, 1, at(2, 6), activities(IDLE)), (CompositePeriod(0, 16.0, None), A, None))

    def test_no_limit_until_a_profile_starts(self) -> None:
        """
        With no profile in force the limit is None, and the next change is
        when one starts.
        """
        profiles = installed([(0, profile(DEFAULT, [(0, 16)], start=at(2, 12)))])
        self.assertEqual(current_limit(profiles, 1, at(2, 6), activities(IDLE)), (None, A, at(2, 12)))


# Properties. Profiles are drawn at random (including ones the charge point
# would refuse, which must be ignored or still give a sane answer), around a
# base time, in whole seconds.

BASE = at(2, 12)

_moments = st.integers(min_value=-DAY, max_value=DAY).map(lambda seconds: BASE + timedelta(seconds=seconds))


@st.composite
def _periods(draw) -> list[tuple]:
    starts = sorted(draw(st.sets(st.integers(min_value=1, max_value=2 * DAY), max_size=4)))
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        starts = starts or [1]
    else:
        starts = [0] + starts
    return [
        (start, draw(st.integers(min_value=0, max_value=640)) / 10, draw(st.sampled_from([None, 1, 2, 3])))
        for start in starts
    ]


@st.composite
def _installed(draw, connectors=(0, 1, 2)) -> tuple[int, ChargingProfile]:
    purpose = draw(st.sampled_from([MAX, DEFAULT, TX]))
    kind = draw(st.sampled_from([ABSOLUTE, RECURRING, RELATIVE]))
    valid_from = draw(st.none() | _moments)
    valid_to = draw(st.none() | _moments)
    return draw(st.sampled_from(connectors)), profile(
        purpose,
        draw(_periods()),
        stack=draw(st.integers(min_value=0, max_value=2)),
        kind=kind,
        start=draw(st.none() | _moments) if kind != RELATIVE else None,
        duration=draw(st.none() | st.integers(min_value=60, max_value=2 * DAY)),
        unit=draw(st.sampled_from([A, W])),
        recurrency=draw(st.sampled_from([DAILY, WEEKLY])) if kind == RECURRING else None,
        transaction=draw(st.sampled_from([None, 7, 8])) if purpose == TX else None,
        valid_from=valid_from,
        valid_to=valid_to,
        identifier=draw(st.integers(min_value=1, max_value=10**6)),
    )


_connector_states = st.fixed_dictionaries(
    {
        1: st.sampled_from([(None, None), (7, BASE - timedelta(minutes=50)), (7, None)]),
        2: st.sampled_from([(None, None), (8, BASE - timedelta(hours=5))]),
    }
)


@st.composite
def _queries(draw):
    return (
        draw(st.lists(_installed(), min_size=1, max_size=6)),
        draw(_connector_states),
        draw(st.sampled_from([0, 1, 2])),
        BASE + timedelta(seconds=draw(st.integers(min_value=-HOUR * 12, max_value=HOUR * 12))),
        draw(st.integers(min_value=0, max_value=2 * DAY)),
        draw(st.sampled_from([None, A, W])),
        draw(st.none() | st.integers(min_value=0, max_value=640).map(lambda tenths: tenths / 10)),
    )


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _reference_period(p: ChargingProfile, moment: int, relative_start: int) -> ChargingSchedulePeriod | None:
    """
    The period of C{p} in force at C{moment}, worked out for that moment
    alone (the module sweeps over time instead): the oracle of the
    properties.
    """
    if p.valid_from is not None and moment < _epoch(p.valid_from):
        return None
    if p.valid_to is not None and moment >= _epoch(p.valid_to):
        return None
    schedule = p.charging_schedule
    if p.charging_profile_kind == RECURRING:
        cycle = 7 * DAY if p.recurrency_kind == WEEKLY else DAY
        origin = _epoch(schedule.start_schedule) if schedule.start_schedule else (4 * DAY if cycle > DAY else 0)
        if moment < origin:
            return None
        offset = (moment - origin) % cycle
    elif p.charging_profile_kind == ABSOLUTE and schedule.start_schedule is not None:
        offset = moment - _epoch(schedule.start_schedule)
    else:
        offset = moment - relative_start
    if offset < 0 or (schedule.duration is not None and offset >= schedule.duration):
        return None
    started = [period for period in schedule.charging_schedule_period if 0 <= period.start_period <= offset]
    if not started:
        return None
    latest = max(period.start_period for period in started)
    return min((period for period in started if period.start_period == latest), key=lambda period: period.limit)


def _in_unit(period: ChargingSchedulePeriod, unit_from: ChargingRateUnitType, unit_to: ChargingRateUnitType) -> float:
    limit = max(0.0, period.limit)
    phases = period.number_phases or 3
    if unit_from == unit_to:
        return limit
    return limit * 230 * phases if unit_to == W else limit / (230 * phases)


def _period_at(composite: Composite, offset: int) -> CompositePeriod:
    return [period for period in composite.periods if period.start_period <= offset][-1]


class CompositePropertyTests(SynchronousTestCase):
    """
    Properties of L{composite_schedule} and L{current_limit} for any
    profiles.
    """

    @settings(max_examples=30, deadline=None)
    @given(_queries())
    def test_periods_are_ordered_from_0_within_the_duration(self, query) -> None:
        """
        The periods start at 0, are strictly ordered (so do not overlap),
        lie within the composite's duration, which is no longer than asked,
        have limits of at most one decimal that are never negative, and two
        adjacent periods differ.
        """
        pairs, connectors, connector, start, duration, unit, max_limit = query
        composite = composite_schedule(installed(pairs), connector, start, duration, unit, activities(connectors), max_limit=max_limit)
        self.assertLessEqual(composite.duration, duration)
        self.assertIn(composite.unit, (A, W) if unit is None else (unit,))
        starts = [period.start_period for period in composite.periods]
        if starts:
            self.assertEqual(starts[0], 0)
            self.assertGreater(composite.duration, starts[-1])
        else:
            self.assertEqual(composite.duration, 0)
        self.assertEqual(starts, sorted(set(starts)))
        for period in composite.periods:
            self.assertGreaterEqual(period.limit, 0)
            self.assertEqual(round(period.limit, 1), period.limit)
        for before, after in zip(composite.periods, composite.periods[1:]):
            self.assertNotEqual((before.limit, before.number_phases), (after.limit, after.number_phases))
        if max_limit is not None:
            self.assertEqual(composite.duration, duration)

    @settings(max_examples=30, deadline=None)
    @given(_queries(), st.lists(st.integers(min_value=0, max_value=2 * DAY - 1), min_size=1, max_size=8))
    def test_never_exceeds_the_charge_point_max_profile(self, query, offsets) -> None:
        """
        At any moment the composite (of a connector, or connector 0's total)
        is at most the limit of the ChargePointMaxProfile in force then (the
        highest stack level valid then), in the composite's unit, with no
        more phases than it states (3.13.3: "The combined energy flow of all
        connectors SHALL NOT be greater then the limit set by
        ChargePointMaxProfile").
        """
        pairs, connectors, connector, start, duration, unit, max_limit = query
        composite = composite_schedule(installed(pairs), connector, start, duration, unit, activities(connectors), max_limit=max_limit)
        transaction, started = connectors.get(connector, (None, None))
        relative_start = _epoch(started) if connector and transaction is not None and started else _epoch(start)
        for offset in offsets + [period.start_period for period in composite.periods]:
            if offset >= composite.duration:
                continue
            moment = _epoch(start) + offset
            in_force = [
                (p.stack_level, _reference_period(p, moment, relative_start), p.charging_schedule.charging_rate_unit)
                for number, p in pairs
                if number == 0 and p.charging_profile_purpose == MAX
            ]
            in_force = [entry for entry in in_force if entry[1] is not None]
            if not in_force:
                continue
            top = max(level for level, _, _ in in_force)
            for level, period, unit_from in in_force:
                if level != top:
                    continue
                cap = _in_unit(period, unit_from, composite.unit)
                got = _period_at(composite, offset)
                self.assertLessEqual(got.limit, cap + 1e-9, (offset, period))
                if period.number_phases is not None:
                    self.assertLessEqual(got.number_phases, period.number_phases)

    @settings(max_examples=30, deadline=None)
    @given(_queries(), st.randoms(use_true_random=False))
    def test_same_whichever_order_the_profiles_are_in(self, query, random) -> None:
        """
        The composite is the same whichever order the profiles are given in.
        """
        pairs, connectors, connector, start, duration, unit, max_limit = query
        shuffled = list(pairs)
        random.shuffle(shuffled)
        self.assertEqual(
            composite_schedule(installed(pairs), connector, start, duration, unit, activities(connectors), max_limit=max_limit),
            composite_schedule(installed(shuffled), connector, start, duration, unit, activities(connectors), max_limit=max_limit),
        )

    @settings(max_examples=30, deadline=None)
    @given(_queries())
    def test_current_limit_is_the_composites_first_period(self, query) -> None:
        """
        current_limit at a moment is the first period of the composite from
        that moment, and its next change the composite's second period.
        """
        pairs, connectors, connector, start, duration, unit, max_limit = query
        composite = composite_schedule(installed(pairs), connector, start, 7 * DAY, unit, activities(connectors), max_limit=max_limit)
        period, unit_now, changes = current_limit(
            installed(pairs), connector, start, activities(connectors), max_limit=max_limit, unit=unit
        )
        self.assertEqual(unit_now, composite.unit)
        self.assertEqual(period, composite.periods[0] if composite.periods else None)
        if len(composite.periods) > 1:
            self.assertEqual(changes, start + timedelta(seconds=composite.periods[1].start_period))
        elif composite.periods and composite.duration < 7 * DAY:
            self.assertEqual(changes, start + timedelta(seconds=composite.duration))

    @settings(max_examples=30, deadline=None)
    @given(
        st.lists(_installed(connectors=(0, 1)), max_size=7),
        st.integers(min_value=-DAY, max_value=DAY),
        st.lists(st.integers(min_value=0, max_value=DAY - 1), min_size=1, max_size=6),
    )
    def test_current_limit_agrees_with_the_composite_at_any_moment(self, pairs, shift, offsets) -> None:
        """
        On a connector in a transaction (so that Relative profiles count
        from its start, not from the question's), current_limit at any
        moment within a composite is the composite's period then.
        """
        connectors = activities({1: (7, BASE - timedelta(hours=2)), 2: (8, BASE - timedelta(hours=3))})
        start = BASE + timedelta(seconds=shift)
        composite = composite_schedule(installed(pairs), 1, start, DAY, None, connectors, max_limit=32)
        for offset in offsets:
            period, _, changes = current_limit(installed(pairs), 1, start + timedelta(seconds=offset), connectors, max_limit=32, unit=composite.unit)
            expected = _period_at(composite, offset)
            self.assertEqual((period.limit, period.number_phases), (expected.limit, expected.number_phases))
            later = [p.start_period for p in composite.periods if p.start_period > offset]
            if later:
                self.assertEqual(changes, start + timedelta(seconds=later[0]))


def _reference(pairs, connector, start, moment, connectors, unit, max_limit):
    """
    The composite's limit at C{moment} (epoch seconds), worked out for that
    moment alone from the rules of the module's docstring, unrounded: the
    oracle of L{CompositeOracleTests}. None: no limit.

    @return: (limit, numberPhases) or None, and the unit that counts.
    """
    origin = _epoch(start)

    def relative_start(number):
        transaction, started = connectors.get(number, (None, None))
        return _epoch(started) if number and transaction is not None and started is not None else origin

    def prevailing(entries):
        values = []
        for rank, p, relative in entries:
            period = _reference_period(p, moment, relative)
            if period is not None:
                values.append((rank, (_in_unit(period, p.charging_schedule.charging_rate_unit, unit), period.number_phases)))
        if not values:
            return None
        top = max(rank for rank, _ in values)
        chosen = [value for rank, value in values if rank == top]
        stated = [phases for _, phases in chosen if phases is not None]
        return (min(limit for limit, _ in chosen), min(stated) if stated else None)

    def lower(a, b):
        if a is None or b is None:
            return a if b is None else b
        stated = [phases for phases in (a[1], b[1]) if phases is not None]
        return (min(a[0], b[0]), min(stated) if stated else None)

    maximum = None if max_limit is None else (max_limit if unit == A else max_limit * 230 * 3, None)
    cap = prevailing(
        [(p.stack_level, p, relative_start(connector)) for number, p in pairs if number == 0 and p.charging_profile_purpose == MAX]
    )

    def drawn(number):
        transaction = connectors[number][0]
        own = [p for n, p in pairs if n == number and p.charging_profile_purpose == DEFAULT]
        levels = {p.stack_level for p in own}
        defaults = own + [p for n, p in pairs if n == 0 and p.charging_profile_purpose == DEFAULT and p.stack_level not in levels]
        entries = [((0, p.stack_level), p, relative_start(number)) for p in defaults]
        if transaction is not None:
            entries += [
                ((1, p.stack_level), p, relative_start(number))
                for n, p in pairs
                if n == number and p.charging_profile_purpose == TX and p.transaction_id in (None, transaction)
            ]
        return lower(prevailing(entries), maximum)

    if connector:
        return lower(drawn(connector), cap)
    busy = [drawn(number) for number in sorted(connectors) if connectors[number][0] is not None]
    if any(value is None for value in busy):
        return cap
    stated = [value[1] for value in busy if value[1] is not None]
    phases = None
    if stated:
        phases = max(stated + ([3] if len(stated) < len(busy) else []))
    total = 0.0
    for value in busy:
        total += value[0]
    return lower((total, phases), cap)


class CompositeOracleTests(SynchronousTestCase):
    """
    L{composite_schedule} against L{_reference}, which evaluates each moment
    on its own.
    """

    @settings(max_examples=60, deadline=None)
    @given(_queries(), st.lists(st.integers(min_value=0, max_value=2 * DAY - 1), min_size=1, max_size=8))
    def test_composite_is_the_limit_in_force_at_every_moment(self, query, offsets) -> None:
        """
        At every period's start, at random moments and at the composite's
        end, the composite holds the limit that the rules give for that
        moment alone (rounded down to one decimal); where the composite ends
        early, no limit applies.
        """
        pairs, connectors, connector, start, duration, unit, max_limit = query
        composite = composite_schedule(installed(pairs), connector, start, duration, unit, activities(connectors), max_limit=max_limit)
        checked = offsets + [period.start_period for period in composite.periods] + [composite.duration]
        for offset in checked:
            if offset >= duration:
                continue
            expected = _reference(pairs, connector, start, _epoch(start) + offset, connectors, composite.unit, max_limit)
            if offset >= composite.duration:
                if offset == composite.duration:
                    self.assertIsNone(expected, offset)
                continue
            self.assertIsNotNone(expected, offset)
            got = _period_at(composite, offset)
            self.assertEqual(
                (got.limit, got.number_phases), (math.floor(expected[0] * 10 + 1e-6) / 10, expected[1]), offset
            )


@st.composite
def _stacked(draw) -> tuple[int, ChargingProfile]:
    """
    A profile drawn from few choices, so that profiles often meet: on
    connector 0 or 1, stack levels 0 and 1, Absolute or Daily starting in
    the 30 hours before L{BASE}, limits in A.
    """
    connector = draw(st.sampled_from([0, 1]))
    purpose = draw(st.sampled_from([MAX, DEFAULT] if connector == 0 else [DEFAULT, TX]))
    kind = draw(st.sampled_from([ABSOLUTE, RECURRING]))
    second = draw(st.none() | st.integers(min_value=1, max_value=30).map(lambda hours: hours * HOUR))
    periods = [(0, draw(st.integers(min_value=1, max_value=40)))]
    if second is not None:
        periods.append((second, draw(st.integers(min_value=1, max_value=40))))
    return connector, profile(
        purpose,
        periods,
        stack=draw(st.integers(min_value=0, max_value=1)),
        kind=kind,
        start=BASE - timedelta(hours=draw(st.integers(min_value=0, max_value=30))),
        duration=draw(st.none() | st.integers(min_value=1, max_value=30).map(lambda hours: hours * HOUR)),
        recurrency=DAILY if kind == RECURRING else None,
        transaction=draw(st.sampled_from([None, 7, 8])) if purpose == TX else None,
    )


class StackedOracleTests(SynchronousTestCase):
    """
    L{composite_schedule} against L{_reference} where profiles often overlap:
    stacking, TxProfile over TxDefaultProfile, a connector's TxDefaultProfile
    over connector 0's, the cap, Daily recurrences cut at 24 hours.
    """

    @settings(max_examples=60, deadline=None)
    @given(st.lists(_stacked(), min_size=2, max_size=6), st.sampled_from([0, 1]))
    def test_overlapping_profiles_give_the_limit_in_force(self, pairs, connector) -> None:
        """
        At each hour of two days, and at every period's start, the composite
        holds the limit the rules give for that moment alone.
        """
        connectors = {1: (7, BASE - timedelta(hours=2)), 2: (None, None)}
        composite = composite_schedule(installed(pairs), connector, BASE, 2 * DAY, A, activities(connectors), max_limit=50)
        self.assertEqual(composite.duration, 2 * DAY)
        for offset in list(range(0, 2 * DAY, HOUR)) + [period.start_period for period in composite.periods]:
            expected = _reference(pairs, connector, BASE, _epoch(BASE) + offset, connectors, A, 50)
            got = _period_at(composite, offset)
            self.assertEqual((got.limit, got.number_phases), (float(expected[0]), expected[1]), offset)
