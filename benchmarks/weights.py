"""Speed of counting weights from their headers, through the command line.

Run:  python benchmarks/weights.py [--runs 11]

1. A sharded checkpoint of about 138 GB on disk: Llama-2-70B's names and shapes (transformers'
   meta-device state_dict, tests/weights_fixtures.py) in bf16, 15 shards and an index, written as
   sparse files (a few kilobytes of headers; the rest is a hole). `paramcalc count DIR --json`,
   median wall time of fresh processes.
2. A 4-shard repo on a local fake Hub (tests/test_weights_hub.py's server on 127.0.0.1):
   `paramcalc count ORG/NAME --json` with HF_ENDPOINT pointing at it, median wall time, and the
   requests and bytes the server answered with.
Needs the test extras (pytest) for the fixtures. Not a test: figures only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import weights_fixtures as wf  # noqa: E402

LLAMA_2_70B = wf.LlamaShape(32000, 8192, 28672, 80, 64, 8, False, 68_976_648_192)
LLAMA_2_70B_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 8192,
    "intermediate_size": 28672,
    "num_attention_heads": 64,
    "num_hidden_layers": 80,
    "num_key_value_heads": 8,
    "max_position_embeddings": 4096,
    "vocab_size": 32000,
    "tie_word_embeddings": False,
}


def median_ms(command: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr}")
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    paramcalc = [sys.executable, "-m", "paramcalc"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "Llama-2-70b-hf"
        wf.write_checkpoint(folder, wf.llama(LLAMA_2_70B), 15, LLAMA_2_70B_CONFIG)
        apparent = sum(p.stat().st_size for p in folder.iterdir())
        ms = median_ms([*paramcalc, "count", str(folder), "--json"], env, args.runs)
        print(f"sharded checkpoint, {apparent / 1e9:,.0f} GB in 15 shards + index: count --json {ms:.0f} ms")

    from tests.test_weights_hub import LLAMA, FakeHub, llama_repo

    hub = FakeHub(repos={LLAMA: llama_repo(4)})
    server = hub.start()
    try:
        online = {**env, "HF_ENDPOINT": hub.url, "HF_HUB_CACHE": tempfile.mkdtemp()}
        online.pop("HF_HUB_OFFLINE")
        ms = median_ms([*paramcalc, "count", LLAMA, "--json"], online, args.runs)
        print(
            f"4-shard repo on a local Hub (13.5 GB): count --json {ms:.0f} ms; per run "
            f"{len(hub.seen) // args.runs} requests, {hub.sent // args.runs:,} bytes"
        )
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
