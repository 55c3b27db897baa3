"""
The PostgreSQL store's driver integration, measured: what one statement
costs the reactor thread each way psycopg 3 can be used from Twisted, and
the group commit's throughput against one commit per message. Loopback
only, a throwaway server (L{tests.engines.postgresql}, fsync on), bounded
at well under a minute::

    python benchmarks/bench_pgstore.py
    python benchmarks/bench_pgstore.py --writes 10000 --round-trips 3000

Reported:

  - round trips (a one-row indexed C{SELECT}), microseconds each, one
    after the other: psycopg synchronous on the reactor thread (unix
    socket, TCP), through C{deferToThreadPool} on a one-thread pool (each
    answer back on the reactor thread), through
    C{twisted.enterprise.adbapi} (its pool of one connection);
  - C{--writes} MeterValues through L{PostgreSQLStore.record_meter_values}
    (4 sampled values each, as the load mix sends) in turns of 1, 10 and
    100 messages (one COMMIT a turn: group commit), writes per second and
    the COMMIT's time on the reactor thread (the connection's pipeline
    sends a turn's INSERTs without waiting: the COMMIT's wait holds
    theirs); and the SQLite store's, for comparison. Round trips a
    message, counted rather than timed: C{bench_pgroundtrips.py}.

The figures of a run are in docs/deployment.md, "PostgreSQL store".
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from twisted.internet import defer  # noqa: E402
from twisted.internet.task import Clock  # noqa: E402


def _values(transaction_id):
    from openocpp.messages import core
    from openocpp.messages.datatypes import MeterValue, SampledValue

    from datetime import datetime, timezone

    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return core.MeterValuesRequest(
        connector_id=1,
        transaction_id=transaction_id,
        meter_value=[
            MeterValue(
                timestamp=now,
                sampled_value=[
                    SampledValue(value="1234", measurand="Energy.Active.Import.Register", unit="Wh"),
                    SampledValue(value="7.2", measurand="Power.Active.Import", unit="kW"),
                    SampledValue(value="16", measurand="Current.Import", unit="A"),
                    SampledValue(value="230", measurand="Voltage", unit="V"),
                ],
            )
        ],
    )


def _per_call(run, count):
    began = time.perf_counter()
    run(count)
    return (time.perf_counter() - began) / count * 1e6


def round_trips(server, count, reactor):
    """
    @return: a Deferred firing with (name, microseconds a round trip) pairs.
    """
    import psycopg
    from twisted.enterprise import adbapi
    from twisted.python.threadpool import ThreadPool
    from twisted.internet.threads import deferToThreadPool

    server.execute("CREATE DATABASE rt")
    unix = psycopg.connect(server.url_for("rt", unix=True), autocommit=True)
    unix.execute("CREATE TABLE t (k text PRIMARY KEY, v text)")
    unix.execute("INSERT INTO t SELECT 'k' || n, 'v' FROM generate_series(1, 1000) AS n")
    tcp = psycopg.connect(server.url_for("rt"), autocommit=True)
    query = "SELECT v FROM t WHERE k = %s"

    def synchronous(connection):
        def run(n):
            for i in range(n):
                connection.execute(query, (f"k{i % 1000}",)).fetchone()

        return run

    results = [
        ("psycopg synchronous, reactor thread, unix socket", _per_call(synchronous(unix), count)),
        ("psycopg synchronous, reactor thread, TCP loopback", _per_call(synchronous(tcp), count)),
    ]
    pool = ThreadPool(1, 1, "bench-pg")
    pool.start()

    @defer.inlineCallbacks
    def threaded():
        began = time.perf_counter()
        for i in range(count):
            yield deferToThreadPool(reactor, pool, lambda i=i: unix.execute(query, (f"k{i % 1000}",)).fetchone())
        results.append(
            ("psycopg in a one-thread pool (deferToThreadPool)", (time.perf_counter() - began) / count * 1e6)
        )
        adb = adbapi.ConnectionPool(
            "psycopg", server.url_for("rt", unix=True), cp_min=1, cp_max=1, cp_reactor=reactor
        )
        yield adb.runQuery(query, ("k1",))
        began = time.perf_counter()
        for i in range(count):
            yield adb.runQuery(query, (f"k{i % 1000}",))
        results.append(("twisted.enterprise.adbapi (one connection)", (time.perf_counter() - began) / count * 1e6))
        adb.close()
        pool.stop()
        unix.close()
        tcp.close()
        return results

    return threaded()


def group_commit(make_store, writes, per_turn):
    """
    @return: (writes a second, mean COMMIT milliseconds).
    """
    from openocpp.messages import core

    from datetime import datetime, timezone

    clock = Clock()
    store = make_store(clock)
    commits = []
    store._group.commit_observer = commits.append
    request = core.StartTransactionRequest(
        connector_id=1, id_tag="T", meter_start=0, timestamp=datetime(2026, 1, 1, tzinfo=timezone.utc)
    )
    transaction_id = store.start_transaction("CP1", request)
    clock.advance(0)
    values = _values(transaction_id)
    commits.clear()
    began = time.perf_counter()
    done = 0
    while done < writes:
        for _ in range(per_turn):
            store.record_meter_values("CP1", values)
            store.when_committed(None)
        done += per_turn
        clock.advance(0)
    elapsed = time.perf_counter() - began
    store.close()
    return done / elapsed, sum(commits) / max(1, len(commits)) * 1000


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=10_000, help="MeterValues per group-commit run")
    parser.add_argument("--round-trips", type=int, default=3_000, help="round trips per integration")
    options = parser.parse_args(argv)

    from openocpp.centralsystem.postgresqlstore import PostgreSQLStore
    from openocpp.centralsystem.store import CentralSystemStore
    from tests.engines.postgresql import PostgreSQLServer

    import psycopg

    server = PostgreSQLServer(fsync=True)
    server.start()
    try:
        import platform

        print(f"# PostgreSQL {psycopg.connect(server.url_for('postgres', unix=True)).info.server_version}, "
              f"psycopg {psycopg.__version__} ({psycopg.pq.__impl__}), Python {platform.python_version()}, "
              f"{os.cpu_count()} cores")
        print("\n## Round trips (one-row indexed SELECT), one after the other")
        results = []

        def run(reactor):
            return round_trips(server, options.round_trips, reactor).addCallback(results.extend)

        from twisted.internet import reactor

        d = run(reactor)
        d.addBoth(lambda result: reactor.stop() or result)
        reactor.run()
        for name, micros in results:
            print(f"| {name} | {micros:.1f} us |")
        print(f"\n## Group commit: {options.writes} MeterValues (4 sampled values each)")
        print("| store | messages a turn | writes/s | COMMIT ms (mean) |")
        numbers = iter(range(1000))

        def postgresql(clock):
            name = f"gc{next(numbers)}"
            server.create_database(name)
            return PostgreSQLStore(server.url_for(name, unix=True), clock)

        folder = tempfile.mkdtemp(prefix="bench-pgstore-")

        def sqlite(clock):
            return CentralSystemStore(os.path.join(folder, f"cs{next(numbers)}.sqlite"), clock)

        for per_turn in (1, 10, 100):
            for name, make in (("PostgreSQL", postgresql), ("SQLite", sqlite)):
                writes = options.writes if per_turn > 1 else max(1, options.writes // 5)
                rate, commit_ms = group_commit(make, writes, per_turn)
                print(f"| {name} | {per_turn} | {rate:,.0f} | {commit_ms:.2f} |")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
