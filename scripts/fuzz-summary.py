"""Totals of scripts/fuzz.sh's Schemathesis runs, from their NDJSON event logs: cases sent, check
failures and errors, and the statuses each operation answered (so a run that never reached a
2xx, a 429 or a 405 shows it). Exits 1 when a run failed a check or had an error.

  python fuzz-summary.py REPORT.ndjson...
"""
import collections
import json
import sys


def summarize(path: str) -> tuple[int, int, int]:
    cases = failures = errors = 0
    statuses: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    with open(path) as events:
        for line in events:
            event = json.loads(line)
            if "NonFatalError" in event or "FatalError" in event:
                errors += 1
            scenario = event.get("ScenarioFinished")
            if not scenario:
                continue
            recorder = scenario["recorder"]
            for case_id, interaction in recorder.get("interactions", {}).items():
                response = interaction.get("response")
                if response is None:
                    continue
                cases += 1
                request = interaction["request"]
                case = recorder["cases"].get(case_id, {}).get("value", {})
                template = case.get("path", request["uri"])
                statuses[f"{request['method']} {template}"][response["status_code"]] += 1
            for checks in recorder.get("checks", {}).values():
                failures += sum(1 for check in checks if check["status"] == "failure")
    print(f"{path}: {cases} cases, {failures} check failures, {errors} errors")
    for operation in sorted(statuses):
        counts = ", ".join(f"{status}x{n}" for status, n in sorted(statuses[operation].items()))
        print(f"  {operation}: {counts}")
    return cases, failures, errors


def main() -> int:
    totals = [0, 0, 0]
    for path in sys.argv[1:]:
        for i, value in enumerate(summarize(path)):
            totals[i] += value
    print(f"fuzz totals: {totals[0]} cases, {totals[1]} failures, {totals[2]} errors")
    return 1 if totals[1] or totals[2] else 0


if __name__ == "__main__":
    sys.exit(main())
