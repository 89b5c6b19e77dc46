#!/usr/bin/env python3
"""How sensitive is the regression gate at default settings? Not a test: it prints figures.

Runs `concbench WORKLOAD --format json` RERUNS times with default settings (plus any
extra flags given after `--`), then compares each run with the next (RERUNS - 1 pairs):

  identical  the pair as measured: a "slower" verdict is a false alarm;
  slowed     the second report with one model's wall times raised by exactly 10 %
             (every sample, and the summary figures with them), once per model:
             a "slower" verdict for that model is a catch.

With BASELINE_BUILD=1 each invocation instead measures the build beside itself
(`--baseline-build` of the same binary, in the same rounds), and the gate compares the
two sides of each invocation (RERUNS comparisons): drift between invocations no longer
enters, which is what that flag is for.

The goal (issue "Honest figures", section 6): a 10 % slowdown of any single model
caught in at least 19 of 20 comparisons, and at most 1 false alarm in 20 identical
reruns.

Usage:
  scripts/gate-sensitivity.py                    # cpu, 21 runs (about 4 minutes)
  scripts/gate-sensitivity.py io -- --requests 40   # io with extra flags
Environment: RERUNS (21), SLOWDOWN (0.10), CONCBENCH (a built binary; default: cargo
build --release), MAX_REGRESSION (passed to compare when set), REUSE (a folder of an
earlier invocation's run*.json: compare those instead of running again), PAIRS=all
(compare every ordered pair of invocations, not only each with the next: drift
between invocations far apart in time shows too), BASELINE_BUILD=1 (see above).
Only the built-in server on 127.0.0.1 is targeted.
"""

import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def concbench_binary():
    if os.environ.get("CONCBENCH"):
        return os.environ["CONCBENCH"]
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    return str(REPO / "target" / "release" / "concbench")


def verdicts(binary, baseline, current):
    """compare's verdict per model, read from its table: {model: verdict}."""
    args = [binary, "compare", str(baseline), str(current)]
    if os.environ.get("MAX_REGRESSION"):
        args += ["--max-regression", os.environ["MAX_REGRESSION"]]
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode not in (0, 3):
        sys.exit(f"compare failed ({out.returncode}): {out.stderr.strip()}")
    found = {}
    for line in out.stdout.splitlines():
        words = line.split()
        # A row: the model first, the verdict last (the table's default style).
        if len(words) >= 4 and words[0] in MODELS:
            found[words[0]] = words[-1]
    return found


MODELS = {
    "sequential", "threads", "async", "rayon", "processes", "spawn",
    "py-sequential", "py-threads", "py-asyncio", "py-processes",
}


def slowed(report, model, factor):
    """The report with `model`'s wall times multiplied by `factor`."""
    report = copy.deepcopy(report)
    for row in report["results"]:
        if row["strategy"] != model:
            continue
        wall = row["wall_s"]
        wall["samples"] = [s * factor for s in wall["samples"]]
        for key in ("median", "mean", "stddev", "min", "max"):
            wall[key] *= factor
    return report


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    workload = argv[0] if argv else "cpu"
    reruns = int(os.environ.get("RERUNS", "21"))
    factor = 1.0 + float(os.environ.get("SLOWDOWN", "0.10"))
    binary = concbench_binary()
    reuse = os.environ.get("REUSE")
    work = Path(reuse) if reuse else Path(tempfile.mkdtemp(prefix="gate-sensitivity-"))
    print(f"reports in {work}", file=sys.stderr)

    beside = os.environ.get("BASELINE_BUILD") == "1"
    reports, seconds = [], []
    if reuse:
        reruns = len([p for p in work.glob("run*.json") if "baseline-build" not in p.name])
        reports = [json.loads((work / f"run{i}.json").read_text()) for i in range(reruns)]
        seconds = [0.0]
    for i in range(0 if reuse else reruns):
        path = work / f"run{i}.json"
        started = time.monotonic()
        if beside:
            # The same build as its own baseline build; exit 3 is a false alarm, counted
            # below from the saved reports like every other verdict.
            args = [binary, workload, "--output", str(path), "--baseline-build", binary]
        else:
            args = [binary, workload, "--format", "json", "--no-save"]
        out = subprocess.run([*args, *extra], capture_output=True, text=True)
        seconds.append(time.monotonic() - started)
        if out.returncode not in ((0, 3) if beside else (0,)):
            sys.exit(f"run {i} failed ({out.returncode}): {out.stderr.strip()}")
        if not beside:
            path.write_text(out.stdout)
        reports.append(json.loads(path.read_text()))
        print(f"run {i + 1}/{reruns}: {seconds[-1]:.1f} s", file=sys.stderr)

    models = [row["strategy"] for row in reports[0]["results"]]
    alarms = {m: 0 for m in models}
    caught = {m: 0 for m in models}
    if beside:
        # (baseline file, current index): each invocation's two builds.
        pairs = [(work / f"run{i}-baseline-build.json", i) for i in range(reruns)]
    elif os.environ.get("PAIRS") == "all":
        pairs = [(work / f"run{a}.json", b) for a in range(reruns) for b in range(reruns) if a != b]
    else:
        pairs = [(work / f"run{a}.json", a + 1) for a in range(reruns - 1)]
    for baseline, b in pairs:
        for model, verdict in verdicts(binary, baseline, work / f"run{b}.json").items():
            alarms[model] += verdict.lower() == "slower"
        for model in models:
            path = work / f"slow{b}-{model}.json"
            path.write_text(json.dumps(slowed(reports[b], model, factor)))
            caught[model] += verdicts(binary, baseline, path).get(model, "").lower() == "slower"

    if beside:
        which = "each with its own baseline build, measured beside it"
    elif os.environ.get("PAIRS") == "all":
        which = "every ordered pair"
    else:
        which = "each with the next"
    print(f"{workload}: {reruns} invocations at default settings {' '.join(extra)}".rstrip())
    print(f"  compared: {which} ({len(pairs)} comparisons)")
    if not reuse:
        print(f"  time per invocation: median {sorted(seconds)[len(seconds) // 2]:.1f} s")
    print("  runs: fewest-most a model got in one invocation; drift: how far apart its")
    print("  invocation medians lay; identical: the ratio of medians of each pair compared")
    print(
        f"  {'model':<12} {'runs':>7} {'drift':>7} {'identical':>17} "
        f"{'false alarms':>13} {'10 % slowdown caught':>21}"
    )
    for model in models:
        runs = [len(row_of(r, model)["wall_s"]["samples"]) for r in reports]
        medians = [median(row_of(r, model)["wall_s"]["samples"]) for r in reports]
        changes = [
            median(row_of(reports[b], model)["wall_s"]["samples"])
            / median(row_of(json.loads(Path(a).read_text()), model)["wall_s"]["samples"])
            - 1
            for a, b in pairs
        ]
        print(
            f"  {model:<12} {min(runs):>3}-{max(runs):<3} {max(medians) / min(medians) - 1:>6.1%} "
            f"{min(changes):>+7.1%} … {max(changes):<+7.1%} "
            f"{alarms[model]:>6} / {len(pairs):<4} {caught[model]:>14} / {len(pairs)}"
        )


def row_of(report, model):
    """The report's row for `model`."""
    return next(row for row in report["results"] if row["strategy"] == model)


def median(samples):
    ordered = sorted(samples)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2

if __name__ == "__main__":
    main()
