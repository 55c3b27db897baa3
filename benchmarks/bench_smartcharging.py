"""
Smart Charging benchmark: the charge point's answers (its handlers: the
installed profiles, the composite, the store, the limits told; the RPC
layer's JSON and schema checks are bench_rpc.py's), at its limits.

    python benchmarks/bench_smartcharging.py [--calls 300]

A 2-connector charge point (a file store) with MaxChargingProfilesInstalled
(10) profiles of ChargingScheduleMaxPeriods (24) periods each, a mix of
purposes and kinds (absolute, daily recurring, relative), a transaction on
connector 1, driven by the scripted central system of the tests on a
L{Clock}. Prints the microseconds per call (median and p99, wall and CPU
time: a loaded machine inflates wall time, not CPU time) of
GetCompositeSchedule on connector 1 and 0 over a day, and over a week
and 31 days (Rejected: more segments than composite.MAX_SEGMENTS), of SetChargingProfile replacing a profile
(SQLite write, then every connector's limit worked out again), and of one
period boundary's timer (the longest the reactor is held by the limits).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from openocpp.messages import GetCompositeScheduleRequest, SetChargingProfileRequest  # noqa: E402
from openocpp.messages.enums import ChargingProfileKindType as Kind  # noqa: E402
from openocpp.messages.enums import ChargingProfilePurposeType as Purpose  # noqa: E402
from openocpp.messages.enums import RecurrencyKindType  # noqa: E402
from tests.chargepoint.fake_centralsystem import ScriptedCentralSystem, make_charge_point  # noqa: E402
from tests.chargepoint.test_smartcharging import make_profile  # noqa: E402


class _Case(SynchronousTestCase):
    def runTest(self):
        pass


def profile(index: int, periods: int, start, count: int):
    """
    The C{index}th of C{count} profiles: (connector, profile).
    """
    if index < 2:
        purpose, connector = Purpose.CHARGE_POINT_MAX_PROFILE, 0
    elif index >= count - 3:
        purpose, connector = Purpose.TX_PROFILE, 1
    else:
        purpose, connector = Purpose.TX_DEFAULT_PROFILE, 0 if index < 5 else 1
    kind = [Kind.ABSOLUTE, Kind.RECURRING, Kind.RELATIVE][index % 3]
    return connector, make_profile(
        profile_id=index + 1,
        purpose=purpose,
        stack_level=index,
        kind=kind,
        recurrency=RecurrencyKindType.DAILY if kind is Kind.RECURRING else None,
        start=start if kind is not Kind.RELATIVE else None,
        periods=[(k * 1800, 32 - (k + index) % 20) for k in range(periods)],
    )


def timed(function, calls: int) -> dict:
    """
    Call C{function} C{calls} times; the wall and CPU time per call.
    """
    walls, cpus = [], []
    for _ in range(calls):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    walls.sort()
    cpus.sort()
    return {
        "median_us": statistics.median(walls) * 1e6,
        "p99_us": walls[int(len(walls) * 0.99) - 1] * 1e6,
        "cpu_median_us": statistics.median(cpus) * 1e6,
        "cpu_p99_us": cpus[int(len(cpus) * 0.99) - 1] * 1e6,
    }


def run(calls: int) -> dict:
    """
    Install the profiles, then time each handler C{calls} times.
    """
    case = _Case()
    clock = Clock()
    cs = ScriptedCentralSystem(case, clock)
    folder = tempfile.mkdtemp(prefix="openocpp-bench-")
    cp = make_charge_point(case, clock, database=os.path.join(folder, "cp.sqlite"))
    cp.startService()
    cs.connect(cp)
    cp.start_transaction(1, "TAG")
    cs.settle()
    count = cp.ocpp_config.integer("MaxChargingProfilesInstalled")
    periods = cp.ocpp_config.integer("ChargingScheduleMaxPeriods")
    start = cp.now().replace(microsecond=0) - timedelta(hours=3)
    installed = [profile(i, periods, start, count) for i in range(count)]
    for connector, each in installed:
        answer = case.successResultOf(
            cs.call(SetChargingProfileRequest(connector_id=connector, cs_charging_profiles=each))
        )
        assert answer.status == "Accepted", answer

    smart = cp._smart_charging
    handlers = smart.handlers()

    def ask(request, status="Accepted"):
        handler = handlers[request.action]

        def call():
            answer = handler(request)
            if not hasattr(answer, "status"):
                answer = case.successResultOf(answer)
            assert answer.status == status, answer

        return call

    results = {}
    for connector, duration, status in (
        (1, 86400, "Accepted"), (0, 86400, "Accepted"), (1, 7 * 86400, "Accepted"),
        # More segments than composite.MAX_SEGMENTS: Rejected.
        (1, 31 * 86400, "Rejected"),
    ):
        request = GetCompositeScheduleRequest(connector_id=connector, duration=duration)
        results[f"GetCompositeSchedule connector {connector}, {duration} s ({status})"] = timed(
            ask(request, status), calls
        )
    connector, replacing = installed[4]
    results["SetChargingProfile (replacing one)"] = timed(
        ask(SetChargingProfileRequest(connector_id=connector, cs_charging_profiles=replacing)), calls
    )
    results["a period boundary's timer (one connector)"] = timed(lambda: smart._boundary(1), calls)
    cp.stopService()
    cs.disconnect()
    cp.store.close()
    return {"profiles": count, "periods": periods, "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="30 calls each")
    options = parser.parse_args()
    figures = run(30 if options.quick else options.calls)
    print(f"{figures['profiles']} profiles of {figures['periods']} periods each")
    for name, result in figures["results"].items():
        print(
            f"{name:45s} median {result['median_us']:8.0f} us  p99 {result['p99_us']:8.0f} us  "
            f"(CPU median {result['cpu_median_us']:.0f} us, p99 {result['cpu_p99_us']:.0f} us)"
        )


if __name__ == "__main__":
    main()
