"""
Run every benchmark and print its figures:

    python benchmarks/run.py [--quick]

Each benchmark is also runnable on its own (see its module docstring).
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

#: (script, arguments, quick arguments)
BENCHMARKS = [
    ("bench_messages.py", [], ["--count", "10000"]),
    ("bench_rpc.py", [], ["--quick"]),
    ("bench_centralsystem.py", [], ["--quick"]),
    ("bench_composite.py", [], ["--calls", "200"]),
    ("bench_smartcharging.py", [], ["--quick"]),
    ("bench_simulator.py", [], ["--quick"]),
    ("bench_stalls.py", [], ["--charge-points", "200", "--duration", "5", "--warmup", "1"]),
]


def main() -> int:
    parser = argparse.ArgumentParser(description="Run openocpp's benchmarks.")
    parser.add_argument("--quick", action="store_true", help="small runs, for a smoke test")
    quick = parser.parse_args().quick
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.dirname(HERE), env.get("PYTHONPATH")]))
    status = 0
    for script, arguments, quick_arguments in BENCHMARKS:
        print(f"== {script}", flush=True)
        command = [sys.executable, os.path.join(HERE, script)]
        command += quick_arguments if quick else arguments
        status |= subprocess.call(command, env=env)
    return status


if __name__ == "__main__":
    sys.exit(main())
