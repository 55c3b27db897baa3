"""
Round trips to PostgreSQL per message of the load mix (L{loadgen.MIX}):
how often the reactor thread waits for the server, whatever the machine's
load (a count, not a time). The store is driven directly, each message
kind as the central system's behaviour calls it, on a throwaway server
(L{tests.engines.postgresql})::

    python benchmarks/bench_pgroundtrips.py
    python benchmarks/bench_pgroundtrips.py --messages 200 --charge-points 100

A round trip is counted where psycopg waits for a result: each statement
run outside pipeline mode (C{Cursor.execute}; C{Cursor.executemany}, which
psycopg pipelines: one), each pipeline sync (C{Pipeline.sync}, leaving a pipeline, a cursor
fetching a result not yet read). Reported, per message kind: statements
and round trips a message, each message in a turn of its own (its BEGIN
and COMMIT counted with it), and for the mix as the benchmark sends it,
C{--charge-points} messages a turn (one BEGIN and COMMIT shared), with
the CPU time this process spent on it. C{--no-pipeline}: each statement
waits for its result, as before pipelining; C{--mix-only}: without the
table of each kind alone (to count instructions a message of the mix
under callgrind: the difference of two runs of different C{--messages}).
"""

import argparse
import os
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from twisted.internet.task import Clock  # noqa: E402

from benchmarks.loadgen import MIX  # noqa: E402


class Counts:
    """
    psycopg's waits for the server, counted by patching its classes.
    """

    def __init__(self) -> None:
        self.round_trips = 0
        self.statements = 0

    def install(self) -> None:
        """
        Count from now on (for the process's life).
        """
        import psycopg

        counts = self
        execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany
        sync, leave = psycopg.Pipeline.sync, psycopg.Pipeline.__exit__
        fetch = psycopg.Cursor._fetch_pipeline

        def counted_execute(cursor, *arguments, **keywords):
            counts.statements += 1
            if cursor.connection._pipeline is None:
                counts.round_trips += 1
            return execute(cursor, *arguments, **keywords)

        def counted_executemany(cursor, query, rows, *arguments, **keywords):
            rows = list(rows)
            counts.statements += len(rows)
            # Outside pipeline mode psycopg runs it in a pipeline of its
            # own, whose leaving counts the one round trip.
            return executemany(cursor, query, rows, *arguments, **keywords)

        def counted_sync(pipeline):
            counts.round_trips += 1
            return sync(pipeline)

        def counted_leave(pipeline, *arguments):
            counts.round_trips += 1
            return leave(pipeline, *arguments)

        def counted_fetch(cursor):
            if cursor._execmany_returning is not False and not cursor.pgresult and cursor.connection._pipeline:
                counts.round_trips += 1
            return fetch(cursor)

        psycopg.Cursor.execute = counted_execute
        psycopg.Cursor.executemany = counted_executemany
        psycopg.Pipeline.sync = counted_sync
        psycopg.Pipeline.__exit__ = counted_leave
        psycopg.Cursor._fetch_pipeline = counted_fetch

    def take(self) -> tuple[int, int]:
        """
        @return: (statements, round trips) since the last take.
        """
        taken = (self.statements, self.round_trips)
        self.statements = self.round_trips = 0
        return taken


class ChargePoint:
    """
    One charge point's messages, as L{openocpp.centralsystem.behaviour}
    stores them (the registration check and id tag of a real one
    answered from the store's caches, as they are under load).
    """

    def __init__(self, store, identity: str, clock: Clock) -> None:
        self.store = store
        self.identity = identity
        self.clock = clock
        self.meter = 0
        self.transaction_id = None
        self.step = 0

    def now(self):
        from datetime import datetime, timezone

        return datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=self.clock.seconds())

    def send(self, kind: str) -> None:
        """
        Store one message of C{kind} (a L{MIX} entry) and wait for its commit.
        """
        from openocpp.messages import core
        from openocpp.messages.datatypes import MeterValue, SampledValue

        store, identity = self.store, self.identity
        store.touch(identity)
        if kind != "Heartbeat" and not kind.startswith("StatusNotification"):
            store.registration_status(identity)
        if kind.startswith("StatusNotification:"):
            store.record_status(identity, core.StatusNotificationRequest(
                connector_id=1, error_code="NoError", status=kind.partition(":")[2], timestamp=self.now(),
            ))
        elif kind == "Authorize":
            store.id_tag("TAG")
        elif kind == "StartTransaction":
            self.transaction_id = store.start_transaction(identity, core.StartTransactionRequest(
                connector_id=1, id_tag="TAG", meter_start=self.meter, timestamp=self.now(),
            ))
            store.id_tag("TAG")
        elif kind == "MeterValues":
            self.meter += 250
            store.record_meter_values(identity, core.MeterValuesRequest(
                connector_id=1, transaction_id=self.transaction_id, meter_value=[MeterValue(
                    timestamp=self.now(), sampled_value=[
                        SampledValue(value=str(self.meter), context="Sample.Periodic",
                                     measurand="Energy.Active.Import.Register", location="Outlet", unit="Wh"),
                        SampledValue(value="7200", measurand="Power.Active.Import", unit="W"),
                        SampledValue(value="16.2", measurand="Current.Import", phase="L1", unit="A"),
                        SampledValue(value="231.0", measurand="Voltage", phase="L1-N", unit="V"),
                    ])],
            ))
        elif kind == "StopTransaction":
            store.stop_transaction(identity, core.StopTransactionRequest(
                meter_stop=self.meter, timestamp=self.now(), transaction_id=self.transaction_id, id_tag="TAG",
            ))
            store.id_tag("TAG")
        store.when_committed(None)

    def next(self) -> None:
        """
        Store the charge point's next message of the mix.
        """
        kind = MIX[self.step]
        self.step = (self.step + 1) % len(MIX)
        self.send(kind)


def measure(url: str, messages: int, charge_points: int, pipelined: bool | None, kinds: bool = True) -> None:
    from openocpp.centralsystem.postgresqlstore import PostgreSQLStore
    from tests.centralsystem.fake_chargepoint import BOOT

    counts = Counts()
    counts.install()
    clock = Clock()
    clock.advance(1_000)
    store = PostgreSQLStore(url, clock)
    if pipelined is False:
        store._db._leave_pipeline()
        store._db._pipelined = False
    fleet = [ChargePoint(store, f"CP{n:04d}", clock) for n in range(charge_points)]
    store.set_id_tag("TAG")
    for each in fleet:
        store.record_boot(each.identity, BOOT, "Accepted")
    clock.advance(0)
    for each in fleet:  # the caches filled, the transactions open
        store.registration_status(each.identity)
        store.id_tag("TAG")
    counts.take()

    print("| message | statements | round trips (a turn each) |")
    print("|---|---|---|")
    point = fleet[0]
    for kind in dict.fromkeys(MIX) if kinds else ():
        if kind == "MeterValues" or kind == "StopTransaction":
            point.send("StartTransaction")
            clock.advance(1)
            counts.take()
        total = [0, 0]
        for _ in range(messages):
            point.send(kind)
            clock.advance(1)
            statements, round_trips = counts.take()
            total[0] += statements
            total[1] += round_trips
            if kind == "StopTransaction":
                point.send("StartTransaction")
                clock.advance(1)
                counts.take()
        print(f"| {kind} | {total[0] / messages:.2f} | {total[1] / messages:.2f} |")

    turns = max(1, messages * len(MIX) // charge_points)
    began = time.process_time()
    for _ in range(turns):
        for each in fleet:
            each.next()
        clock.advance(1)
    cpu = time.process_time() - began
    statements, round_trips = counts.take()
    sent = turns * charge_points
    print(f"| the mix, {charge_points} a turn ({sent} messages) | {statements / sent:.2f} | {round_trips / sent:.2f} |")
    print(f"\nThe mix: {cpu / sent * 1e6:.0f} us of this process's CPU a message (user + system, a guide only)")
    store.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100, help="messages of each kind")
    parser.add_argument("--charge-points", type=int, default=100, help="messages a turn of the mix")
    parser.add_argument("--no-pipeline", action="store_true", help="each statement waits for its result")
    parser.add_argument("--mix-only", action="store_true", help="the mix only, not each kind alone")
    options = parser.parse_args(argv)

    from tests.engines.postgresql import PostgreSQLServer

    server = PostgreSQLServer(fsync=False)
    server.start()
    try:
        url = server.create_database("roundtrips")
        measure(
            url, options.messages, options.charge_points, False if options.no_pipeline else None,
            kinds=not options.mix_only,
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
