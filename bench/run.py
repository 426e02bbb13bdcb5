"""Build benchmark: how long `python -m gen build` takes, on the real catalog and on big synthetic ones.

    .venv/bin/python bench/run.py                       # what `make bench` runs
    .venv/bin/python bench/run.py --runs 15 --sizes 100,1000,3000,10000
    .venv/bin/python bench/run.py --sizes 10000 --profile   # + cProfile of one build per size

Measured (see bench/README.md):
  1. the real catalog (rules_src/ + monitoring.yaml): `python -m gen build --out <temp>` as a
     whole process, median of --runs runs (once with bytecode cached, once with gen/ and
     rules_src/ compiled on every start); next to it the same work in-process
     (gen.build.build() + gen.render.outdir.replace_dir, plus docs/alerts.md as the CLI does), and
     bare interpreter / import start-up;
  2. synthetic catalogs of --sizes alerts (bench/synthetic.py): the same in-process work with
     rules_src pointing at the generated folder, median of --synthetic-runs runs, with the time
     of each stage and per 1,000 alerts.

Everything is written under a temporary folder (never out/, never the source tree: bytecode
goes to a temporary PYTHONPYCACHEPREFIX), removed at the end. Each in-process measurement runs
in its own child process (this script with --worker), one after another, so nothing else of
the benchmark runs meanwhile and one size's garbage never weighs on the next. Next to every
wall time the CPU time is kept, and a fixed pure-Python loop is timed before each run: on a
shared or virtual machine these show when the machine, not the code, was slow.
Results: a table on stdout and bench/results.json. Targets (from the project's issue) are
reported, never asserted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results.json")

TARGET_CLI_S = 0.5  # `python -m gen build` of the real catalog, median wall time
TARGET_10K_S = 5.0  # 10,000 synthetic alerts: load + resolve + parse + lint + render + write
TARGET_SUITE_S = 20.0  # `python -m gen test`: promtool check rules + every alert's promtool cases
DEFAULT_SIZES = "100,1000,3000,10000"

# Stages of gen.build.build(), timed by wrapping the names gen.build looks up at call time
# (in the worker process only; gen/ itself is not touched).
STAGES = ("load_config", "load_catalog", "resolve", "analyze_rules", "run_checks", "render")


def _median(xs):
    return statistics.median(xs) if xs else None


def _summary(xs):
    return {"median_s": round(_median(xs), 4), "min_s": round(min(xs), 4), "max_s": round(max(xs), 4),
            "runs_s": [round(x, 4) for x in xs]}


# --------------------------------------------------------------------------- worker side


def _instrument():
    """Wrap gen.build's stage functions to accumulate their time into the returned dict."""
    import gen.build as gb

    spent: dict[str, float] = {}

    def wrap(name, fn):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - t0

        return timed

    for name in STAGES:
        if callable(getattr(gb, name, None)):
            setattr(gb, name, wrap(name, getattr(gb, name)))
    return spent


def _calibrate() -> float:
    """Seconds for a fixed pure-Python loop: how fast this machine runs Python right now.

    Taken before every run; its spread shows how much the machine's speed drifted (shared
    or virtual CPUs), which the build times inherit."""
    t0 = time.perf_counter()
    total = 0
    for i in range(300_000):
        total += i * i
    return time.perf_counter() - t0


def _build_runs(runs: int, config: str | None, rules_src: str, out: str, profile: bool):
    """Run build() (+ docs) + replace_dir `runs` times, after a first run reported apart (it
    compiles the catalog's modules unless their bytecode is cached already)."""
    import gen.build as gb
    from gen.render import outdir
    from gen.core.resolved import AlertRule

    spent = _instrument()
    cpu: list[float] = []  # CPU seconds of this process per run: wall >> cpu means it waited for a core
    # Since docs/alerts.md exists, `gen build` also renders it and writes it beside the
    # output folder; done here too (when this version of gen has it), as the CLI does.
    render_docs = getattr(gb, "render_docs", None)
    replace_files = getattr(outdir, "replace_files", None)
    with_docs = render_docs is not None and replace_files is not None
    docs_root = os.path.dirname(os.path.abspath(out))

    import gen.rules.loader as loader

    def once():
        spent.clear()
        # A CLI build loads the catalog once per process: drop what the previous run loaded
        # (gen.rules.loader keeps an unchanged folder's catalog for later calls in the same process).
        getattr(loader, "_LOADED", {}).clear()
        c0 = time.process_time()
        t0 = time.perf_counter()
        compiled, files = gb.build(config, rules_src)
        t1 = time.perf_counter()
        docs = render_docs(compiled) if with_docs else {}
        t2 = time.perf_counter()
        outdir.replace_dir(out, files)
        t3 = time.perf_counter()
        if with_docs:
            replace_files(docs_root, docs)
        t4 = time.perf_counter()
        cpu.append(time.process_time() - c0)
        stages = dict(spent)
        stages["other"] = (t1 - t0) - sum(v for k, v in spent.items())
        stages["render_docs"] = t2 - t1
        stages["replace_dir"] = t3 - t2
        stages["write_docs"] = t4 - t3
        rules = [r for rf in compiled.rule_files for g in rf.groups for r in g.rules]
        alerts = sum(1 for r in rules if isinstance(r, AlertRule))
        facts = {"alerts_built": alerts, "records_built": len(rules) - alerts, "warnings": len(compiled.warnings),
                 "files": len(files) + len(docs), "bytes_written": sum(len(b) for b in [*files.values(), *docs.values()]),
                 "with_docs": with_docs}
        return t4 - t0, t1 - t0, stages, facts

    first_total, _, _, facts = once()
    cpu.clear()
    totals, builds, stage_runs, calib = [], [], [], []
    for _ in range(runs):
        calib.append(_calibrate())
        total, b, stages, facts = once()
        totals.append(total)
        builds.append(b)
        stage_runs.append(stages)
    result = {
        "first_run_s": round(first_total, 4),
        "build_plus_write": _summary(totals),  # build() [+ render_docs] + replace_dir [+ docs file]
        "build_only_median_s": round(_median(builds), 4),
        "cpu_median_s": round(_median(cpu), 4),
        "calibration_ms": {"median": round(_median(calib) * 1000, 1), "min": round(min(calib) * 1000, 1),
                           "max": round(max(calib) * 1000, 1)},
        "stages_median_s": {k: round(_median([s.get(k, 0.0) for s in stage_runs]), 4) for k in stage_runs[0]},
        **facts,
    }
    if profile:
        import cProfile
        import io
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        compiled, files = gb.build(config, rules_src)
        docs = render_docs(compiled) if with_docs else {}
        outdir.replace_dir(out, files)
        if with_docs:
            replace_files(docs_root, docs)
        prof.disable()
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats("cumulative").print_stats(25)
        stats.sort_stats("tottime").print_stats(15)
        result["profile"] = buf.getvalue()
    return result


def _peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def worker(args) -> dict:
    tmp = args.tmp
    if args.worker == "real":
        from gen import upstream

        config = os.path.join(os.path.dirname(HERE), "monitoring.yaml")  # the repository's, as the CLI reads it
        result = _build_runs(args.runs, config, upstream.RULES, os.path.join(tmp, "out"), args.profile)
    else:
        sys.path.insert(0, HERE)
        from synthetic import write_catalog

        t0 = time.perf_counter()
        cat = write_catalog(os.path.join(tmp, "rules_src"), args.size)
        generate = time.perf_counter() - t0
        result = _build_runs(args.runs, cat["config"], cat["rules_src"], os.path.join(tmp, "out"), args.profile)
        result.update(size=args.size, catalog_alerts=cat["alerts"], catalog_records=cat["records"],
                      modules=cat["modules"], catalog_bytes=cat["bytes"], generate_s=round(generate, 3))
        med = result["build_plus_write"]["median_s"]
        result["per_1000_alerts_s"] = round(med * 1000 / cat["alerts"], 4)
    result["peak_rss_mb"] = _peak_rss_mb()
    import yaml

    result["yaml_libyaml"] = bool(getattr(yaml, "__with_libyaml__", False))
    return result


# --------------------------------------------------------------------------- parent side


def _env(pycache: str | None) -> dict:
    """The environment of a measured process.

    With `pycache` (a temp folder): bytecode is written and read there, so after the warm-up
    run nothing is compiled again and nothing is written into the source tree -- a developer's
    second `make build`. Without: PYTHONDONTWRITEBYTECODE=1 and no prefix, so gen/ and
    rules_src/ (no __pycache__ in the tree) are compiled from source on every start while the
    standard library and site-packages use the .pyc files installed with them -- a fresh
    checkout, and every run in an environment that sets PYTHONDONTWRITEBYTECODE."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)
    if pycache:
        env["PYTHONPYCACHEPREFIX"] = pycache
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _time_process(cmd: list[str], runs: int, env: dict, warmup: int = 1) -> tuple[list[float], str]:
    """Wall time of `cmd` run to completion, `runs` times after `warmup` untimed runs."""
    times, cpu, out = [], [], ""
    for i in range(warmup + runs):
        elapsed, used, out = _time_once(cmd, env)
        if i >= warmup:
            times.append(elapsed)
            cpu.append(used)
    return times, cpu, out


def _time_once(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """(wall, CPU of the process and its children, stdout) of one run of `cmd`."""
    import resource

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
    return elapsed, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), proc.stdout.strip()


def _time_interleaved(cmds: dict[str, tuple[list[str], dict]], runs: int) -> dict[str, tuple[list[float], list[float], str]]:
    """Like _time_process for several commands, taking turns (one warm-up each first): a
    machine that slows down for a while weighs on every command alike, not on one."""
    outs = {key: _time_once(cmd, env)[2] for key, (cmd, env) in cmds.items()}  # the warm-ups
    walls: dict[str, list[float]] = {key: [] for key in cmds}
    cpus: dict[str, list[float]] = {key: [] for key in cmds}
    for _ in range(runs):
        for key, (cmd, env) in cmds.items():
            elapsed, used, _ = _time_once(cmd, env)
            walls[key].append(elapsed)
            cpus[key].append(used)
    return {key: (walls[key], cpus[key], outs[key]) for key in cmds}


def _run_worker(kind: str, tmp: str, runs: int, env: dict, size: int = 0, profile: bool = False) -> dict:
    os.makedirs(tmp, exist_ok=True)
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", kind, "--tmp", tmp, "--runs", str(runs)]
    if size:
        cmd += ["--size", str(size)]
    if profile:
        cmd.append("--profile")
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"benchmark worker failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _loadavg() -> list[float] | None:
    try:
        with open("/proc/loadavg") as fh:
            return [float(x) for x in fh.read().split()[:3]]
    except OSError:
        return None


def _machine() -> dict:
    mem_total = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem_total = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        nproc = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())
    except (OSError, ValueError):
        nproc = os.cpu_count()
    cpu = None
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((l.split(":", 1)[1].strip() for l in fh if l.startswith("model name")), None)
    except OSError:
        pass
    return {
        "nproc": nproc,
        "mem_total_bytes": mem_total,
        "mem_total_gib": round(mem_total / 2**30, 1) if mem_total else None,
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "python_executable": os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(ROOT) else sys.executable,
    }


def _rel(cmd: list[str]) -> str:
    return " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=15, help="runs of each real-catalog measurement (default 15)")
    p.add_argument("--sizes", default=DEFAULT_SIZES, help=f"synthetic catalog sizes in alerts, comma-separated, '' for none (default {DEFAULT_SIZES})")
    p.add_argument("--synthetic-runs", type=int, default=5, help="runs per synthetic size (default 5)")
    p.add_argument("--suite-runs", type=int, default=5, help="runs of `python -m gen test`, the promtool suite (default 5; 0 skips)")
    p.add_argument("--profile", action="store_true", help="also cProfile one build per measurement and print the top functions")
    p.add_argument("--results", default=RESULTS, help="where to write the JSON results (default bench/results.json)")
    # internal: one in-process measurement in a child process
    p.add_argument("--worker", choices=("real", "synthetic"), help=argparse.SUPPRESS)
    p.add_argument("--tmp", help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args)))
        return 0

    if args.runs < 1 or args.synthetic_runs < 1 or args.suite_runs < 0:
        p.error("--runs and --synthetic-runs must be >= 1, --suite-runs >= 0")
    try:
        sizes = [int(s) for s in args.sizes.replace(" ", "").split(",") if s]
    except ValueError:
        p.error(f"--sizes: expected comma-separated integers, got {args.sizes!r}")

    machine = _machine()
    started = datetime.datetime.now(datetime.timezone.utc)
    print(f"gen build benchmark, {started:%Y-%m-%d %H:%M} UTC: {machine['nproc']} cores, "
          f"{machine['mem_total_gib']} GiB, Python {machine['python']}", flush=True)
    load = _loadavg()
    results_load = {"start": load}
    if load and load[0] > 0.5:
        print(f"  note: load average {load[0]} before starting: other work is running; times will be noisy "
              "(compare wall with cpu in the results)", flush=True)
    tmp = tempfile.mkdtemp(prefix="gen-bench-")
    py = sys.executable
    results: dict = {"date": started.isoformat(timespec="seconds"), "machine": machine, "loadavg": results_load,
                     "commands": {}, "targets": {}}
    try:
        # 1. the real catalog, whole process
        warm = _env(os.path.join(tmp, "pycache"))
        cold = _env(None)
        in_tree = [d for d in ("gen", "rules_src") if os.path.isdir(os.path.join(ROOT, d, "__pycache__"))]
        results["environment"] = {
            "default": "PYTHONPYCACHEPREFIX=$TMP/pycache, PYTHONDONTWRITEBYTECODE unset: bytecode cached after the warm-up run",
            "cli_build_no_bytecode": "PYTHONDONTWRITEBYTECODE=1: gen/ and rules_src/ compiled on every start",
            "in_tree_pycache": in_tree,  # if not empty, the no-bytecode row used those .pyc files
            "caller_PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE"),
        }
        cli_out = os.path.join(tmp, "cli", "out")
        build_cmd = [py, "-m", "gen", "build", "--out", cli_out]
        cmds = {
            "python_startup": ([py, "-c", "pass"], warm),
            "import_gen_cli": ([py, "-c", "import gen.cli"], warm),
            "cli_build": (build_cmd, warm),
            "cli_build_no_cache": (build_cmd + ["--no-cache"], warm),  # every dashboard rendered (a cold build)
            "cli_build_no_bytecode": (build_cmd, cold),
            # a fresh clone's first build: the cache folder empty (the schema check, attrs' methods and
            # promtool's verdict are made again), bytecode cached
            "cli_build_empty_cache": (["sh", "-c", 'rm -rf "$GEN_CACHE_DIR" && exec "$0" "$@"', *build_cmd],
                                      {**warm, "GEN_CACHE_DIR": os.path.join(tmp, "empty-cache")}),
        }
        real: dict = {}
        print(f"  {', '.join(cmds)}: {args.runs} runs each, taking turns ...", flush=True)
        for key, (times, cpu, out) in _time_interleaved(cmds, args.runs).items():
            cmd = cmds[key][0]
            real[key] = {**_summary(times), "cpu_median_s": round(_median(cpu), 4)}
            results["commands"][key] = _rel(cmd).replace(tmp, "$TMP")
            if key == "cli_build":
                real["cli_build"]["output"] = out.replace(os.path.relpath(tmp, ROOT), "$TMP")
        results["commands"]["cli_build_no_bytecode"] = "PYTHONDONTWRITEBYTECODE=1 " + results["commands"]["cli_build_no_bytecode"]
        print(f"  in-process build + write: {args.runs} runs ...", flush=True)
        real["in_process"] = _run_worker("real", os.path.join(tmp, "real"), args.runs, warm, profile=args.profile)
        results["commands"]["in_process"] = f"{_rel([py, __file__])} --worker real --runs {args.runs} --tmp $TMP"
        results["real_catalog"] = real

        # the promtool suite, whole process, on all CPUs and on one
        if args.suite_runs:
            suite: dict = {}
            for key, extra in (("gen_test", []), ("gen_test_one_job", ["--jobs", "1"])):
                cmd = [py, "-m", "gen", "test", *extra]
                print(f"  {key}: {args.suite_runs} runs ...", flush=True)
                times, cpu, _ = _time_process(cmd, args.suite_runs, warm)
                suite[key] = {**_summary(times), "cpu_median_s": round(_median(cpu), 4)}
                results["commands"][key] = _rel(cmd)
            results["promtool_suite"] = suite

        # 2. synthetic catalogs
        synth = []
        for size in sizes:
            print(f"  synthetic {size} alerts: {args.synthetic_runs} runs ...", flush=True)
            r = _run_worker("synthetic", os.path.join(tmp, f"synthetic-{size}"), args.synthetic_runs, warm, size, args.profile)
            synth.append(r)
            shutil.rmtree(os.path.join(tmp, f"synthetic-{size}"), ignore_errors=True)
        results["synthetic"] = synth
        results["commands"]["synthetic"] = (f"{_rel([py, __file__])} --worker synthetic --size N "
                                            f"--runs {args.synthetic_runs} --tmp $TMP")
        results["commands"]["bench"] = _rel([py, __file__] + (argv if argv is not None else sys.argv[1:]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    results_load["end"] = _loadavg()
    results["duration_s"] = round((datetime.datetime.now(datetime.timezone.utc) - started).total_seconds(), 1)

    # 3. targets
    cli_median = real["cli_build"]["median_s"]
    results["targets"]["cli_build_real_catalog"] = {"target_s": TARGET_CLI_S, "median_s": cli_median, "met": cli_median <= TARGET_CLI_S}
    # the same budget with every dashboard rendered: a build after a dashboard change, or on a fresh clone
    cold = real["cli_build_no_cache"]["median_s"]
    results["targets"]["cli_build_no_cache"] = {"target_s": TARGET_CLI_S, "median_s": cold, "met": cold <= TARGET_CLI_S}
    if "promtool_suite" in results:
        med = results["promtool_suite"]["gen_test"]["median_s"]
        results["targets"]["promtool_suite"] = {"target_s": TARGET_SUITE_S, "median_s": med, "met": med <= TARGET_SUITE_S}
    big = next((r for r in synth if r["size"] == 10000), None)
    results["targets"]["synthetic_10000_alerts"] = (
        {"target_s": TARGET_10K_S, "median_s": big["build_plus_write"]["median_s"], "met": big["build_plus_write"]["median_s"] <= TARGET_10K_S}
        if big else {"target_s": TARGET_10K_S, "median_s": None, "met": None, "note": "10000 not in --sizes"}
    )

    _print_table(results)
    profiles = {"real catalog": real["in_process"].pop("profile", None)}
    profiles.update({f"{r['size']} alerts": r.pop("profile", None) for r in synth})
    with open(args.results, "w", encoding="utf-8") as fh:
        json.dump(results, fh, indent=1)
        fh.write("\n")
    print(f"\nresults written to {os.path.relpath(args.results)}")
    for name, text in profiles.items():
        if text:
            print(f"\n--- cProfile, one build + write, {name} (sorted by cumulative time) ---\n{text}")
    return 0


def _print_table(results: dict) -> None:
    real = results["real_catalog"]
    ms = lambda s: f"{s * 1000:8.1f} ms"  # noqa: E731
    print("\nReal catalog (rules_src/)                         median        min        max   cpu median")
    rows = [
        ("python -c pass (interpreter start-up)", real["python_startup"]),
        ("python -c 'import gen.cli' (start-up + imports)", real["import_gen_cli"]),
        ("python -m gen build --out $TMP (whole process)", real["cli_build"]),
        ("  same, --no-cache (every dashboard rendered)", real["cli_build_no_cache"]),
        ("  same, gen/ + rules_src/ compiled each start", real["cli_build_no_bytecode"]),
        ("  same, cache empty (a fresh clone's 1st build)", real["cli_build_empty_cache"]),
        ("in-process build() + docs + replace_dir", {**real["in_process"]["build_plus_write"],
                                                     "cpu_median_s": real["in_process"]["cpu_median_s"]}),
    ]
    for label, s in rows:
        print(f"  {label:<47} {ms(s['median_s'])} {ms(s['min_s'])} {ms(s['max_s'])} {ms(s['cpu_median_s'])}")
    print(f"  ({real['cli_build']['output']})")
    for key, label in (("gen_test", "python -m gen test (promtool suite, all CPUs)"),
                       ("gen_test_one_job", "  same, --jobs 1")):
        if key in results.get("promtool_suite", {}):
            st = results["promtool_suite"][key]
            print(f"  {label:<47} {ms(st['median_s'])} {ms(st['min_s'])} {ms(st['max_s'])} {ms(st['cpu_median_s'])}")
    print(f"  calibration loop during the in-process runs: {real['in_process']['calibration_ms']['median']:.0f} ms median "
          f"(the same loop is timed before every synthetic run: column calib)")

    if results["synthetic"]:
        print("\nSynthetic catalogs: build() + docs + replace_dir, median of runs (stages: medians)")
        print(f"  {'alerts':>7} {'records':>7} {'files':>5} {'median':>9} {'cpu':>8} {'per 1k':>8} {'1st run':>9} "
              f"{'load':>7} {'resolve':>7} {'parse':>7} {'lint':>7} {'render':>7} {'docs':>7} {'write':>7} {'RSS MB':>7} {'calib':>6}")
        for r in results["synthetic"]:
            st = r["stages_median_s"]
            print(f"  {r['catalog_alerts']:>7} {r['catalog_records']:>7} {r['files']:>5} "
                  f"{r['build_plus_write']['median_s']:>8.3f}s {r['cpu_median_s']:>7.3f}s {r['per_1000_alerts_s']:>7.3f}s {r['first_run_s']:>8.3f}s "
                  f"{st.get('load_catalog', 0):>6.3f}s {st.get('resolve', 0):>6.3f}s {st.get('analyze_rules', 0):>6.3f}s "
                  f"{st.get('run_checks', 0):>6.3f}s {st.get('render', 0):>6.3f}s {st.get('render_docs', 0):>6.3f}s "
                  f"{st.get('replace_dir', 0) + st.get('write_docs', 0):>6.3f}s "
                  f"{r['peak_rss_mb']:>7.0f} {r['calibration_ms']['median']:>4.0f}ms")

    print(f"\nload average: start {results['loadavg']['start']}, end {results['loadavg']['end']}; "
          f"took {results['duration_s']} s")
    print("\nTargets")
    for name, t in results["targets"].items():
        verdict = "not measured" if t["met"] is None else ("MET" if t["met"] else "MISSED")
        got = "-" if t["median_s"] is None else f"{t['median_s']:.3f} s"
        print(f"  {name:<26} median {got:>9}  target <= {t['target_s']} s  {verdict}")


if __name__ == "__main__":
    sys.exit(main())
