"""
Past one process: the flat-out throughput of one and two central-system
nodes sharing PostgreSQL and Redis against the single-process SQLite
default, and what routing an operator's call to the node that holds the
charge point adds.

    pip install -e '.[bench,postgresql]'
    python benchmarks/bench_cluster.py                          # every configuration, then the routed calls
    python benchmarks/bench_cluster.py --configs sqlite-1 --duration 10 --clients 1000
    python benchmarks/bench_cluster.py --configs pg-2 --routed-calls 1000

The configurations:

  - C{sqlite-1}: one C{twistd -n openocpp centralsystem} with its default
    SQLite file (C{bench_centralsystem.py}'s C{openocpp} server);
  - C{pg-1}: one node, C{--store postgresql://... --bus redis://...
    --node-id node0};
  - C{pg-2}: two such nodes, each charge point connected to node
    CRC-32(identity) mod 2.

PostgreSQL (C{tests/engines/postgresql.py}: a throwaway server as the
C{postgres} user in a temp dir, fsync on) and Redis
(C{tests/engines/redis.py}: C{redis-server} on a free loopback port,
persistence off) are started for the run and stopped
after it.

Throughput: C{bench_centralsystem.py}'s load (C{loadgen.py}: N charge
points flat out over its mix, every answer checked), one load process per
node, for C{--duration} seconds after a warm-up.  Reported per core,
honestly: the machine has two and the load takes its share, so beside
calls/s come the CPU of the server side (every node, PostgreSQL's
processes, Redis) in cores, its CPU per call, calls per server core-second,
the load's CPU and C{others} (every other process on the machine).

Routed calls: a few charge points (C{fleet.py}, at a realistic pace,
answering C{ClearCache}), then C{--routed-calls} C{POST
/api/v1/chargepoints/ID/actions/ClearCache}, one at a time, alternately
through the API of the node that holds the charge point (local) and
through the other node's (routed through Redis); p50/p99 of each, and the
difference.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))

import bench_centralsystem as central  # noqa: E402
import bench_connections as connections  # noqa: E402
from fleet import node_of  # noqa: E402

CONFIGS = {
    "sqlite-1": (1, False),
    "pg-1": (1, True),
    "pg-2": (2, True),
}

def _tree_cpu(root: int) -> float:
    """
    CPU seconds of process C{root} and its children, with the children it
    reaped (PostgreSQL's postmaster and its backends).
    """
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue
        pid, parent = int(name), int(fields[1])
        if pid == root:
            total += sum(int(field) for field in fields[11:15]) / tick
        elif parent == root:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


class Engines:
    """
    PostgreSQL and Redis for the nodes of one configuration.
    """

    def __init__(self) -> None:
        try:
            from tests.engines.postgresql import PostgreSQLServer
        except ImportError as error:
            raise RuntimeError(f"needs tests/engines/postgresql.py (branch pg-store): {error}") from None
        try:
            from tests.engines.redis import RedisServer
        except ImportError as error:
            raise RuntimeError(f"needs tests/engines/redis.py (branch cluster-bus): {error}") from None
        try:
            self.postgresql = PostgreSQLServer()
            self.redis = RedisServer()
        except Exception as error:  # SkipTest: not installed
            raise RuntimeError(str(error)) from None

    def start(self) -> None:
        self.postgresql.start()
        self.store = self.postgresql.create_database("bench")
        self.redis.start()

    def cpu(self) -> float:
        return _tree_cpu(self.postgresql._process.pid) + (central.process_cpu(self.redis._process.pid) or 0.0)

    def transactions(self, prefix: str) -> tuple[int, int] | None:
        """
        L{stored_transactions} in the PostgreSQL database; C{None} when it
        cannot be read.
        """
        try:
            import psycopg

            with psycopg.connect(self.store) as connection:
                return stored_transactions(connection, "%s", prefix)
        except Exception:
            return None

    def stop(self) -> None:
        self.redis.remove()
        self.postgresql.stop()


# -- throughput ---------------------------------------------------------------------


#: The identities of the load (C{loadgen.py}'s charge points) and of the
#: routed calls' fleet (C{fleet.py}'s): both start transactions, and only the
#: load's are what C{transactions_started} counts.
LOAD_PREFIX = "CP"
FLEET_PREFIX = "FLEET"


def stored_transactions(connection, placeholder: str, prefix: str) -> tuple[int, int]:
    """
    The transactions stored for the charge points whose identity starts
    with C{prefix}, and how many of them repeat another's identity and
    meter start (a StartTransaction stored twice: none should).

    Counted by prefix because the load is not alone: the routed calls'
    fleet starts transactions too, at its realistic pace (about a quarter of
    its charge points as soon as they boot, see C{fleet.py}), which the
    load does not count; counting the whole table once made the store look
    as if it held a few transactions more than were started.

    @param connection: a DB-API connection to the nodes' database
        (C{sqlite3} or C{psycopg}).
    @param placeholder: its parameter marker (C{?} or C{%s}).
    """
    stored, distinct = connection.execute(
        "SELECT count(*), count(DISTINCT identity || ' ' || meter_start) FROM transactions "
        f"WHERE identity LIKE {placeholder}",
        (prefix + "%",),
    ).fetchone()
    return stored, stored - distinct


def throughput(config: str, options, log) -> dict:
    """
    One run of C{config}: the nodes under C{loadgen.py}'s flat-out mix.
    """
    count, shared = CONFIGS[config]
    workdir = tempfile.mkdtemp(prefix=f"bench-cluster-{config}-")
    engines = Engines() if shared else None
    nodes = None
    loads: list[subprocess.Popen] = []
    try:
        if engines:
            engines.start()
        nodes = connections.Nodes(
            count, workdir, engines.store if engines else None, engines.redis.url if engines else None, [],
            api=options.routed_calls > 0,
        )
        nodes.start()
        per_node = [options.clients // count + (1 if i < options.clients % count else 0) for i in range(count)]
        first = 0
        for number, share in enumerate(per_node):
            loads.append(
                subprocess.Popen(
                    [
                        sys.executable, central.LOADGEN,
                        "--url", nodes.urls[number], "--prefix", LOAD_PREFIX, "--first", str(first), "--count", str(share),
                        "--ramp", str(options.ramp / count),
                        "--result", os.path.join(workdir, f"load-{number}.json"),
                    ],
                    env=central._env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                )
            )
            first += share
        ready = [central._read_tagged(load, "READY", options.clients / options.ramp + 90.0) for load in loads]
        start = time.monotonic() + options.warmup
        end = start + options.duration
        for load in loads:
            load.stdin.write(f"GO {start!r} {end!r}\n")
            load.stdin.flush()
        time.sleep(max(0.0, start - time.monotonic()))
        cpu0, engine0 = nodes.cpu(), engines.cpu() if engines else 0.0
        load0, busy0 = [central.process_cpu(load.pid) for load in loads], central.machine_busy()
        time.sleep(max(0.0, end - time.monotonic()))
        cpu1, engine1 = nodes.cpu(), engines.cpu() if engines else 0.0
        load1, busy1 = [central.process_cpu(load.pid) for load in loads], central.machine_busy()
        for load in loads:
            central._read_tagged(load, "RESULT", 120.0)
        results = []
        for number in range(len(loads)):
            with open(os.path.join(workdir, f"load-{number}.json")) as figures:
                results.append(json.load(figures))
        routed = routed_calls(nodes, options, workdir) if options.routed_calls > 0 else None
    finally:
        for load in loads:
            if load.poll() is None:
                load.kill()
            load.wait(10)
        if nodes is not None:
            nodes.stop()
        stored = repeated = fleet_stored = None
        counted = (None, None)
        if engines:
            counted = engines.transactions(LOAD_PREFIX), engines.transactions(FLEET_PREFIX)
            engines.stop()
        elif nodes is not None:
            counted = _sqlite_transactions(os.path.join(workdir, "node0", "cs.sqlite"))
        if counted[0] is not None:
            stored, repeated = counted[0]
        if counted[1] is not None:
            fleet_stored = counted[1][0]
        shutil.rmtree(workdir, ignore_errors=True)

    latencies = central._merge([r["latencies_us"] for r in results])
    errors: dict[str, int] = {}
    for r in ready + results:
        for name, number in r["errors"].items():
            errors[name] = errors.get(name, 0) + number
    node_s = [b - a for a, b in zip(cpu0, cpu1) if a is not None and b is not None]
    engine_s = engine1 - engine0
    server_s = sum(node_s) + engine_s
    load_s = sum(b - a for a, b in zip(load0, load1) if a is not None and b is not None)
    others_s = None if busy0 is None else max(0.0, busy1 - busy0 - server_s - load_s)
    duration = options.duration
    calls = len(latencies)
    result = {
        "benchmark": "cluster",
        "config": config,
        "nodes": count,
        "clients": options.clients,
        "booted": sum(r["booted"] for r in ready),
        "calls_per_s": round(calls / duration, 1),
        "p50_ms": round(central._percentile(latencies, 0.50), 3),
        "p99_ms": round(central._percentile(latencies, 0.99), 3),
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
        "error_samples": [s for r in ready + results for s in r["error_samples"]][:5],
        "node_cores": [round(s / duration, 3) for s in node_s],
        "engine_cores": round(engine_s / duration, 3),
        "server_cores": round(server_s / duration, 3),
        "server_cpu_us_per_call": round(server_s / calls * 1e6, 1) if calls else None,
        "calls_per_server_core_s": round(calls / server_s, 1) if server_s else None,
        "load_cores": round(load_s / duration, 3),
        "other_cores": None if others_s is None else round(others_s / duration, 3),
        "transactions_started": sum(r["started_transactions"] for r in results),
        "transactions_in_store": stored,
        "transactions_stored_twice": repeated,
        "fleet_transactions_in_store": fleet_stored,
        "routed": routed,
    }
    log(format_row(result))
    if routed:
        log(format_routed(result))
    return result


def _sqlite_transactions(database: str) -> tuple:
    """
    L{stored_transactions} of the load and of the fleet in the SQLite file
    (C{None} each when it is not there).
    """
    if not os.path.exists(database):
        return None, None
    import sqlite3

    connection = sqlite3.connect(database)
    try:
        return tuple(stored_transactions(connection, "?", prefix) for prefix in (LOAD_PREFIX, FLEET_PREFIX))
    finally:
        connection.close()


# -- routed calls -------------------------------------------------------------------


def routed_calls(nodes, options, workdir: str) -> dict:
    """
    C{options.routed_calls} ClearCache calls through the API, alternately
    local (the node holding the charge point) and, with two nodes or more,
    routed (another node's API): their latencies.
    """
    stats_dir = os.path.join(workdir, "routed")
    os.makedirs(stats_dir)
    fleet_options = types.SimpleNamespace(
        ramp=100.0, opening=20, pace=1.0, heartbeat=300.0, meter_interval=60.0, idle=5400.0, session=1800.0,
    )
    fleet = connections.FleetProcesses(options.routed_fleet, options.routed_fleet, nodes.urls, fleet_options, stats_dir)
    try:
        opened = fleet.open(options.routed_fleet, 120.0)
        if not opened[0]["booted"]:
            raise RuntimeError(f"no charge point of the routed-call fleet booted: {opened}")
        identities = [f"{FLEET_PREFIX}{number:06d}" for number in range(options.routed_fleet)]
        apis = [http.client.HTTPConnection(central.LOOPBACK, port, timeout=60) for port in nodes.api_ports]
        kinds = ["local", "routed"] if nodes.count > 1 else ["local"]
        latencies = {kind: [] for kind in kinds}
        errors = {kind: 0 for kind in kinds}
        samples: list[str] = []
        for number in range(options.routed_calls):
            identity = identities[number % len(identities)]
            holder = node_of(identity, nodes.count)
            kind = kinds[number % len(kinds)]
            via = holder if kind == "local" else (holder + 1) % nodes.count
            api = apis[via]
            began = time.perf_counter()
            try:
                api.request(
                    "POST", f"/api/v1/chargepoints/{identity}/actions/ClearCache", body=b"{}",
                    headers={"Content-Type": "application/json"},
                )
                response = api.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as error:
                errors[kind] += 1
                samples.append(f"{kind} {identity} via node{via}: {type(error).__name__}: {error}"[:300])
                apis[via] = http.client.HTTPConnection(central.LOOPBACK, nodes.api_ports[via], timeout=60)
                continue
            elapsed = time.perf_counter() - began
            if response.status == 200 and json.loads(body).get("status") == "Accepted":
                latencies[kind].append(round(elapsed * 1e6))
            else:
                errors[kind] += 1
                if len(samples) < 5:
                    samples.append(f"{kind} call {number} {identity} via node{via}: HTTP {response.status} {body[:200]!r}")
        for api in apis:
            api.close()
    finally:
        stopped = fleet.stop()
    figures = {}
    for kind in kinds:
        ordered = sorted(latencies[kind])
        figures[kind] = {
            "calls": len(ordered),
            "errors": errors[kind],
            "p50_ms": round(central._percentile(ordered, 0.50), 3),
            "p99_ms": round(central._percentile(ordered, 0.99), 3),
        }
    # The fleet's own transactions, to set beside what the store holds of
    # its identities.
    started = sum(state.get("started_transactions", 0) for state in stopped)
    return {**figures, "error_samples": samples[:5], "fleet_started_transactions": started}


# -- the report -----------------------------------------------------------------------

HEADER = (
    f"{'config':<9} {'nodes':>5} {'booted':>6} {'calls/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
    f"{'server cores':>12} {'(engines)':>9} {'us/call':>8} {'calls/core-s':>12} {'load cores':>10} "
    f"{'others':>6} {'stored tx':>11}"
)


def _cores(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def format_row(r: dict) -> str:
    stored = "" if r["transactions_in_store"] is None else f"{r['transactions_in_store']}/{r['transactions_started']}"
    if r.get("transactions_stored_twice"):
        stored += f" ({r['transactions_stored_twice']} twice!)"
    return (
        f"{r['config']:<9} {r['nodes']:>5} {r['booted']:>6} {r['calls_per_s']:>8.0f} {r['p50_ms']:>8.2f} "
        f"{r['p99_ms']:>8.2f} {r['errors']:>6} {_cores(r['server_cores']):>12} {_cores(r['engine_cores']):>9} "
        f"{r['server_cpu_us_per_call'] or float('nan'):>8.0f} {r['calls_per_server_core_s'] or float('nan'):>12.0f} "
        f"{_cores(r['load_cores']):>10} {_cores(r['other_cores']):>6} {stored:>11}"
    )


def format_routed(r: dict) -> str:
    routed = r["routed"]
    parts = [
        f"{kind} {f['calls']} calls p50 {f['p50_ms']:.2f} ms p99 {f['p99_ms']:.2f} ms errors {f['errors']}"
        for kind, f in routed.items() if isinstance(f, dict)
    ]
    if "routed" in routed and "local" in routed:
        parts.append(
            f"routing adds p50 {routed['routed']['p50_ms'] - routed['local']['p50_ms']:+.2f} ms, "
            f"p99 {routed['routed']['p99_ms'] - routed['local']['p99_ms']:+.2f} ms"
        )
    line = f"  {r['config']:<9} ClearCache through the API: " + "; ".join(parts)
    if r.get("fleet_transactions_in_store") is not None:
        line += (
            f"\n            their fleet's transactions (not the load's): {r['fleet_transactions_in_store']} stored"
            f"/{routed['fleet_started_transactions']} started"
        )
    if routed["error_samples"]:
        line += f"\n            errors: {routed['error_samples'][:2]}"
    return line


def markdown(results: list[dict], env: dict, command: str) -> str:
    versions = ", ".join(f"{name} {version}" for name, version in env["versions"].items() if version)
    lines = [
        f"`{command}`",
        "",
        f"Machine: {env['cpu']}, {env['cores']} cores; Python {env['python']}; {versions}.",
        "",
        "| config | nodes | calls/s | p50 ms | p99 ms | server cores (engines) | server CPU per call | calls per server core-s "
        "| load cores | others | stored tx | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        stored = "n/a" if r["transactions_in_store"] is None else f"{r['transactions_in_store']:,}/{r['transactions_started']:,}"
        lines.append(
            f"| {r['config']} | {r['nodes']} | {r['calls_per_s']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
            f"{_cores(r['server_cores'])} ({_cores(r['engine_cores'])}) | {r['server_cpu_us_per_call'] or float('nan'):.0f} us | "
            f"{r['calls_per_server_core_s'] or float('nan'):,.0f} | {_cores(r['load_cores'])} | "
            f"{_cores(r['other_cores'])} | {stored} | {r['errors']} |"
        )
    routed = [r for r in results if r["routed"]]
    if routed:
        lines += ["", "| config | call | via | calls | p50 ms | p99 ms | errors |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for r in routed:
            for kind, f in r["routed"].items():
                if not isinstance(f, dict):
                    continue
                via = "the node holding the charge point" if kind == "local" else "the other node (through Redis)"
                lines.append(
                    f"| {r['config']} | ClearCache | {via} | {f['calls']} | {f['p50_ms']:.2f} | {f['p99_ms']:.2f} | {f['errors']} |"
                )
    return "\n".join(lines) + "\n"


def parse_options(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.strip().splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated: " + ", ".join(CONFIGS))
    parser.add_argument("--clients", type=int, default=1000, help="charge points flat out (1000)")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per run (20)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring (3)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each configuration (1)")
    parser.add_argument("--ramp", type=float, default=500.0, help="charge points connected per second (500)")
    parser.add_argument("--routed-calls", type=int, default=1000, help="API calls, local and routed alternately (1000; 0: none)")
    parser.add_argument("--routed-fleet", type=int, default=20, help="charge points the API calls go to (20)")
    parser.add_argument("--json-out", metavar="FILE", help="write one JSON line per run to FILE")
    parser.add_argument("--markdown-out", metavar="FILE", help="write the tables as Markdown to FILE")
    options = parser.parse_args(argv)
    configs = options.configs.split(",")
    unknown = [name for name in configs if name not in CONFIGS]
    if unknown:
        parser.error(f"unknown configuration {', '.join(unknown)} (one of {', '.join(CONFIGS)})")
    options.configs = configs
    if options.clients < 1 or options.duration <= 0 or options.repeat < 1 or options.ramp <= 0:
        parser.error("--clients, --duration, --repeat and --ramp must be positive")
    if not 1 <= options.routed_fleet <= 1000 and options.routed_calls:
        parser.error("--routed-fleet must be between 1 and 1000")
    return options


def main(argv=None) -> int:
    options = parse_options(argv)
    print(
        f"Cluster: {', '.join(options.configs)}; {options.clients:,} charge points flat out, {options.duration:g} s "
        f"measured, {options.repeat} run(s) each; {options.routed_calls} API calls after each run; not pinned "
        f"({os.cpu_count()} cores shared by the nodes, the engines and the load)",
        flush=True,
    )
    print(HEADER, flush=True)
    results = []
    failed = 0
    for number in range(options.repeat):
        for config in options.configs:
            try:
                results.append(throughput(config, options, lambda line: print(line, flush=True)))
            except RuntimeError as error:
                failed += 1
                print(f"{config:<9} failed: {error}", flush=True)
    env = central.environment()
    print(
        f"\nMachine: {env['cpu']}, {env['cores']} cores, Python {env['python']}; "
        + ", ".join(f"{name} {version}" for name, version in env["versions"].items() if version)
    )
    if options.markdown_out and results:
        with open(options.markdown_out, "w") as out:
            out.write(markdown(results, env, " ".join(["python"] + sys.argv)))
    if options.json_out:
        with open(options.json_out, "w") as out:
            for line in results + [{"benchmark": "cluster-environment", **env}]:
                out.write(json.dumps(line) + "\n")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
