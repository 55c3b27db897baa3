"""
Instructions per call of the central system's servers, counted by
valgrind's callgrind: a figure that does not move with the machine's load
(wall-clock and CPU time do, on a machine shared with other work).

    python benchmarks/bench_instructions.py --servers openocpp,autobahn-bare \\
        --clients 10 --calls 55,275

Each server (the commands of C{bench_centralsystem.py}) runs under
C{valgrind --tool=callgrind} twice: once with C{--clients} charge points of
C{loadgen.py} making the first number of C{--calls} each, once the second
number, the mix of the central system benchmark in the same order
(C{loadgen.MIX}: make both multiples of its 11 calls), one outstanding call
per charge point.  Everything but the calls (the interpreter's start, the
imports, connecting and booting, closing, the shutdown) is the same in
both runs, so

    instructions per call = (I(second) - I(first)) / (clients x (second - first))

with C{I} the instructions callgrind counted in the server process.  The
hash seed is fixed (C{PYTHONHASHSEED=0}).  With C{--clients 1} every call
is a reactor turn and a commit of its own, and two runs of one tree agree
within about 1 %: use it to compare a change with its base.  With more
clients, how many calls a read and a commit group depends on how the
processes are scheduled (two runs of one tree: about 3 % apart), closer to
a loaded server.  Slow (callgrind runs the server some 50 times slower):
a few minutes per server.

The per-function profile of the second run is kept with C{--keep DIR}
(C{callgrind_annotate DIR/openocpp-275.callgrind} shows the C functions;
the interpreter's frames are not named).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_centralsystem as bench  # noqa: E402
from loadgen import MIX  # noqa: E402

#: Seconds the server may take to listen, under callgrind.
_START_TIMEOUT = 600.0
#: What callgrind writes at the end: "summary: 123456".
_SUMMARY = re.compile(rb"^summary:\s*(\d+)", re.MULTILINE)


def count(kind: str, clients: int, calls: int, keep: str | None) -> dict:
    """
    Run server C{kind} under callgrind while C{clients} charge points make
    C{calls} calls each.

    @return: the run's figures: C{instructions} (the server's total), the
        calls answered and the errors the charge points saw.
    """
    workdir = tempfile.mkdtemp(prefix=f"instr-{kind}-")
    port = bench._free_port()
    out = os.path.join(workdir, "callgrind.out")
    command = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
        # A Python process: no need to follow children or to check the
        # stack depth of every frame.
        "--trace-children=no", "--dump-instr=no", "--collect-jumps=no",
    ] + bench.server_command(kind, port, workdir)
    env = bench._env(openocpp=kind.startswith("openocpp"))
    env["PYTHONHASHSEED"] = "0"
    server_log = open(os.path.join(workdir, "server.out"), "w")
    server = subprocess.Popen(
        command, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=server_log, stderr=subprocess.STDOUT
    )
    try:
        bench._wait_listening(server, port, _START_TIMEOUT)
        load_env = bench._env()
        load_env["PYTHONHASHSEED"] = "0"
        load = subprocess.Popen(
            [
                sys.executable, bench.LOADGEN,
                "--url", f"ws://{bench.LOOPBACK}:{port}/ocpp/",
                "--prefix", "CP",
                "--count", str(clients),
                "--ramp", "50",
                "--calls", str(calls),
                "--call-timeout", "300",
                "--result", os.path.join(workdir, "load.json"),
            ],
            env=load_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        ready = bench._read_tagged(load, "READY", 600.0)
        load.stdin.write(f"GO {time.monotonic()!r} inf\n")
        load.stdin.flush()
        bench._read_tagged(load, "RESULT", 3600.0)
        load.wait(60)
        with open(os.path.join(workdir, "load.json")) as figures:
            result = json.load(figures)
        server.send_signal(signal.SIGTERM)
        server.wait(600)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(60)
        server_log.close()
    with open(out, "rb") as profile:
        summary = _SUMMARY.search(profile.read())
    if summary is None:
        raise RuntimeError(f"callgrind wrote no summary for {kind} (see {workdir})")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(out, os.path.join(keep, f"{kind}-{calls}.callgrind"))
    shutil.rmtree(workdir, ignore_errors=True)
    errors = sum(ready["errors"].values()) + sum(result["errors"].values())
    return {"instructions": int(summary.group(1)), "calls": result["calls_total"], "errors": errors}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--servers", default="openocpp,autobahn-bare",
                        help="comma-separated, of " + ", ".join(bench.SERVERS + bench.EXTRA_SERVERS))
    parser.add_argument("--clients", type=int, default=10, help="charge points (10)")
    parser.add_argument("--calls", default="55,275",
                        help="calls per charge point of the two runs, FEW,MANY (55,275)")
    parser.add_argument("--server-command", help="the command of server external, with {port}")
    parser.add_argument("--openocpp-path",
                        help="the source tree the openocpp servers run (this one), e.g. a git archive of main")
    parser.add_argument("--keep", help="directory to keep the callgrind profiles of the longer runs in")
    parser.add_argument("--json-out", help="also write the figures to this file")
    options = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        parser.error("--servers: needs valgrind on the PATH")
    try:
        few, many = (int(n) for n in options.calls.split(","))
    except ValueError:
        parser.error("--calls: two numbers, FEW,MANY (e.g. 55,275)")
    if not 0 < few < many:
        parser.error("--calls: FEW,MANY with 0 < FEW < MANY")
    if few % len(MIX) or many % len(MIX):
        print(f"note: --calls not multiples of the mix's {len(MIX)} calls: the mixes differ", file=sys.stderr)
    if options.server_command:
        if "{port}" not in options.server_command:
            parser.error("--server-command needs {port} where the port goes")
        bench.EXTERNAL_COMMAND = options.server_command
    if options.openocpp_path:
        bench.OPENOCPP_PATH = os.path.abspath(options.openocpp_path)
    servers = [s for s in options.servers.split(",") if s]
    for kind in servers:
        if kind not in bench.SERVERS + bench.EXTRA_SERVERS:
            parser.error(f"--servers: unknown server {kind!r}")
        why = bench.available(kind)
        if why:
            parser.error(f"--servers: {kind} {why}")

    figures = []
    for kind in servers:
        short = count(kind, options.clients, few, None)
        long = count(kind, options.clients, many, options.keep)
        calls = long["calls"] - short["calls"]
        per_call = (long["instructions"] - short["instructions"]) / calls if calls > 0 else None
        row = {
            "benchmark": "centralsystem-instructions",
            "server": kind,
            "clients": options.clients,
            "calls_few": short["calls"],
            "calls_many": long["calls"],
            "instructions_few": short["instructions"],
            "instructions_many": long["instructions"],
            "instructions_per_call": None if per_call is None else round(per_call),
            "errors": short["errors"] + long["errors"],
        }
        figures.append(row)
        print(f"{kind:<20} {row['instructions_per_call']:>10} instructions/call "
              f"({calls} calls, {row['errors']} errors)", flush=True)
    bare = next((r for r in figures if r["server"] == "autobahn-bare"), None)
    if bare and bare["instructions_per_call"]:
        for row in figures:
            if row is not bare and row["instructions_per_call"]:
                print(f"{row['server']:<20} {row['instructions_per_call'] / bare['instructions_per_call']:.2f}x "
                      "autobahn-bare")
    if options.json_out:
        with open(options.json_out, "w") as out:
            for row in figures:
                out.write(json.dumps(row) + "\n")
    return 1 if any(r["errors"] for r in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
