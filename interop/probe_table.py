"""
The probe's answers as a Markdown table, for docs/interop.md:

    python interop/ocpp_centralsystem.py --port 9000 --exit-after-probe > probe.jsonl
    python interop/probe_table.py < probe.jsonl

Reads the JSON lines of C{ocpp_centralsystem.py} on standard input and
prints one row per probe call (its profile, action, case, and the answer:
the CALLRESULT's status or payload, or the CALLERROR's code), then the
summary and the requests the charge point sent meanwhile.
"""

import json
import sys

try:
    from openocpp.messages.registry import ACTIONS
except ImportError:  # without openocpp installed: no profile column values
    ACTIONS = {}


def answer(outcome: dict) -> str:
    """
    @return: a probe outcome in a few words.
    """
    if "invalid" in outcome:
        return f"invalid CALLRESULT: {outcome['invalid']}"
    if "error" in outcome:
        return f"CALLERROR {outcome['error']}"
    if "result" in outcome:
        result = outcome["result"]
        if set(result) == {"status"}:
            return result["status"]
        text = json.dumps(result, sort_keys=True)
        return f"`{text}`" if len(text) <= 90 else f"`{text[:87]}...`"
    return ", ".join(f"{key}: {value}" for key, value in outcome.items())


def main(lines) -> None:
    """
    Print the table of the probe lines in C{lines}.
    """
    events = [json.loads(line) for line in lines if line.strip().startswith("{")]
    print("| profile | action | case | answer |")
    print("| --- | --- | --- | --- |")
    for event in events:
        if event.get("event") == "probe":
            spec = ACTIONS.get(event["action"])
            profile = spec.profile if spec is not None else ""
            print(f"| {profile} | {event['action']} | {event['case']} | {answer(event['outcome'])} |")
    for event in events:
        if event.get("event") == "summary":
            fields = ", ".join(
                f"{name} {event[name]}"
                for name in ("calls", "results", "errors", "invalid", "timeouts", "closed", "seconds")
                if name in event
            )
            print(f"\nSummary: {fields}.")
    sent = [
        f"{event['action']}" + (f" {event['request']['status']}" if "status" in event["request"] else "")
        for event in events
        if event.get("event") == "received"
    ]
    print("\nThe charge point sent, in order: " + ", ".join(sent) + ".")


if __name__ == "__main__":
    main(sys.stdin)
