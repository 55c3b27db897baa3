"""
Memory per connection of the central system: the RSS one connected,
booted charge point costs (issue 17's figure), load-independent enough to
measure on a busy machine.

    python benchmarks/bench_memory.py                  # N=1,000, 3 runs, the median
    python benchmarks/bench_memory.py --count 5000 --repeat 1
    python benchmarks/bench_memory.py --bench-flags    # bench_centralsystem.py's server flags

Each run starts C{twistd -n openocpp centralsystem} (its defaults: SQLite
in a fresh directory, pings every 60 s; only C{--listen} given, or with
C{--bench-flags} the flags of C{bench_centralsystem.py}'s C{openocpp}
server), reads its idle C{VmRSS}, connects and boots C{--count} charge
points with C{loadgen.py}, reads C{VmRSS} again and prints the difference
divided by the charge points booted, in KiB, as
C{bench_centralsystem.py}'s C{KiB/conn} column does; then the median of
the runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from bench_centralsystem import (
    LOADGEN,
    LOOPBACK,
    _env,
    _free_port,
    _read_tagged,
    _twistd,
    _wait_listening,
    process_memory,
    server_command,
)


def run_once(count: int, bench_flags: bool, ramp: float) -> float:
    """
    One server, C{count} charge points: the KiB of RSS per booted one.
    """
    workdir = tempfile.mkdtemp(prefix="bench-memory-")
    port = _free_port()
    if bench_flags:
        command = server_command("openocpp", port, workdir)
    else:
        command = _twistd() + [
            "-n", "--logfile", os.path.join(workdir, "twistd.log"),
            "--pidfile", os.path.join(workdir, "twistd.pid"),
            "openocpp", "centralsystem", "--listen", f"tcp:{port}:interface={LOOPBACK}",
        ]
    with open(os.path.join(workdir, "server.out"), "w") as out:
        server = subprocess.Popen(
            command, cwd=workdir, env=_env(openocpp=True), stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.STDOUT,
        )
    load = None
    try:
        _wait_listening(server, port, 30.0)
        time.sleep(0.5)
        idle = process_memory(server.pid)["VmRSS"]
        load = subprocess.Popen(
            [
                sys.executable, LOADGEN, "--url", f"ws://{LOOPBACK}:{port}/ocpp/",
                "--prefix", "CP", "--count", str(count), "--ramp", str(ramp),
                "--result", os.path.join(workdir, "load.json"),
            ],
            env=_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        ready = _read_tagged(load, "READY", count / ramp + 90.0)
        # (What the last boots left for the collector is part of the figure,
        # as in bench_centralsystem.py.)
        connected = process_memory(server.pid)["VmRSS"]
        booted = ready["booted"]
        if not booted:
            raise RuntimeError("no charge point booted")
        return (connected - idle) / booted
    finally:
        if load is not None:
            load.kill()
            load.wait(10)
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="charge points (1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs, the median reported (3)")
    parser.add_argument("--ramp", type=float, default=500.0, help="connections opened per second")
    parser.add_argument(
        "--bench-flags", action="store_true",
        help="the server flags of bench_centralsystem.py (--accept-any-idtag --ping-interval 0 ...)",
    )
    options = parser.parse_args()
    figures = []
    for number in range(options.repeat):
        figure = run_once(options.count, options.bench_flags, options.ramp)
        figures.append(figure)
        print(f"run {number + 1}: {figure:.2f} KiB per connection", flush=True)
    print(f"median of {len(figures)}, N={options.count}: {statistics.median(figures):.2f} KiB per connection")
    return 0


if __name__ == "__main__":
    sys.exit(main())
