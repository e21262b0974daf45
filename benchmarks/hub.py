"""Speed of reading a repo from the Hub, headers only, over a local server.

Run:  python benchmarks/hub.py [--runs 11] [--shards 4] [--latency-ms 0 20]

The server is the tests' fake Hub (tests/test_weights_hub.py, so pytest must be installed): a
Llama-2-7b-hf of 13.5 GB split into --shards safetensors shards, of which only the headers exist.
For each simulated round trip (--latency-ms, added by the server to every request) and for shards
read one at a time and 8 at a time, it reports the median wall time of hub_files() plus parsing
every header (8-byte length + JSON, done here until paramcalc's safetensors reader is wired in),
the requests made and the bytes the server sent. Not a test: figures only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from paramcalc.weights.hub import RepoId, hub_files  # noqa: E402
from tests.test_weights_hub import LLAMA, LLAMA_PARAMS, FakeHub, llama_repo, numel  # noqa: E402


def count_once(workers: int) -> int:
    repo = hub_files(RepoId(LLAMA), workers=workers)
    total = 0
    for shard in repo.shards:
        length = int.from_bytes(shard.read(0, 8), "little")
        header = json.loads(shard.read(8, length))
        total += sum(numel(v["shape"]) for k, v in header.items() if k != "__metadata__")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--shards", type=int, default=4, choices=[1, 2, 4, 8, 16, 32])
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0.0, 20.0])
    args = parser.parse_args()

    fake = FakeHub(repos={LLAMA: llama_repo(args.shards)})
    server = fake.start()
    os.environ["HF_ENDPOINT"] = fake.url
    os.environ.pop("HF_TOKEN", None)
    stored = sum(f.size for name, f in fake.repos[LLAMA].items() if name.endswith(".safetensors"))
    print(f"{LLAMA}: {args.shards} shards, {stored / 1e9:.1f} GB on paper, {LLAMA_PARAMS:,} parameters")
    print(f"{'round trip':>10}  {'workers':>7}  {'median':>9}  {'requests':>8}  {'bytes sent':>10}")
    try:
        for latency in args.latency_ms:
            fake.delay_s = latency / 1000
            for workers in (1, 8):
                times = []
                for _ in range(args.runs):
                    fake.seen.clear()
                    fake.sent = 0
                    start = time.perf_counter()
                    assert count_once(workers) == LLAMA_PARAMS
                    times.append(time.perf_counter() - start)
                median = statistics.median(times)
                print(
                    f"{latency:>8.0f}ms  {workers:>7}  {median * 1000:>7.1f}ms  {len(fake.seen):>8}  {fake.sent:>10,}"
                )
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
