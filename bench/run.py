#!/usr/bin/env python3
"""foothold's benchmarks: each comparison runs foothold and its peer on the same input, in
turns (A B A B ...), several times, and reports medians of wall time, CPU time and peak RSS.

    python3 bench/run.py [--runs N] [--only NAME ...] [--out bench/RESULTS.md]

It builds foothold in release mode and the peers it needs (evtx_dump, from crates.io, into
target/bench-tools), builds its inputs under target/bench-data, prints a markdown table and
writes it to --out. Figures are whole-process figures from wait4(2): wall clock, user+sys
CPU, and the child's peak resident set.
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
TOOLS = ROOT / "target" / "bench-tools"
DATA = ROOT / "target" / "bench-data"
FOOTHOLD = ROOT / "target" / "release" / "foothold"
EVTX_DUMP = TOOLS / "bin" / "evtx_dump"
EVTX_VERSION = "0.15.1"
DUCKDB_CLI_VERSION = "1.5.6"
DUCKDB = TOOLS / "py" / "duckdb_cli" / "duckdb"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


GNU_TIME = "/usr/bin/time"


def run_once(argv, stdout_path=os.devnull):
    """Runs argv with stdout to a file; returns (wall s, cpu s, peak RSS KiB, exit code).

    CPU time and peak RSS come from GNU time (`/usr/bin/time -f`), which measures the command
    alone (a child forked from this Python process would count Python's own memory as its
    peak); wall time is read here with a monotonic clock around it, since GNU time prints it
    in hundredths of a second only (the same few milliseconds of GNU time's own start are in
    every command's figure)."""
    import tempfile

    with tempfile.NamedTemporaryFile("r") as report, open(stdout_path, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.run(
            [GNU_TIME, "-q", "-f", "%e %U %S %M %x", "-o", report.name] + [str(a) for a in argv],
            stdout=out, stderr=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - started
        fields = report.read().split()
    user, system, rss, code = float(fields[1]), float(fields[2]), int(fields[3]), int(fields[4])
    if proc.returncode != code and code == 0:
        code = proc.returncode
    return wall, user + system, rss, code


def measure(commands, runs):
    """commands: {label: argv}. Runs them in turns; returns {label: dict of medians}."""
    samples = {label: [] for label in commands}
    for label, argv in commands.items():  # warm-up, not counted
        run_once(argv)
    for _ in range(runs):
        for label, argv in commands.items():
            wall, cpu, rss, code = run_once(argv)
            if code not in (0, 1):
                raise SystemExit(f"{label} failed with exit code {code}: {' '.join(map(str, argv))}")
            samples[label].append((wall, cpu, rss))
    result = {}
    for label, rows in samples.items():
        result[label] = {
            "wall": statistics.median(r[0] for r in rows),
            "cpu": statistics.median(r[1] for r in rows),
            "rss": statistics.median(r[2] for r in rows),
            "wall_min": min(r[0] for r in rows),
            "wall_max": max(r[0] for r in rows),
        }
    return result


def build():
    log("building foothold (release)")
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)


def need_evtx_dump():
    if EVTX_DUMP.exists():
        return
    log(f"installing evtx_dump {EVTX_VERSION} into {TOOLS}")
    subprocess.run(
        ["cargo", "install", "evtx", "--version", EVTX_VERSION, "--locked", "--root", str(TOOLS), "--quiet"],
        check=True,
    )


def need_duckdb():
    if DUCKDB.exists():
        return
    log(f"installing the duckdb CLI {DUCKDB_CLI_VERSION} (PyPI duckdb-cli) into {TOOLS / 'py'}")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(TOOLS / "py"),
         f"duckdb-cli=={DUCKDB_CLI_VERSION}"],
        check=True,
    )


def generated(events, layout):
    """A stream written by `foothold generate` (seed 1, 200 hosts, one day)."""
    DATA.mkdir(parents=True, exist_ok=True)
    out = DATA / f"generated-{events}-{layout}.ndjson"
    if not out.exists():
        log(f"generating {out.name}")
        with open(out, "wb") as f:
            subprocess.run(
                [str(FOOTHOLD), "generate", "--events", str(events), "--layout", layout, "--seed", "1"],
                stdout=f, check=True,
            )
    return out


def ns_of(text):
    """Nanoseconds since the epoch of foothold's `...T..:..:..fffffffZ` times."""
    import datetime

    whole, frac = text.rstrip("Z").split(".")
    dt = datetime.datetime.fromisoformat(whole).replace(tzinfo=datetime.timezone.utc)
    return int(dt.timestamp()) * 1_000_000_000 + int(frac.ljust(9, "0")[:9])


def same_rows(foothold_json, duckdb_json):
    """foothold's NDJSON rows against the SQL's: every column, in order."""
    import json

    ours = [json.loads(line) for line in foothold_json.splitlines() if line.strip()]
    theirs = [json.loads(line) for line in duckdb_json.splitlines() if line.strip()]
    if len(ours) != len(theirs):
        return False, f"{len(ours)} rows from foothold, {len(theirs)} from DuckDB"
    for i, (a, b) in enumerate(zip(ours, theirs)):
        mine = dict(a)
        mine["time_generated_ns"] = ns_of(mine.pop("time_generated"))
        mine["last_seen_ns"] = ns_of(mine.pop("last_seen"))
        if mine != b:
            return False, f"row {i} differs:\n  foothold {mine}\n  duckdb   {b}"
    return True, f"{len(ours)} rows equal"


def shared_evtx_files():
    files = sorted(p for p in (SHARED / "data").rglob("*.evtx"))
    if not files:
        raise SystemExit(f"no EVTX files under {SHARED / 'data'}")
    return files


def dense_evtx(target_mb):
    """One large EVTX made of the shared files' chunks, by the shared tool."""
    DATA.mkdir(parents=True, exist_ok=True)
    out = DATA / f"dense-{target_mb}mb.evtx"
    if not out.exists():
        log(f"building {out.name} with ../shared/tools/make_dense_evtx.py")
        subprocess.run(
            [sys.executable, str(SHARED / "tools" / "make_dense_evtx.py"), str(out), str(target_mb)]
            + [str(f) for f in shared_evtx_files()],
            check=True,
        )
    return out


def count_records(path):
    """Records in an EVTX file, as evtx_dump counts them (lines of jsonl)."""
    proc = subprocess.run([str(EVTX_DUMP), "-t", "1", "-o", "jsonl", str(path)], capture_output=True, check=True)
    return proc.stdout.count(b"\n")


def fmt_row(name, size, events, label, m, peer_label=None, peer=None):
    ratio = f"{m['wall'] / peer['wall']:.2f}" if peer else ""
    shown = f"{size / 1e6:.1f} MB" if size else "-"
    rate = f"{size / m['wall'] / 1e6:.0f} MB/s, " if size else ""
    return (
        f"| {name} | {shown} | {events:,} | {label} | {m['wall']:.3f} s "
        f"({m['wall_min']:.3f}-{m['wall_max']:.3f}) | {m['cpu']:.3f} s | {m['rss'] / 1024:.1f} MiB "
        f"| {rate}{events / m['wall'] / 1e6:.2f} M ev/s | {ratio} |"
    )


HEADER = (
    "| input | bytes | events | command | wall (median, min-max) | CPU | peak RSS | throughput | ratio to peer |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def bench_evtx(runs, threads_list):
    """foothold hunt vs evtx_dump -o jsonl on the same EVTX, same thread count."""
    need_evtx_dump()
    rows = []
    dense = dense_evtx(300)
    events = count_records(dense)
    size = dense.stat().st_size
    for threads in threads_list:
        commands = {
            f"foothold hunt -j{threads}": [str(FOOTHOLD), "hunt", "-j", str(threads), "--format", "json", str(dense)],
            f"evtx_dump -t{threads} -o jsonl": [str(EVTX_DUMP), "-t", str(threads), "-o", "jsonl", str(dense)],
        }
        log(f"EVTX dense, {threads} thread(s)")
        m = measure(commands, runs)
        (a, ma), (b, mb) = list(m.items())
        rows.append(fmt_row(dense.name, size, events, a, ma, b, mb))
        rows.append(fmt_row(dense.name, size, events, b, mb))
    # The shared files as they are: many small files, one process each for both tools.
    files = shared_evtx_files()
    size = sum(f.stat().st_size for f in files)
    events = sum(count_records(f) for f in files)
    listing = DATA / "shared-evtx.list"
    DATA.mkdir(parents=True, exist_ok=True)
    listing.write_text("\n".join(str(f) for f in files) + "\n")
    for threads in threads_list:
        loop = 'while IFS= read -r f; do "$0" "$@" "$f" || exit 1; done < ' + str(listing)
        commands = {
            f"foothold hunt -j{threads} (per file)": ["sh", "-c", loop, str(FOOTHOLD), "hunt", "-j", str(threads), "--format", "json"],
            f"evtx_dump -t{threads} -o jsonl (per file)": ["sh", "-c", loop, str(EVTX_DUMP), "-t", str(threads), "-o", "jsonl"],
        }
        log(f"EVTX shared files one by one, {threads} thread(s)")
        m = measure(commands, runs)
        (a, ma), (b, mb) = list(m.items())
        rows.append(fmt_row(f"{len(files)} shared .evtx", size, events, a, ma, b, mb))
        rows.append(fmt_row(f"{len(files)} shared .evtx", size, events, b, mb))
        commands = {f"foothold hunt -j{threads} (all files, one run)": [str(FOOTHOLD), "hunt", "-j", str(threads), "--format", "json"] + [str(f) for f in files]}
        m = measure(commands, runs)
        for label, mm in m.items():
            rows.append(fmt_row(f"{len(files)} shared .evtx", size, events, label, mm))
    return rows


def run_pipe(producer, consumer):
    """Runs `producer | consumer`; returns the consumer's (wall s, cpu s, peak RSS KiB)."""
    import tempfile

    with tempfile.NamedTemporaryFile("r") as report:
        gen = subprocess.Popen(producer, stdout=subprocess.PIPE)
        with open(os.devnull, "wb") as null:
            proc = subprocess.Popen(
                [GNU_TIME, "-q", "-f", "%e %U %S %M %x", "-o", report.name] + consumer,
                stdin=gen.stdout, stdout=null, stderr=subprocess.DEVNULL,
            )
        gen.stdout.close()
        proc.wait()
        gen.wait()
        fields = report.read().split()
    if int(fields[4]) != 0:
        raise SystemExit(f"{' '.join(consumer)} failed")
    return float(fields[0]), float(fields[1]) + float(fields[2]), int(fields[3])


def bench_watch_memory(runs, threads_list):
    """`foothold watch` on generated streams spanning five days: peak RSS against length."""
    rows = []
    for events in (1_000_000, 10_000_000):
        producer = [str(FOOTHOLD), "generate", "--events", str(events), "--span", "5d", "--hosts", "200"]
        consumer = [str(FOOTHOLD), "watch", "--idle-flush", "1h"]
        log(f"watch memory, {events:,} events")
        samples = [run_pipe(producer, consumer) for _ in range(max(1, runs // 2))]
        m = {
            "wall": statistics.median(s[0] for s in samples),
            "cpu": statistics.median(s[1] for s in samples),
            "rss": max(s[2] for s in samples),
            "wall_min": min(s[0] for s in samples),
            "wall_max": max(s[0] for s in samples),
        }
        rows.append(fmt_row(f"generated stream, 5 days", 0, events, "foothold watch (stdin, from foothold generate)", m))
    return rows


def bench_ndjson(runs, threads_list):
    """foothold hunt vs the seed's KQL in DuckDB SQL, and the floors (cat, a newline count),
    on the same generated NDJSON; and foothold on the ECS layout of the same events."""
    need_duckdb()
    events = 1_000_000
    normalized = generated(events, "normalized")
    ecs = generated(events, "ecs")
    sql = ROOT / "bench" / "seed.sql"
    env_input = dict(os.environ, FOOTHOLD_INPUT=str(normalized))

    def duckdb(threads):
        return ["env", f"FOOTHOLD_INPUT={normalized}", str(DUCKDB), "-c", f"SET threads={threads};", "-c", f".read {sql}"]

    # Correctness first: DuckDB's rows must equal foothold's.
    ours = subprocess.run([str(FOOTHOLD), "hunt", "--format", "json", str(normalized)], capture_output=True, check=True)
    theirs = subprocess.run([str(DUCKDB), "-c", f".read {sql}"], capture_output=True, check=True, env=env_input)
    equal, detail = same_rows(ours.stdout.decode(), theirs.stdout.decode())
    log(f"DuckDB vs foothold: {detail}")
    rows = [f"| DuckDB's rows equal foothold's | | | {'yes' if equal else 'NO'}: {detail} | | | | | |"]
    nsize = normalized.stat().st_size
    esize = ecs.stat().st_size
    for threads in threads_list:
        label = f"foothold hunt -j{threads}"
        commands = {
            label: [str(FOOTHOLD), "hunt", "-j", str(threads), "--format", "json", str(normalized)],
            f"duckdb (threads={threads}), load + query": duckdb(threads),
            "cat > /dev/null": ["cat", str(normalized)],
            "wc -l": ["wc", "-l", str(normalized)],
            f"{label} on ECS": [str(FOOTHOLD), "hunt", "-j", str(threads), "--format", "json", str(ecs)],
        }
        log(f"NDJSON, {threads} thread(s)")
        m = measure(commands, runs)
        duck = m[f"duckdb (threads={threads}), load + query"]
        for name, mm in m.items():
            size = esize if name.endswith("on ECS") else nsize
            peer = None if name.startswith("duckdb") else duck
            rows.append(fmt_row(("ECS, " if size == esize else "normalized, ") + f"{events:,} events", size, events, name, mm, "duckdb", peer))
    return rows


def records_of(paths):
    """How many records foothold reads in these inputs (from --stats)."""
    out = subprocess.run([str(FOOTHOLD), "hunt", "--stats", "--format", "json"] + [str(p) for p in paths],
                         capture_output=True, check=True)
    for line in out.stderr.decode().splitlines():
        if line.strip().startswith("records"):
            return int(line.split()[1])
    return 0


def bench_scaling(runs, threads_list):
    """foothold on many files at once, by thread count (ratio to one thread): four generated
    NDJSON files, and the OTRF zip archives of ../shared/data/bench (about 850 MB unpacked)."""
    DATA.mkdir(parents=True, exist_ok=True)
    parts = []
    for seed in range(1, 5):
        out = DATA / f"generated-250000-seed{seed}.ndjson"
        if not out.exists():
            with open(out, "wb") as f:
                subprocess.run([str(FOOTHOLD), "generate", "--events", "250000", "--seed", str(seed)], stdout=f, check=True)
        parts.append(out)
    zips = sorted((SHARED / "data" / "bench").glob("*.zip"))
    rows = []
    for name, paths in (("4 generated NDJSON files", parts), (f"{len(zips)} OTRF .zip archives", zips)):
        size = sum(p.stat().st_size for p in paths)
        events = records_of(paths)
        commands = {f"foothold hunt -j{t}": [str(FOOTHOLD), "hunt", "-j", str(t), "--format", "json"] + [str(p) for p in paths]
                    for t in threads_list}
        log(f"scaling: {name}")
        m = measure(commands, runs)
        base = m[f"foothold hunt -j{threads_list[0]}"]
        for label, mm in m.items():
            rows.append(fmt_row(name, size, events, label, mm, "-j1", None if mm is base else base))
    return rows


def bench_hunt_memory(runs, threads_list):
    """`foothold hunt` on 1 and 5 million events in time order: peak RSS of the bounded pass
    against the length of the input, and against holding every kept row (`--unordered`)."""
    rows = []
    threads = max(threads_list)
    for events in (1_000_000, 5_000_000):
        path = generated(events, "normalized")
        size = path.stat().st_size
        commands = {
            f"foothold hunt -j{threads}": [str(FOOTHOLD), "hunt", "-j", str(threads), "--format", "json", str(path)],
            f"foothold hunt -j{threads} --unordered": [
                str(FOOTHOLD), "hunt", "-j", str(threads), "--unordered", "--format", "json", str(path)],
        }
        log(f"hunt memory, {events:,} events")
        m = measure(commands, runs)
        for name, mm in m.items():
            rows.append(fmt_row(f"normalized, {events:,} events", size, events, name, mm))
    return rows


BENCHES = {
    "evtx": bench_evtx,
    "ndjson": bench_ndjson,
    "scaling": bench_scaling,
    "hunt-memory": bench_hunt_memory,
    "watch-memory": bench_watch_memory,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHES), default=sorted(BENCHES))
    parser.add_argument("--threads", nargs="*", type=int, default=[1, os.cpu_count() or 1])
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()
    build()
    threads = sorted(set(args.threads))
    lines = [HEADER]
    for name in args.only:
        lines += BENCHES[name](args.runs, threads)
    cpu = platform.processor() or platform.machine()
    text = (
        f"# foothold benchmarks\n\n"
        f"`python3 bench/run.py --runs {args.runs}` on {os.cpu_count()} cores ({cpu}), {time.strftime('%Y-%m-%d')}. "
        f"Medians of {args.runs} runs after a warm-up, each command alternating with its peer; "
        f"ratio = the command's wall time / its peer's (DuckDB for NDJSON, evtx_dump for EVTX; "
        f"below 1.0: faster than the peer). MB/s and events/s are of the input.\n\n"
        + "\n".join(lines)
        + "\n"
    )
    print(text)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
