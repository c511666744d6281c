"""CloudWatch metrics as Embedded Metric Format lines on stdout: no API calls, no extra latency.
CloudWatch Logs turns each line into metrics in the `Loyalty` namespace, by stage."""
import json
import os
import sys
import time

NAMESPACE = "Loyalty"


def emit(values: dict, unit: str = "Count", **dimensions) -> None:
    """One EMF record: `values` maps metric names to numbers; `dimensions` add to the stage."""
    values = {name: value for name, value in values.items() if value is not None}
    if not values:
        return
    dims = {"Stage": os.environ.get("STAGE", "local"), **dimensions}
    record = {
        "_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [{
            "Namespace": NAMESPACE, "Dimensions": [sorted(dims)],
            "Metrics": [{"Name": name, "Unit": "Seconds" if name.endswith("Seconds") else unit} for name in values]}]},
        **dims, **values,
    }
    line = json.dumps(record, separators=(",", ":")) + "\n"
    target = os.environ.get("METRICS_FILE")  # the local stack: a file, so the terminal keeps its banner
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(line)
    else:
        sys.stdout.write(line)
