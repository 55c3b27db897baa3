"""
Composite schedule benchmark: GetCompositeSchedule's computation at the
charge point's limits.

    python benchmarks/bench_composite.py [--calls 2000]

A 2-connector charge point with MaxChargingProfilesInstalled (10) profiles of
ChargingScheduleMaxPeriods (24) periods each, a mix of purposes
(ChargePointMaxProfile, TxDefaultProfile on connector 0 and on connectors,
TxProfiles), recurring (daily, weekly) and absolute, both connectors in a
transaction. Prints the microseconds per call (median and p99) of
C{composite_schedule} over 86400 s on connector 1 and on connector 0, and of
C{current_limit} (the limit in force and its next change) on connector 1.
"""

import argparse
import statistics
import time
from datetime import datetime, timedelta, timezone

from openocpp.chargepoint.composite import ConnectorActivity, InstalledProfile, composite_schedule, current_limit
from openocpp.messages.datatypes import ChargingProfile, ChargingSchedule, ChargingSchedulePeriod
from openocpp.messages.enums import (
    ChargingProfileKindType,
    ChargingProfilePurposeType,
    ChargingRateUnitType,
    RecurrencyKindType,
)

#: MaxChargingProfilesInstalled and ChargingScheduleMaxPeriods.
PROFILES = 10
PERIODS = 24
DURATION = 86400
START = datetime(2026, 12, 2, 9, 17, 23, tzinfo=timezone.utc)


def _profile(identifier, purpose, stack, kind, step, unit=ChargingRateUnitType.A, recurrency=None, transaction=None):
    """
    @return: a profile of L{PERIODS} periods, C{step} seconds apart.
    """
    limits = [6 + (identifier * 7 + index * 5) % 27 for index in range(PERIODS)]
    if unit == ChargingRateUnitType.W:
        limits = [limit * 690 for limit in limits]
    return ChargingProfile(
        charging_profile_id=identifier,
        stack_level=stack,
        charging_profile_purpose=purpose,
        charging_profile_kind=kind,
        recurrency_kind=recurrency,
        transaction_id=transaction,
        charging_schedule=ChargingSchedule(
            charging_rate_unit=unit,
            start_schedule=START - timedelta(hours=identifier) if kind != ChargingProfileKindType.RELATIVE else None,
            duration=step * PERIODS,
            charging_schedule_period=[
                ChargingSchedulePeriod(start_period=index * step, limit=limit, number_phases=1 + index % 3 if index % 4 else None)
                for index, limit in enumerate(limits)
            ],
        ),
    )


def installed():
    """
    @return: the 10 installed profiles.
    """
    purposes = ChargingProfilePurposeType
    kinds = ChargingProfileKindType
    daily, weekly = RecurrencyKindType.DAILY, RecurrencyKindType.WEEKLY
    watts = ChargingRateUnitType.W
    return [
        InstalledProfile(0, _profile(1, purposes.CHARGE_POINT_MAX_PROFILE, 0, kinds.RECURRING, 3600, watts, daily)),
        InstalledProfile(0, _profile(2, purposes.CHARGE_POINT_MAX_PROFILE, 1, kinds.ABSOLUTE, 1800)),
        InstalledProfile(0, _profile(3, purposes.TX_DEFAULT_PROFILE, 0, kinds.RECURRING, 25200, recurrency=weekly)),
        InstalledProfile(0, _profile(4, purposes.TX_DEFAULT_PROFILE, 1, kinds.RECURRING, 3600, recurrency=daily)),
        InstalledProfile(0, _profile(5, purposes.TX_DEFAULT_PROFILE, 2, kinds.ABSOLUTE, 2700, watts)),
        InstalledProfile(1, _profile(6, purposes.TX_DEFAULT_PROFILE, 1, kinds.ABSOLUTE, 3000)),
        InstalledProfile(2, _profile(7, purposes.TX_DEFAULT_PROFILE, 3, kinds.RECURRING, 1800, recurrency=daily)),
        InstalledProfile(1, _profile(8, purposes.TX_PROFILE, 0, kinds.RELATIVE, 1200, transaction=41)),
        InstalledProfile(1, _profile(9, purposes.TX_PROFILE, 1, kinds.RECURRING, 3600, recurrency=daily, transaction=41)),
        InstalledProfile(2, _profile(10, purposes.TX_PROFILE, 0, kinds.ABSOLUTE, 900, watts, transaction=42)),
    ]


CONNECTORS = {
    1: ConnectorActivity(41, START - timedelta(minutes=40)),
    2: ConnectorActivity(42, START - timedelta(minutes=5)),
}


def measure(call, calls: int) -> tuple[float, float, float, float, object]:
    """
    @return: the median and p99 of C{call}'s wall time, then of its CPU time
        (the thread's: what the reactor would be blocked for, without the
        time a loaded machine gives other processes), in microseconds, and
        its last answer.
    """
    walls = []
    cpus = []
    answer = None
    for index in range(calls):
        cpu = time.thread_time_ns()
        started = time.perf_counter_ns()
        answer = call(index)
        walls.append((time.perf_counter_ns() - started) / 1000)
        cpus.append((time.thread_time_ns() - cpu) / 1000)
    walls.sort()
    cpus.sort()
    p99 = min(calls - 1, int(calls * 0.99))
    return statistics.median(walls), walls[p99], statistics.median(cpus), cpus[p99], answer


def _figures(name: str, figures: tuple) -> str:
    return f"{name}: wall median {figures[0]:.0f} us, p99 {figures[1]:.0f} us; CPU median {figures[2]:.0f} us, p99 {figures[3]:.0f} us"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per figure")
    calls = parser.parse_args().calls
    profiles = installed()

    def on(connector):
        # A different moment each call, so no figure relies on one lucky start.
        return lambda index: composite_schedule(
            profiles, connector, START + timedelta(seconds=137 * index), DURATION, None, CONNECTORS, max_limit=32
        )

    for connector in (1, 0):
        figures = measure(on(connector), calls)
        name = f"composite_schedule connector {connector}, {PROFILES} profiles x {PERIODS} periods, {DURATION} s"
        print(_figures(name, figures) + f" ({len(figures[4].periods)} periods)")
    figures = measure(
        lambda index: current_limit(profiles, 1, START + timedelta(seconds=137 * index), CONNECTORS, max_limit=32), calls
    )
    print(_figures("current_limit connector 1", figures))

if __name__ == "__main__":
    main()
