#!/usr/bin/env python3
"""Runs the criterion benches once and prints per-call overhead as ratios to the floors.

    python3 benches/report.py            # full run (a few minutes)
    python3 benches/report.py --quick    # under a minute, noisier
"""
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CRITERION = os.path.join(HERE, "target", "criterion")

# case -> (floor it is compared with, goal as a ratio of that floor)
GOALS = {
    "botwatch_counted": ("floor_atomic_add", 2.0),
    "botwatch_timed": ("floor_clock_pair_quanta", 2.0),
    "botwatch_counted_timed": ("floor_clock_pair_quanta", None),
    "botwatch_breaker_closed": ("floor_atomic_add", 2.0),
    "botwatch_breaker_open": ("floor_atomic_add", None),
}


def run(quick):
    args = ["cargo", "bench", "--bench", "overhead", "--"]
    if quick:
        args += ["--warm-up-time", "0.3", "--measurement-time", "0.7", "--sample-size", "20"]
    else:
        args += ["--warm-up-time", "1", "--measurement-time", "3"]
    subprocess.run(args, cwd=HERE, check=True)


def estimate(group, case):
    path = os.path.join(CRITERION, group, case, "new", "estimates.json")
    with open(path) as f:
        data = json.load(f)
    return data["median"]["point_estimate"]


def table():
    groups = sorted(g for g in os.listdir(CRITERION) if g.startswith("calls_"))
    lines = []
    for group in groups:
        bare = estimate(group, "bare")
        cases = sorted(os.listdir(os.path.join(CRITERION, group)))
        cases = [c for c in cases if c != "report"]
        lines.append(f"\n{group.replace('_', ' ')}: bare call {bare:.2f} ns")
        lines.append(f"| case | ns/call | overhead ns | vs floor | goal |")
        lines.append(f"|---|---:|---:|---:|---|")
        overhead = {c: estimate(group, c) - bare for c in cases}
        for case in cases:
            if case == "bare":
                continue
            floor, goal = GOALS.get(case, (None, None))
            ratio = ""
            verdict = ""
            if floor and overhead.get(floor, 0) > 0:
                r = overhead[case] / overhead[floor]
                ratio = f"{r:.2f}x {floor.removeprefix('floor_')}"
                if goal:
                    verdict = f"<= {goal}x: {'met' if r <= goal else 'MISSED'}"
            lines.append(f"| {case} | {estimate(group, case):.2f} | {overhead[case]:.2f} | {ratio} | {verdict} |")
    return "\n".join(lines)


def main():
    quick = "--quick" in sys.argv
    if "--no-run" not in sys.argv:
        run(quick)
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(table())


if __name__ == "__main__":
    main()
