"""
The SQLite write-ahead log's size under saturating writes.

    python benchmarks/bench_wal.py                           # 20 s, default limit
    python benchmarks/bench_wal.py --wal-size-limit 0        # no limit

Runs the central system's store (L{openocpp.centralsystem.store}) on the
reactor, its checkpoints in the reactor's threads as the central system
runs them, and writes MeterValues (C{--values} sampled values each, C{--per-turn}
a reactor turn) flat out for C{--duration} seconds: every turn has a write
transaction, so checkpoints never find the log idle. Samples the size of the
C{-wal} file twice a second; prints a C{RESULT {...}} line with its largest
and last size, the sampled values written a second, and the longest reactor
turn (what a checkpoint blocking the writer costs).

Writes to a temporary folder only; bounded in time.
"""

import argparse
import json
import os
import tempfile
import time
from datetime import datetime, timezone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of writes (20)")
    parser.add_argument("--values", type=int, default=10, help="sampled values a MeterValues (10)")
    parser.add_argument("--per-turn", type=int, default=50, help="MeterValues a reactor turn (50)")
    parser.add_argument(
        "--wal-size-limit", type=int, default=None,
        help="bytes (default: the central system's default; 0: no limit)",
    )
    options = parser.parse_args()

    from twisted.internet import reactor

    from openocpp.centralsystem.config import CentralSystemConfig
    from openocpp.centralsystem.store import CentralSystemStore
    from openocpp.messages import core
    from openocpp.messages.datatypes import MeterValue, SampledValue

    limit = CentralSystemConfig().wal_size_limit if options.wal_size_limit is None else options.wal_size_limit
    folder = tempfile.mkdtemp(prefix="bench-wal-")
    path = os.path.join(folder, "cs.sqlite")
    store = CentralSystemStore(path, reactor, threads=reactor, wal_size_limit=limit)
    request = core.MeterValuesRequest(
        connector_id=1,
        meter_value=[
            MeterValue(
                timestamp=datetime.now(timezone.utc),
                sampled_value=[SampledValue(value=str(n)) for n in range(options.values)],
            )
        ],
    )
    figures = {"largest_wal_bytes": 0, "written": 0, "longest_turn_ms": 0.0}
    started = time.monotonic()
    last = [started]

    def write() -> None:
        now = time.monotonic()
        figures["longest_turn_ms"] = max(figures["longest_turn_ms"], (now - last[0]) * 1000)
        last[0] = now
        if now - started >= options.duration:
            store.close()
            reactor.stop()
            return
        for _ in range(options.per_turn):
            store.record_meter_values("CP1", request)
        figures["written"] += options.per_turn * options.values
        reactor.callLater(0, write)

    def sample() -> None:
        try:
            size = os.path.getsize(path + "-wal")
        except OSError:
            size = 0
        figures["largest_wal_bytes"] = max(figures["largest_wal_bytes"], size)
        figures["last_wal_bytes"] = size
        if time.monotonic() - started < options.duration:
            reactor.callLater(0.5, sample)

    reactor.callWhenRunning(write)
    reactor.callWhenRunning(sample)
    reactor.run()
    elapsed = time.monotonic() - started
    result = {
        "wal_size_limit": limit,
        "largest_wal_mib": round(figures["largest_wal_bytes"] / 2**20, 1),
        "last_wal_mib": round(figures.get("last_wal_bytes", 0) / 2**20, 1),
        "sampled_values_per_s": round(figures["written"] / elapsed),
        "longest_turn_ms": round(figures["longest_turn_ms"], 1),
        "duration_s": options.duration,
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
