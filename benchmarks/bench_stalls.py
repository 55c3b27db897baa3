"""
The central system's store under a paced load, in one process, with
L{openocpp.stalls.StallDetector} watching the reactor: what stalls it, how
often and how long, with no network and no load generator to share the
machine with (docs/performance.md, "Stalls").

N charge points send the benchmark's mix at one call a second each (as
C{bench_centralsystem.py --scenario 1000paced}): each message does what the
central system's store does for it (C{touch}, StatusNotification,
Start/StopTransaction, MeterValues of 4 sampled values) on the real reactor,
with the real SQLite file store, its group commit, its checkpoints in a
thread and C{twistd openocpp}'s garbage collector tuning; a message's
latency is from when it was due to when its writes are committed (what a
charge point waits for).

    python benchmarks/bench_stalls.py --duration 30
    PYTHONPATH=/tmp/main python benchmarks/bench_stalls.py    # another tree

It prints the stalls a minute by cause (turns over the threshold, in wall
time and in CPU time: on a loaded machine the wall time also counts the
time other processes had the core), the longest, and the messages'
latency.
"""

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone

#: The mix of one charge point, in order (the load generator's).
MIX = (
    "Heartbeat", "StatusPreparing", "Authorize", "StartTransaction", "StatusCharging",
    "MeterValues", "MeterValues", "MeterValues", "MeterValues", "StopTransaction", "StatusAvailable",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--charge-points", type=int, default=1000, help="charge points (1000)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between two calls of one (1)")
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds (30; at most 60)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring (3)")
    parser.add_argument("--threshold-ms", type=float, default=1.0, help="a stall is a turn longer than this (1)")
    parser.add_argument("--db", help="the SQLite file (default: a new one in a temporary folder)")
    options = parser.parse_args()
    if not 0 < options.duration <= 60:
        parser.error("--duration: more than 0 and at most 60 seconds")

    from twisted.internet import reactor
    from twisted.internet.task import LoopingCall
    from twisted.logger import Logger

    import openocpp
    from openocpp.centralsystem.store import CentralSystemStore
    from openocpp.gctuning import GarbageCollectorTuning
    from openocpp.messages import core
    from openocpp.messages.datatypes import MeterValue, SampledValue
    from openocpp.messages.enums import ChargePointErrorCode, ChargePointStatus
    from openocpp.stalls import StallDetector

    path = options.db or os.path.join(tempfile.mkdtemp(prefix="bench-stalls-"), "cs.sqlite")
    store = CentralSystemStore(path, reactor, threads=reactor)
    identities = [f"CP{index:06d}" for index in range(options.charge_points)]
    for identity in identities:
        store.register_charge_point(identity)
    store.commit()

    now = datetime.now(timezone.utc)
    statuses = {
        name: core.StatusNotificationRequest(
            connector_id=1, error_code=ChargePointErrorCode("NoError"), status=ChargePointStatus(status)
        )
        for name, status in (("StatusPreparing", "Preparing"), ("StatusCharging", "Charging"),
                             ("StatusAvailable", "Available"))
    }
    transactions: dict[str, int] = {}

    def message(identity: str, step: int) -> None:
        store.touch(identity)
        name = MIX[step % len(MIX)]
        if name in statuses:
            store.record_status(identity, statuses[name])
        elif name == "StartTransaction":
            transactions[identity] = store.start_transaction(
                identity, core.StartTransactionRequest(connector_id=1, id_tag="TAG", meter_start=0, timestamp=now)
            )
        elif name == "MeterValues":
            store.record_meter_values(
                identity,
                core.MeterValuesRequest(
                    connector_id=1,
                    transaction_id=transactions.get(identity),
                    meter_value=[
                        MeterValue(timestamp=now, sampled_value=[SampledValue(value=str(i)) for i in range(4)])
                    ],
                ),
            )
        elif name == "StopTransaction" and identity in transactions:
            store.stop_transaction(
                identity,
                core.StopTransactionRequest(
                    meter_stop=10, timestamp=now, transaction_id=transactions.pop(identity)
                ),
            )

    stalls: list[dict] = []
    detector = StallDetector(reactor, options.threshold_ms / 1000)
    detector.log = Logger(observer=lambda event: stalls.append(event) if "cause" in event else None)
    tuning = GarbageCollectorTuning()

    rate = options.charge_points / options.interval
    started = time.perf_counter()
    measure_from = started + options.warmup
    measure_to = measure_from + options.duration
    state = {"sent": 0}
    latencies: list[float] = []

    def answered(_, due: float) -> None:
        if due >= measure_from:
            latencies.append(time.perf_counter() - due)

    def pace() -> None:
        clock = time.perf_counter()
        if clock >= measure_to:
            reactor.stop()
            return
        due_count = int((clock - started) * rate)
        while state["sent"] < due_count:
            sent = state["sent"]
            due = started + sent / rate
            message(identities[sent % len(identities)], sent // len(identities))
            store.when_committed().addCallback(answered, due)
            state["sent"] = sent + 1

    pacing = LoopingCall(pace)
    reactor.callWhenRunning(tuning.startService)
    reactor.callWhenRunning(detector.startService)
    reactor.callWhenRunning(pacing.start, 0.0005)
    reactor.run()
    offset = time.time() - time.perf_counter()
    measured = [event for event in stalls if measure_from + offset <= event["log_time"] <= measure_to + offset]
    wal_size = os.path.getsize(path + "-wal") if os.path.exists(path + "-wal") else 0
    finished = getattr(getattr(store, "_log_checkpoints", None), "finished", None)
    store.close()

    per_minute = 60 / options.duration
    by_cause: dict[str, list[dict]] = defaultdict(list)
    for event in measured:
        by_cause[event["cause"]].append(event)
    latencies.sort()

    def percentile(fraction: float) -> float:
        return latencies[min(len(latencies) - 1, int(fraction * len(latencies)))] * 1000 if latencies else 0.0

    print(
        f"openocpp {openocpp.__file__}: {options.charge_points} charge points, one call every "
        f"{options.interval} s, {options.duration:.0f} s measured; stalls: turns over {options.threshold_ms} ms"
    )
    print(
        f"messages {len(latencies)}: latency (due -> committed) p50 {percentile(0.5):.2f} ms, "
        f"p99 {percentile(0.99):.2f} ms, max {percentile(1.0):.2f} ms"
    )
    print(f"the log at the end: {wal_size / 2**20:.1f} MiB; checkpoints finished by the writer: {finished}")
    print(f"{'cause':44} {'/min':>6} {'>3ms/min':>9} {'max ms':>8} {'CPU>1ms/min':>12} {'CPU>3ms/min':>12} {'max CPU ms':>10}")
    rows = sorted(by_cause.items(), key=lambda item: -len(item[1]))
    rows.append(("all", measured))
    for cause, events in rows:
        walls = [event["duration_ms"] for event in events]
        cpus = [event["cpu_ms"] for event in events]
        print(
            f"{cause:44} {len(walls) * per_minute:6.0f} {sum(w > 3 for w in walls) * per_minute:9.0f} "
            f"{max(walls, default=0):8.2f} {sum(c > 1 for c in cpus) * per_minute:12.0f} "
            f"{sum(c > 3 for c in cpus) * per_minute:12.0f} {max(cpus, default=0):10.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
