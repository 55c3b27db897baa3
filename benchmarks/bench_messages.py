"""
Message-layer benchmark: validate, decode and encode MeterValues requests.

    python benchmarks/bench_messages.py [--count 100000]

Prints the time per phase for COUNT realistic MeterValues payloads (one meter
value with the four sampled values a charger typically reports).
"""

import argparse
import json
import time

from openocpp.messages import MeterValuesRequest, codec


def meter_values_payload(index: int) -> dict:
    """
    A realistic MeterValues.req payload, different for each C{index}.
    """
    return {
        "connectorId": 1 + index % 2,
        "transactionId": 1000 + index,
        "meterValue": [
            {
                "timestamp": "2026-11-25T08:00:%02d.000Z" % (index % 60),
                "sampledValue": [
                    {
                        "value": str(1000 + index),
                        "context": "Sample.Periodic",
                        "measurand": "Energy.Active.Import.Register",
                        "location": "Outlet",
                        "unit": "Wh",
                    },
                    {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"},
                    {"value": "16.2", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
                    {"value": "231.0", "measurand": "Voltage", "phase": "L1-N", "unit": "V"},
                ],
            }
        ],
    }


def run(count: int) -> dict:
    """
    Run the benchmark on C{count} payloads; return the figures in seconds.
    """
    texts = [json.dumps(meter_values_payload(i)) for i in range(count)]
    payloads = [json.loads(t) for t in texts]

    started = time.perf_counter()
    for payload in payloads:
        codec.validate(MeterValuesRequest, payload)
    validated = time.perf_counter()
    messages = [codec.decode(MeterValuesRequest, p) for p in payloads]
    decoded = time.perf_counter()
    for message in messages:
        codec.encode(message)
    encoded = time.perf_counter()
    for text in texts:
        codec.decode(MeterValuesRequest, json.loads(text))
    parsed = time.perf_counter()
    return {
        "count": count,
        "validate_s": validated - started,
        "decode_s": decoded - validated,
        "encode_s": encoded - decoded,
        "parse_and_decode_s": parsed - encoded,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--count", type=int, default=100_000)
    figures = run(parser.parse_args().count)
    count = figures["count"]
    print(f"MeterValues.req x {count:,} (4 sampled values each)")
    for phase in ("validate", "decode", "encode", "parse_and_decode"):
        seconds = figures[f"{phase}_s"]
        print(
            f"  {phase:<18} {seconds:7.3f} s  {seconds / count * 1e6:7.2f} us/msg"
            f"  {count / seconds:10,.0f} msg/s"
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
