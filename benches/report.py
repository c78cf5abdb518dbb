#!/usr/bin/env python3
"""Runs every benchmark once and prints one report of ratios measured in that run.

    python3 benches/report.py            # full run (about 10 minutes on 2 cores)
    python3 benches/report.py --quick    # about 30 s once built, noisier
    python3 benches/report.py --no-run   # only print the last results

Per-call overhead is the case's time minus a bare #[inline(never)] function's, and each
ratio divides two overheads measured in the same run.
"""
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CRITERION = os.path.join(HERE, "target", "criterion")

# case -> (floor it is compared with, goal as a ratio of that floor)
FLOOR_GOALS = {
    "botwatch_counted": ("floor_atomic_add", 2.0),
    "botwatch_timed": ("floor_clock_pair_quanta", 2.0),
    "botwatch_counted_timed": ("floor_clock_pair_quanta", None),
    "botwatch_breaker_closed": ("floor_atomic_add", 2.0),
    "botwatch_breaker_open": ("floor_atomic_add", None),
    "botwatch_breaker_closed_no_latency": ("floor_atomic_add", 2.0),
    "botwatch_counted_two_labels": ("floor_atomic_add", 6.0),
}

# (case, botwatch case it is compared with, goal as a ratio of that case's overhead)
RELATIVE_GOALS = {
    "botwatch_counted_timed_breaker": ("botwatch_timed", 1.3),
    "botwatch_counted_in_flight": ("botwatch_counted", 3.0),
    "botwatch_breaker_per_key": ("botwatch_breaker_closed", 4.0),
    "botwatch_timed_one_label": ("botwatch_timed", 1.3),
    "botwatch_gauge_set": ("floor_atomic_store", 2.0),
    "botwatch_counter_add": ("floor_atomic_add", 3.0),
    "botwatch_counter_increment": ("floor_atomic_add", 3.0),
    # #[timed]'s record without its clock: a bucket scan and two atomic adds.
    "botwatch_histogram_record": ("floor_histogram_record", 1.5),
}

# (peer, botwatch case doing the same job, goal: peer overhead / botwatch overhead >= goal)
PEERS = [
    ("autometrics", "botwatch_counted_timed", 30.0),
    ("autometrics_track_concurrency", "botwatch_counted_timed", 30.0),
    ("metered_hit_error_time", "botwatch_counted_timed", 1.0),
    ("metrics_counter_histogram_lookup", "botwatch_counted_timed", None),
    ("metrics_counter_histogram_cached", "botwatch_counted_timed", None),
    ("failsafe_closed", "botwatch_breaker_closed", None),
    ("recloser_closed", "botwatch_breaker_closed", None),
    ("metrics_counter_two_labels", "botwatch_counted_two_labels", 10.0),
    ("metrics_gauge_label_set", "botwatch_gauge_labelled_set", 10.0),
]


def cargo_bench(bench, quick, extra=()):
    args = ["cargo", "bench", "--bench", bench, "--"]
    if quick:
        args += ["--warm-up-time", "0.1", "--measurement-time", "0.3", "--sample-size", "10"]
    else:
        args += ["--warm-up-time", "1", "--measurement-time", "3"]
    args += list(extra)
    subprocess.run(args, cwd=HERE, check=True)


def estimate(group, case):
    path = os.path.join(CRITERION, group, case, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def call_tables():
    lines = []
    groups = sorted(g for g in os.listdir(CRITERION) if g.startswith("calls_"))
    for group in groups:
        bare = estimate(group, "bare")
        cases = sorted(c for c in os.listdir(os.path.join(CRITERION, group)) if c != "report")
        overhead = {c: estimate(group, c) - bare for c in cases}
        lines.append(f"\n### {group.replace('_', ' ')} (bare call {bare:.2f} ns)\n")
        lines.append("| case | ns/call | overhead ns | ratio | goal |")
        lines.append("|---|---:|---:|---|---|")
        for case in cases:
            if case == "bare":
                continue
            ratio, verdict = "", ""
            if case in FLOOR_GOALS:
                floor, goal = FLOOR_GOALS[case]
                r = overhead[case] / max(overhead[floor], 1e-9)
                ratio = f"{r:.2f}x {floor.removeprefix('floor_')}"
                if goal:
                    verdict = f"<= {goal}x: {'met' if r <= goal else 'MISSED'}"
            if case in RELATIVE_GOALS:
                other, goal = RELATIVE_GOALS[case]
                if " - " in other:
                    a, b = other.split(" - ")
                    base = overhead[a] - overhead[b]
                else:
                    base = overhead[other]
                r = overhead[case] / max(base, 1e-9)
                ratio = f"{r:.2f}x {other}"
                verdict = f"<= {goal}x: {'met' if r <= goal else 'MISSED'}"
            for peer, ours, goal in PEERS:
                if case == peer:
                    r = overhead[peer] / max(overhead[ours], 1e-9)
                    ratio = f"{r:.1f}x {ours}"
                    if goal:
                        verdict = f">= {goal}x: {'met' if r >= goal else 'MISSED'}"
            lines.append(f"| {case} | {estimate(group, case):.2f} | {overhead[case]:.2f} | {ratio} | {verdict} |")
    return "\n".join(lines)


def simple_table(group, unit_divisor, unit, title):
    path = os.path.join(CRITERION, group)
    if not os.path.isdir(path):
        return ""
    lines = [f"\n### {title}\n", f"| case | {unit} |", "|---|---:|"]
    cases = [c for c in os.listdir(path) if c != "report"]
    cases.sort(key=lambda c: (len(c), c))
    for case in cases:
        lines.append(f"| {case} | {estimate(group, case) / unit_divisor:.3f} |")
    return "\n".join(lines)


def compile_cost():
    """Seconds to `cargo build` a crate of 200 functions with and without the attributes."""
    root = os.path.join(HERE, "target", "compile-cost")
    target = os.path.join(root, "target")
    runtime = os.path.join(HERE, "..", "runtime")
    results = {}
    for variant in ["without", "with"]:
        crate = os.path.join(root, variant)
        os.makedirs(os.path.join(crate, "src"), exist_ok=True)
        with open(os.path.join(crate, "Cargo.toml"), "w") as f:
            f.write(f'[package]\nname = "cost-{variant}"\nversion = "0.0.0"\nedition = "2021"\n\n'
                    f'[dependencies]\nbotwatch = {{ path = "{runtime}" }}\n\n[workspace]\n')
        body = ["fn main() {"] + [f"    let _ = f{i}({i});" for i in range(200)] + ["}"]
        for i in range(200):
            attrs = "#[botwatch::counted]\n#[botwatch::timed]\n" if variant == "with" else ""
            body.append(f"{attrs}fn f{i}(x: u64) -> Result<u64, String> {{\n    if x == 7 {{ return Err(\"seven\".into()) }}\n    Ok(x * 2)\n}}")
        with open(os.path.join(crate, "src", "main.rs"), "w") as f:
            f.write("\n".join(body) + "\n")
        env = dict(os.environ, CARGO_TARGET_DIR=target)
        subprocess.run(["cargo", "build", "-q"], cwd=crate, env=env, check=True)  # dependencies
        times = []
        for _ in range(3):
            os.utime(os.path.join(crate, "src", "main.rs"))
            started = time.monotonic()
            subprocess.run(["cargo", "build", "-q"], cwd=crate, env=env, check=True)
            times.append(time.monotonic() - started)
        results[variant] = statistics.median(times)
    return (f"\n### Compile cost: `cargo build` (debug) of 200 functions\n\n"
            f"| variant | seconds |\n|---|---:|\n"
            f"| plain functions | {results['without']:.2f} |\n"
            f"| with #[counted] #[timed] | {results['with']:.2f} |\n"
            f"| ratio | {results['with'] / results['without']:.2f}x |")


def main():
    quick = "--quick" in sys.argv
    if "--no-run" not in sys.argv:
        cargo_bench("overhead", quick)
        cargo_bench("render", quick)
        cargo_bench("live", quick)
        cargo_bench("rules", quick)
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(call_tables())
    print(simple_table("render_metrics", 1e6, "ms", "/metrics render (botwatch's series) by annotated functions"))
    print(simple_table("live_snapshot_json", 1e6, "ms", "Live page: one /snapshot.json by annotated functions"))
    print(simple_table("render_rules", 1e6, "ms", "Alert rules render by annotated functions"))
    print(simple_table("render_declared", 1e6, "ms", "/metrics render of 1,000 declared metrics"))
    print(simple_table("render_labelled", 1e6, "ms", "/metrics render of 100 functions x 100 per-call label sets (goal <= 10 ms)"))
    print(simple_table("render_dashboard", 1e6, "ms", "Grafana dashboard render by annotated functions (counted + timed each)"))
    print(simple_table("build_helper", 1e6, "ms", "Build helper scan"))
    if "--no-compile" not in sys.argv and not quick:
        print(compile_cost())


if __name__ == "__main__":
    main()
