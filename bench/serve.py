"""make serve-bench (part of make bench): what the service's features cost, measured from another process.

`aeonnx serve` (published binary: guards, budgets, metrics, dynamic batching, hot swap) and a minimal ASP.NET
Core encode endpoint written as a skilled user would (bench/AeOnnx.Serve.Baseline: Skia decode, one ONNX
Runtime session, JSON out) run as separate server processes on loopback, one at a time; the load generator
(bench/AeOnnx.Serve.Bench) is a third process posting the same 28×28 PNG from N keep-alive clients. Each
repetition starts both servers afresh, in alternating order; figures are medians over the repetitions.
Writes its own section of bench/RESULTS.md (quick runs: bench/out/RESULTS-quick.md).
"""
import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import sections

ROOT = Path(__file__).resolve().parent.parent
AEONNX = ROOT / "bin" / "aeonnx"
BASELINE = ROOT / "bench" / "AeOnnx.Serve.Baseline" / "bin" / "Release" / "net10.0" / "AeOnnx.Serve.Baseline"
CLIENT = ROOT / "bench" / "AeOnnx.Serve.Bench" / "bin" / "Release" / "net10.0" / "AeOnnx.Serve.Bench"
SECTION = "serve-bench"


def start(cmd):
    """Starts a server; returns (process, URL) once it has printed its 'listening on URL' line."""
    proc = subprocess.Popen(
        [str(c) for c in cmd], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    line = proc.stdout.readline()
    found = re.search(r"listening on (http://\S+?/)(?:\s|$)", line)
    if not found:
        proc.kill()
        proc.wait()
        raise RuntimeError(f"{cmd[0]} did not start: {line!r}")
    return proc, found.group(1)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def encode_once(url, image):
    """The latent one POST returns (the service's `latents[0]` or the baseline's `latent`)."""
    request = urllib.request.Request(url, data=image, headers={"Content-Type": "image/png"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as r:
        body = json.loads(r.read())
    return body["latents"][0] if "latents" in body else body["latent"]


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def run(args):
    image_path = ROOT / args.image
    image = image_path.read_bytes()
    cores = os.cpu_count()
    clients = [int(c) for c in args.clients.split(",")]
    servers = {
        # --threads: model runs at once (one ONNX Runtime thread each), as for folder jobs; the default is the core count.
        "service": (
            [AEONNX, "serve", "--model", args.model, "--port", "0", "--threads", str(cores)],
            ["v1/encode", "v1/encode?batching=off"],
        ),
        "baseline": ([BASELINE, "--model", ROOT / args.model, "--port", "0"], ["encode"]),
    }
    seconds = 1.0 if args.quick else args.seconds
    warmup = 1.0 if args.quick else 3.0
    reps = 1 if args.quick else args.reps
    loads = [os.getloadavg()[0]]
    results = {}  # (server, path, clients) -> list of per-run dicts
    latents = {}
    started = time.perf_counter()
    for rep in range(reps):
        order = list(servers) if rep % 2 == 0 else list(reversed(servers))
        for name in order:
            cmd, paths = servers[name]
            proc, url = start(cmd)
            try:
                if name not in latents:
                    latents[name] = encode_once(url + paths[0], image)
                out = subprocess.run(
                    [
                        str(CLIENT),
                        "--url",
                        url,
                        "--image",
                        str(image_path),
                        "--paths",
                        ",".join(paths),
                        "--clients",
                        args.clients,
                        "--seconds",
                        str(seconds),
                        "--warmup-seconds",
                        str(warmup),
                        "--server-pid",
                        str(proc.pid),
                    ],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
            finally:
                stop(proc)
            rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
            if not rows:
                raise RuntimeError(
                    f"load generator against {name} failed (exit {out.returncode}): {out.stderr.strip()[-2000:]}"
                )
            for r in rows:
                results.setdefault((name, r["path"], r["clients"]), []).append(r)
                print(
                    f"[{rep + 1}/{reps}] {name} {r['path']} {r['clients']} clients: {r['requests_per_second']:.0f} req/s, "
                    f"p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, {r['errors']} errors, "
                    f"server CPU {r['server_cpu_us_per_request']:.0f} µs/request",
                    flush=True,
                )
    loads.append(os.getloadavg()[0])
    elapsed = time.perf_counter() - started

    # Both servers do the same work: the same latent for the same PNG.
    gap = max(abs(a - b) for a, b in zip(latents["service"], latents["baseline"]))
    if len(latents["service"]) != len(latents["baseline"]) or not gap <= 1e-5:
        raise RuntimeError(
            f"the service's and the baseline's latents differ (max |difference| {gap}): not the same work"
        )

    def figures(key):
        runs = results[key]
        return {
            "rps": median([r["requests_per_second"] for r in runs]),
            "p50": median([r["p50_ms"] for r in runs]),
            "p99": median([r["p99_ms"] for r in runs]),
            "errors": sum(r["errors"] for r in runs),
            "cpu": median([r["server_cpu_us_per_request"] for r in runs]),
        }

    cases = [
        ("baseline (minimal ASP.NET Core endpoint)", ("baseline", "encode")),
        ("`aeonnx serve`, batching on (default)", ("service", "v1/encode")),
        ("`aeonnx serve`, batching off (`?batching=off`)", ("service", "v1/encode?batching=off")),
    ]
    lines = [
        sections.markers(SECTION)[0],
        f"## HTTP service: `aeonnx serve` vs a minimal ASP.NET Core endpoint{' (quick: smoke only)' if args.quick else ''}",
        "",
        f"Produced by `make serve-bench{'-quick' if args.quick else ''}` (part of `make bench`) on {time.strftime('%Y-%m-%d')}, "
        f"{cores} cores, load average {loads[0]:.2f} at the start and {loads[1]:.2f} at the end ({elapsed:.0f} s). "
        f"`POST` of one {len(image)}-byte 28×28 gray PNG (`{args.image}`) to `{args.model}`, answered with its latent as JSON, "
        f"from N keep-alive clients in a separate load-generator process (`bench/AeOnnx.Serve.Bench`: HttpClient on SocketsHttpHandler). "
        f"Each server process gets {warmup:g} s of warm-up at {max(clients)} clients, then per case {min(1.0, seconds / 4):g} s of warm-up and {seconds:g} s measured; "
        f"figures are medians of {reps} repetition(s), each starting both servers afresh, in alternating order. "
        f"Same port style and thread budget for both: separate processes on 127.0.0.1, a free port, all {cores} cores "
        f"(shared with the load generator), one ONNX Runtime thread per model run; the service runs at most {cores} model runs "
        f"at once (`--threads {cores}`, its default), the baseline one per request on ASP.NET Core's thread pool. "
        "The baseline (`bench/AeOnnx.Serve.Baseline`) is the endpoint a skilled user would write: Skia decode to gray 28×28, one "
        "`InferenceSession` (1 intra-op thread, all graph optimizations), pooled buffers, source-generated System.Text.Json, the "
        "Web SDK's defaults (server GC); no guards, budgets, metrics, batching or hot swap. Server CPU per request is the server "
        "process's user + system time over the measured seconds divided by its requests (other load on the machine barely moves it). "
        f"Both return the same latent for the image (max |difference| {gap:.1e}, checked every run).",
        "",
        "| server | clients | requests/s | p50 (ms) | p99 (ms) | p99/p50 | errors | server CPU per request (µs) | vs baseline (requests/s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in clients:
        base = figures(("baseline", "encode", c))
        for label, (server, path) in cases:
            f = figures((server, path, c))
            ratio = "" if server == "baseline" else f"{f['rps'] / base['rps']:.2f}×"
            lines.append(
                f"| {label} | {c} | {f['rps']:.0f} | {f['p50']:.2f} | {f['p99']:.2f} | {f['p99'] / f['p50']:.1f} | {f['errors']} | {f['cpu']:.0f} | {ratio} |"
            )
    if 16 in clients:
        svc, base = figures(("service", "v1/encode", 16)), figures(("baseline", "encode", 16))
        ratio = svc["rps"] / base["rps"]
        lines += [
            "",
            f"**Service / baseline at 16 clients: {ratio:.2f}×** requests/s ({svc['rps']:.0f} vs {base['rps']:.0f}; "
            f"target ≥ 0.9×: {'met' if ratio >= 0.9 else 'not met'}); p99/p50 {svc['p99'] / svc['p50']:.1f} vs {base['p99'] / base['p50']:.1f}.",
        ]
    lines.append(sections.markers(SECTION)[1])
    return "\n".join(lines) + "\n", sum(f["errors"] for runs in results.values() for f in runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 s per case, 1 repetition")
    ap.add_argument("--reps", type=int, default=3, help="repetitions (each starts both servers afresh)")
    ap.add_argument("--seconds", type=float, default=4.0, help="measured seconds per case")
    ap.add_argument("--clients", default="16,1,64", help="concurrent clients per case, in the order run")
    ap.add_argument("--model", default="models/fashion-mnist-ae")
    ap.add_argument("--image", default="samples/images/bag-00018.png", help="the PNG every request posts")
    ap.add_argument(
        "--output",
        default=None,
        help="results file whose section is replaced (default bench/RESULTS.md; quick runs: bench/out/RESULTS-quick.md)",
    )
    args = ap.parse_args()
    args.output = ROOT / (args.output or ("bench/out/RESULTS-quick.md" if args.quick else "bench/RESULTS.md"))
    for exe in (AEONNX, BASELINE, CLIENT):
        if not exe.is_file():
            sys.exit(f"{exe} is missing: run `make build` (bench/run.sh builds the bench programs)")
    section, errors = run(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    sections.replace(args.output, SECTION, section)
    print(section)
    if errors:
        sys.exit(f"{errors} requests failed")


if __name__ == "__main__":
    main()
