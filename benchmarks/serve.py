"""Load benchmark of ``elman serve`` on loopback: 1, 8 and 64 concurrent clients, each sending
one request after another for a fixed time, against a language model's next-token route and a
classifier's route; p50 / p99 latency, requests per second, errors and the server's peak RSS,
with micro-batching and without it (``--max-batch 1``) in the same run. Each mode runs its own
``elman serve`` process on a free 127.0.0.1 port, stopped at the end.

    python benchmarks/serve.py                          # the committed fixture runs, 10 s a cell
    python benchmarks/serve.py --lm runs/MAIN --classify runs/SST2 --seconds 20
"""

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "v0" / "runs"
MODES = {"batched": [], "one at a time": ["--max-batch", "1", "--max-wait-ms", "0.001"]}
PROMPTS = [                    # what a keyboard has as context: the sentence so far
    "Hey, I will be late to the office this morning because the trains are not running on ",
    "Thanks for the quick reply. I looked at the numbers again and I think the second ",
    "The meeting was moved to Thursday afternoon, so we still have time to finish the ",
    "Could you send me the slides from yesterday? I would like to read them again before ",
    "It was raining all day long, and by the time we reached the top of the hill the ",
]
TEXTS = [                      # sentences as long as SST-2's (about 20 words)
    "a moving , funny and honest story about growing up that never feels sentimental or false",
    "the worst thing I have seen this year , with a plot that makes no sense at all",
    "not bad at all , though the second half drags and the ending is far too neat",
    "the actors do what they can , but the script gives them nothing to work with",
    "an ambitious , beautifully shot film that loses its way in a confusing last act",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(runs: list[str], extra: list[str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    cmd = [sys.executable, "-c", "import sys; from elman.cli import main; sys.exit(main())",
           "serve", *runs, "--port", str(port), *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, port
        except httpx.TransportError:
            time.sleep(0.2)
        if proc.poll() is not None:
            raise SystemExit(f"elman serve exited: {proc.stderr.read().decode()}")
    proc.kill()
    raise SystemExit("elman serve did not start in 60 s")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def post(reader, writer, request: bytes) -> int:
    """One request on a kept-alive connection; the response's status code."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines
                  if line.lower().startswith("content-length:"))
    await reader.readexactly(length)
    return int(lines[0].split()[1])


def request(path: str, body: dict) -> bytes:
    data = json.dumps(body).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


async def load(port: int, path: str, bodies: list[dict], clients: int, seconds: float) -> dict:
    """``clients`` connections posting ``bodies`` in turn for ``seconds``, one request at a
    time each (HTTP/1.1 keep-alive over asyncio streams: a Python HTTP client library costs
    more CPU than the server on a 2-core machine); latencies and failures."""
    requests = [request(path, b) for b in bodies]
    latencies, errors, dropped = [], 0, 0
    end = time.monotonic() + seconds

    async def one(k: int):
        nonlocal errors, dropped
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = k
        while time.monotonic() < end:
            t0 = time.perf_counter()
            try:
                errors += await post(reader, writer, requests[i % len(requests)]) != 200
            except (ConnectionError, asyncio.IncompleteReadError):
                dropped += 1
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            latencies.append(time.perf_counter() - t0)
            i += 1
        writer.close()
    t0 = time.monotonic()
    await asyncio.gather(*(one(k) for k in range(clients)))
    wall = time.monotonic() - t0
    ms = sorted(x * 1000 for x in latencies)
    return {"requests": len(ms), "rps": len(ms) / wall, "p50": statistics.median(ms),
            "p99": ms[min(len(ms) - 1, int(0.99 * len(ms)))], "errors": errors,
            "dropped": dropped}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lm", default=str(FIXTURES / "lm-word"), help="a language-model run")
    p.add_argument("--classify", default=str(FIXTURES / "classify"), help="a classify run")
    p.add_argument("--clients", default="1,8,64", help="concurrent clients per cell")
    p.add_argument("--seconds", type=float, default=10.0, help="time per cell")
    args = p.parse_args(argv)
    lm, cls = Path(args.lm).resolve().name, Path(args.classify).resolve().name
    routes = [(f"/v1/{lm}/next", [{"inputs": [t], "k": 5} for t in PROMPTS]),
              (f"/v1/{cls}/classify", [{"inputs": [t]} for t in TEXTS])]
    print(f"cpu: {os.cpu_count()} cores; {args.seconds:g} s per cell; runs {args.lm}, "
          f"{args.classify}")
    print(f"{'mode':<14} {'route':<24} {'clients':>7} {'req/s':>8} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'errors':>6} {'dropped':>7} {'peak RSS MB':>11}")
    rps = {}
    for mode, extra in MODES.items():
        proc, port = start([args.lm, args.classify], extra)
        try:
            for path, bodies in routes:
                for n in map(int, args.clients.split(",")):
                    r = asyncio.run(load(port, path, bodies, n, args.seconds))
                    rps[mode, path, n] = r["rps"]
                    print(f"{mode:<14} {path:<24} {n:>7} {r['rps']:>8.1f} {r['p50']:>8.1f} "
                          f"{r['p99']:>8.1f} {r['errors']:>6} {r['dropped']:>7} "
                          f"{peak_rss_mb(proc.pid):>11.0f}", flush=True)
        finally:
            proc.terminate()
            proc.wait(10)
    top = max(map(int, args.clients.split(",")))
    for path, _ in routes:
        ratio = rps["batched", path, top] / rps["one at a time", path, top]
        print(f"{path}: {top} clients, batched / one at a time = {ratio:.2f}x")


if __name__ == "__main__":
    main()
