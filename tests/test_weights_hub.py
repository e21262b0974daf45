"""Repo ids, the HuggingFace cache and the Hub (paramcalc/weights/hub.py, remote.py).

The Hub is never asked: :class:`FakeHub` is an HTTP server on 127.0.0.1 started by the tests. It
serves a repo tree as the Hub does (``/{ORG/NAME}/resolve/{rev}/{file}``, X-Repo-Commit,
X-Error-Code), answers Range requests, can ask for a token, redirect weight files to a second
server (the CDN), ignore ranges, and counts every request and every byte it sends. Its shards are
real-looking safetensors headers followed by "GB" of zeros that are never stored: a range past
the header is answered with zeros.

The fake repo is Llama-2-7b-hf (names and shapes from shared/reference/models.json, made with
transformers 5.23.0; 6,738,415,616 parameters), its 291 tensors split over 4 shards here.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from paramcalc.errors import LoadError
from paramcalc.weights import hub, remote
from paramcalc.weights.hub import RepoId, cached_snapshot, hub_files, open_repo, parse_repo_id
from paramcalc.weights.remote import HttpFile

COMMIT = "8cca527612d856d7d32bd94f8103728d614eb852"  # the shape of a commit hash; the fake serves it and main
LLAMA = "meta-llama/Llama-2-7b-hf"
LLAMA_PARAMS = 6_738_415_616  # shared/reference/models.json: LlamaForCausalLM, transformers 5.23.0
HIDDEN, FFN, VOCAB, LAYERS = 4096, 11008, 32000, 32  # Llama-2-7b-hf config.json


# --- fixtures: safetensors headers of a real model, a fake Hub, a fake cache -------------------


def llama_tensors() -> list[tuple[str, list[int]]]:
    """Llama-2-7b-hf's state_dict names and shapes (shared/reference/models.json)."""
    layer = [
        ("self_attn.q_proj.weight", [HIDDEN, HIDDEN]),
        ("self_attn.k_proj.weight", [HIDDEN, HIDDEN]),
        ("self_attn.v_proj.weight", [HIDDEN, HIDDEN]),
        ("self_attn.o_proj.weight", [HIDDEN, HIDDEN]),
        ("mlp.gate_proj.weight", [FFN, HIDDEN]),
        ("mlp.up_proj.weight", [FFN, HIDDEN]),
        ("mlp.down_proj.weight", [HIDDEN, FFN]),
        ("input_layernorm.weight", [HIDDEN]),
        ("post_attention_layernorm.weight", [HIDDEN]),
    ]
    out = [("model.embed_tokens.weight", [VOCAB, HIDDEN])]
    out += [(f"model.layers.{i}.{name}", shape) for i in range(LAYERS) for name, shape in layer]
    return out + [("model.norm.weight", [HIDDEN]), ("lm_head.weight", [VOCAB, HIDDEN])]


def numel(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def safetensors_header(tensors: list[tuple[str, list[int]]], dtype: str = "F16", width: int = 2) -> tuple[bytes, int]:
    """The first bytes of a safetensors file (8-byte length, JSON padded to 8 bytes) and the size
    of the whole file."""
    entries: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape in tensors:
        nbytes = numel(shape) * width
        entries[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    text = json.dumps(entries, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text, 8 + len(text) + offset


@dataclass
class FakeFile:
    head: bytes  # the bytes stored; the rest of `size` reads as zeros
    size: int

    def bytes(self, start: int, end: int) -> bytes:
        """Bytes start..end-1."""
        chunk = self.head[start:end]
        return chunk + b"\0" * (end - start - len(chunk))


def text_file(value: Any) -> FakeFile:
    data = json.dumps(value).encode()
    return FakeFile(data, len(data))


def llama_repo(shards: int = 4) -> dict[str, FakeFile]:
    """config.json, the index and `shards` safetensors files of Llama-2-7b-hf (layers split evenly)."""
    tensors = llama_tensors()
    per = LAYERS // shards
    groups: list[list[tuple[str, list[int]]]] = [[] for _ in range(shards)]
    for name, shape in tensors:
        match = re.match(r"model\.layers\.(\d+)\.", name)
        at = int(match.group(1)) // per if match else (0 if "embed" in name else shards - 1)
        groups[at].append((name, shape))
    files: dict[str, FakeFile] = {}
    weight_map: dict[str, str] = {}
    for i, group in enumerate(groups):
        shard = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        head, size = safetensors_header(group)
        files[shard] = FakeFile(head, size)
        weight_map.update({name: shard for name, _ in group})
    total = sum(numel(shape) * 2 for _, shape in tensors)
    files["model.safetensors.index.json"] = text_file({"metadata": {"total_size": total}, "weight_map": weight_map})
    files["config.json"] = text_file(
        {
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "hidden_size": HIDDEN,
            "intermediate_size": FFN,
            "num_attention_heads": 32,
            "num_hidden_layers": LAYERS,
            "num_key_value_heads": 32,
            "vocab_size": VOCAB,
            "tie_word_embeddings": False,
            "torch_dtype": "float16",
        }
    )
    return files


@dataclass
class Seen:
    path: str
    range: str | None
    auth: str | None


@dataclass
class FakeHub:
    """The Hub on 127.0.0.1 (or its CDN, when `cdn_of` names the hub whose files it serves)."""

    repos: dict[str, dict[str, FakeFile]] = field(default_factory=dict)
    token: str | None = None  # every request must carry it
    refuse: tuple[int, str] | None = None  # (status, X-Error-Code) for a repo without access
    cdn: FakeHub | None = None  # redirect .safetensors files there
    ignore_ranges: bool = False
    delay_s: float = 0.0  # per request: a network's round trip
    commit: str = COMMIT  # what X-Repo-Commit says
    seen: list[Seen] = field(default_factory=list)
    sent: int = 0  # body bytes written
    url: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def count(self, n: int) -> None:
        with self._lock:
            self.sent += n

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        auth = handler.headers.get("Authorization")
        self.seen.append(Seen(parts.path, handler.headers.get("Range"), auth))
        if self.delay_s:
            time.sleep(self.delay_s)
        cdn = re.fullmatch(r"/cdn/([^/]+/[^/]+)/(.+)", parts.path)
        if cdn:
            return self.serve(handler, self.repos[cdn.group(1)][unquote(cdn.group(2))])
        match = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", parts.path)
        if not match:
            return self.error(handler, 404, None)
        repo, rev, name = match.group(1), unquote(match.group(2)), unquote(match.group(3))
        if repo not in self.repos:
            return self.error(handler, 404, "RepoNotFound")
        if self.token and auth != f"Bearer {self.token}":
            return self.error(handler, *(self.refuse or (401, "GatedRepo")))
        if rev not in ("main", COMMIT):
            return self.error(handler, 404, "RevisionNotFound")
        if name not in self.repos[repo]:
            return self.error(handler, 404, "EntryNotFound")
        if self.cdn is not None and name.endswith(".safetensors"):
            handler.send_response(302)
            handler.send_header("Location", f"{self.cdn.url}/cdn/{repo}/{name}?signature=x")
            handler.send_header("X-Repo-Commit", self.commit)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return None
        return self.serve(handler, self.repos[repo][name])

    def error(self, handler: BaseHTTPRequestHandler, status: int, code: str | None) -> None:
        body = json.dumps({"error": code or "not found"}).encode()
        handler.send_response(status)
        if code:
            handler.send_header("X-Error-Code", code)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def serve(self, handler: BaseHTTPRequestHandler, file: FakeFile) -> None:
        wanted = re.fullmatch(r"bytes=(\d+)-(\d+)", handler.headers.get("Range") or "")
        if self.ignore_ranges or wanted is None:
            handler.send_response(200)
            handler.send_header("Content-Length", str(file.size))
            handler.send_header("X-Repo-Commit", self.commit)
            handler.end_headers()
            try:
                for start in range(0, file.size, 1 << 16):
                    chunk = file.bytes(start, min(start + (1 << 16), file.size))
                    handler.wfile.write(chunk)
                    self.count(len(chunk))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the reader took what it asked for and hung up
            return
        start, end = int(wanted.group(1)), min(int(wanted.group(2)), file.size - 1)
        if start >= file.size:
            handler.send_response(416)
            handler.send_header("Content-Range", f"bytes */{file.size}")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        body = file.bytes(start, end + 1)
        handler.send_response(206)
        handler.send_header("Content-Range", f"bytes {start}-{end}/{file.size}")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("X-Repo-Commit", self.commit)
        handler.end_headers()
        handler.wfile.write(body)
        self.count(len(body))

    def start(self) -> ThreadingHTTPServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                fake.answer(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        return server


@pytest.fixture(autouse=True)
def no_real_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test has its own empty cache, no token, no proxy, and an endpoint where nothing listens."""
    for name in ("HF_HOME", "HF_TOKEN", "HF_HUB_OFFLINE", "XDG_CACHE_HOME", "HUGGINGFACE_HUB_CACHE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing answers


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    fake = FakeHub(repos={LLAMA: llama_repo()})
    server = fake.start()
    monkeypatch.setenv("HF_ENDPOINT", fake.url)
    yield fake
    server.shutdown()
    server.server_close()


def read_header(source: HttpFile) -> dict[str, Any]:
    """A safetensors header the plain way (8-byte little-endian length, then JSON)."""
    length = int.from_bytes(source.read(0, 8), "little")
    header: dict[str, Any] = json.loads(source.read(8, length))
    return header


def count(header: dict[str, Any]) -> int:
    return sum(numel(v["shape"]) for k, v in header.items() if k != "__metadata__")


# --- repo ids -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("meta-llama/Llama-3.1-8B", RepoId("meta-llama/Llama-3.1-8B")),
        ("meta-llama/Llama-3.1-8B@main", RepoId("meta-llama/Llama-3.1-8B", "main")),
        ("Qwen/Qwen2.5-0.5B@refs/pr/12", RepoId("Qwen/Qwen2.5-0.5B", "refs/pr/12")),
        (f"openai/gpt-oss-20b@{COMMIT}", RepoId("openai/gpt-oss-20b", COMMIT)),
        ("hf://EleutherAI/pythia-160m", RepoId("EleutherAI/pythia-160m")),
        ("hf://EleutherAI/pythia-160m@v1.0", RepoId("EleutherAI/pythia-160m", "v1.0")),
        ("HF://a_b/c.d", RepoId("a_b/c.d")),
        ("hf:meta-llama/Llama-3.1-8B", RepoId("meta-llama/Llama-3.1-8B")),
        ("hf://someone/model.gguf", RepoId("someone/model.gguf")),  # explicit: any valid name
    ],
)
def test_repo_ids_are_parsed(text: str, expected: RepoId) -> None:
    assert parse_repo_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "gpt2",  # a preset or a file: paramcalc reads bare names as presets
        "./meta-llama/Llama",
        "../x/y",
        "/abs/path",
        "a/b/c",
        "configs/llama-3-8b.yaml",
        "models/config.json",
        "out/model.safetensors",
        "out/model.gguf",
        "a b/c",
        "-org/name",
        "org/name-",
        "org--x/name",
        "org/na..me",
        "org/",
        "/name",
        "org/name@",
        "org/name@../../etc",
        "x" * 60 + "/" + "y" * 40,
        "",
    ],
)
def test_other_things_are_not_repo_ids(text: str) -> None:
    assert parse_repo_id(text) is None


def test_a_path_that_exists_stays_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert parse_repo_id("org/model") == RepoId("org/model")
    (tmp_path / "org" / "model").mkdir(parents=True)
    assert parse_repo_id("org/model") is None
    assert parse_repo_id("hf://org/model") == RepoId("org/model")  # the prefix says: the Hub


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("hf://a/b/c", "a repo id is ORG/NAME"),
        ("hf://gpt2", "a repo id is ORG/NAME"),
        ("hf://a--b/c", "no '--' or '..'"),
        ("hf://org/name@../x", "'../x' is not a revision"),
        ("hf://org/name@", "'' is not a revision"),
        ("hf://" + "x" * 97, "at most 96 characters"),
    ],
)
def test_a_bad_hf_url_says_why(text: str, reason: str) -> None:
    with pytest.raises(LoadError) as info:
        parse_repo_id(text)
    assert str(info.value).startswith(f"{text}: is not a HuggingFace repo id: ")
    assert reason in str(info.value)


# --- the cache ----------------------------------------------------------------------------------


def test_the_cache_folder_follows_huggingface_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert hub.cache_dir() == tmp_path / "hf-cache"
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    assert hub.cache_dir() == tmp_path / "home" / "hub"
    monkeypatch.delenv("HF_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.cache_dir() == tmp_path / "xdg" / "huggingface" / "hub"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert hub.cache_dir() == tmp_path / "user" / ".cache" / "huggingface" / "hub"


def make_cache(cache: Path, repo: str, files: dict[str, FakeFile], ref: str = "main", commit: str = COMMIT) -> Path:
    """A cache folder as huggingface_hub writes it: refs/REF holds the commit, the snapshot's files
    are symlinks into blobs/ (shards truncated to their full size: sparse, no disk spent)."""
    folder = cache / ("models--" + repo.replace("/", "--"))
    (folder / "refs" / ref).parent.mkdir(parents=True, exist_ok=True)
    (folder / "refs" / ref).write_text(commit)
    snapshot = folder / "snapshots" / commit
    snapshot.mkdir(parents=True, exist_ok=True)
    (folder / "blobs").mkdir(exist_ok=True)
    for i, (name, file) in enumerate(files.items()):
        blob = folder / "blobs" / f"blob{i}"
        blob.write_bytes(file.head)
        with blob.open("r+b") as handle:
            handle.truncate(file.size)
        (snapshot / name).symlink_to(Path("../..") / "blobs" / blob.name)
    return snapshot


def test_a_cached_repo_is_found_by_its_ref(tmp_path: Path) -> None:
    cache = tmp_path / "hf-cache"
    snapshot = make_cache(cache, LLAMA, llama_repo())
    assert cached_snapshot(RepoId(LLAMA)) == snapshot
    assert cached_snapshot(RepoId(LLAMA, "main")) == snapshot
    assert cached_snapshot(RepoId(LLAMA, COMMIT)) == snapshot  # a hash names the snapshot directly
    assert cached_snapshot(RepoId(LLAMA, "v2")) is None  # no refs/v2
    assert cached_snapshot(RepoId(LLAMA, "0" * 40)) is None
    assert cached_snapshot(RepoId("meta-llama/Llama-2-13b-hf")) is None
    head = snapshot / "model-00001-of-00004.safetensors"
    assert head.is_symlink() and head.stat().st_size > 3_000_000_000  # sparse: GB on paper, kB on disk


def test_a_pr_ref_is_a_nested_file(tmp_path: Path) -> None:
    snapshot = make_cache(tmp_path / "hf-cache", LLAMA, {"config.json": text_file({})}, ref="refs/pr/3")
    assert cached_snapshot(RepoId(LLAMA, "refs/pr/3")) == snapshot


def test_a_damaged_ref_names_its_file(tmp_path: Path) -> None:
    make_cache(tmp_path / "hf-cache", LLAMA, {"config.json": text_file({})}, commit="not a hash")
    with pytest.raises(LoadError, match=r"refs/main: does not hold a commit hash \(40 hex digits\)"):
        cached_snapshot(RepoId(LLAMA))


def test_the_cache_comes_first_and_asks_no_server(tmp_path: Path) -> None:
    snapshot = make_cache(tmp_path / "hf-cache", LLAMA, llama_repo())
    assert hub.snapshot_has_weights(snapshot)
    assert open_repo(RepoId(LLAMA)) == snapshot  # HF_ENDPOINT points where nothing listens


def test_offline_and_not_cached_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(LoadError) as info:
        open_repo(RepoId(LLAMA, "v2"))
    assert str(info.value) == (
        f"{LLAMA}@v2: is not in the HuggingFace cache ({tmp_path / 'hf-cache'}) and HF_HUB_OFFLINE=1: "
        f"run `huggingface-cli download {LLAMA} --revision v2 config.json` or unset HF_HUB_OFFLINE"
    )


@pytest.mark.parametrize("value", ["1", "ON", "yes", "True"])
def test_offline_reads_a_snapshot_of_config_json_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", value)
    snapshot = make_cache(tmp_path / "hf-cache", LLAMA, {"config.json": llama_repo()["config.json"]})
    assert not hub.snapshot_has_weights(snapshot)
    assert open_repo(RepoId(LLAMA)) == snapshot


def test_online_a_snapshot_without_its_shards_goes_to_the_hub(fake_hub: FakeHub, tmp_path: Path) -> None:
    files = llama_repo()
    del files["model-00003-of-00004.safetensors"]  # an interrupted download
    snapshot = make_cache(tmp_path / "hf-cache", LLAMA, files)
    assert not hub.snapshot_has_weights(snapshot)
    remote_repo = open_repo(RepoId(LLAMA))
    assert isinstance(remote_repo, hub.RemoteRepo) and len(remote_repo.shards) == 4


# --- the Hub ------------------------------------------------------------------------------------


def test_a_four_shard_repo_costs_two_small_reads_per_shard(fake_hub: FakeHub) -> None:
    files = fake_hub.repos[LLAMA]
    repo = hub_files(RepoId(LLAMA))
    assert repo.commit == COMMIT
    assert repo.config is not None and repo.config["num_hidden_layers"] == LAYERS
    assert repo.index is not None and len(repo.index["weight_map"]) == len(llama_tensors()) == 291
    assert repo.files == [f"{LLAMA}/model-0000{i}-of-00004.safetensors" for i in range(1, 5)]
    requests = [(s.path.rsplit("/", 1)[1], s.range) for s in fake_hub.seen]
    assert requests[:2] == [("config.json", f"bytes=0-{64 * 2**20}"), (hub.INDEX, f"bytes=0-{64 * 2**20}")]
    shard_reads = sorted(requests[2:])
    assert len(shard_reads) == 8
    for i in range(4):
        name = f"model-0000{i + 1}-of-00004.safetensors"
        length = int.from_bytes(files[name].head[:8], "little")
        assert shard_reads[2 * i : 2 * i + 2] == [(name, "bytes=0-7"), (name, f"bytes=8-{8 + length - 1}")]
    # later files are read at the commit the first answer named
    assert all(f"/resolve/{COMMIT}/" in s.path for s in fake_hub.seen[1:])
    # the reader's own reads are served from what was read ahead: no more requests
    headers = [read_header(shard) for shard in repo.shards]
    assert len(fake_hub.seen) == 10
    assert sum(count(h) for h in headers) == LLAMA_PARAMS
    assert sum(shard.size for shard in repo.shards) == sum(files[n].size for n in files if n.endswith("tensors"))
    assert sum(shard.size for shard in repo.shards) > 13_000_000_000  # 13.5 GB of float16 on paper
    # and what crossed the wire is the headers and the two JSON files, nothing else
    expected = sum(len(f.head) for f in files.values())
    for _ in range(500):  # the server threads count what they sent after the client has its bytes
        if fake_hub.sent >= expected:
            break
        time.sleep(0.01)
    assert fake_hub.sent == expected < 100_000


def test_a_commit_header_that_is_not_a_hash_is_not_used(fake_hub: FakeHub) -> None:
    fake_hub.commit = "../../evil"
    repo = hub_files(RepoId(LLAMA))
    assert repo.commit is None
    assert all("/resolve/main/" in s.path for s in fake_hub.seen)


def test_a_single_file_repo_has_one_shard(fake_hub: FakeHub) -> None:
    head, size = safetensors_header([("wte", [50257, 768]), ("h.0.attn.c_attn.weight", [768, 2304])], "F32", 4)
    fake_hub.repos["openai-community/gpt2"] = {"model.safetensors": FakeFile(head, size)}
    repo = hub_files(RepoId("openai-community/gpt2"))
    assert repo.config is None and repo.index is None
    assert [shard.size for shard in repo.shards] == [size]
    assert count(read_header(repo.shards[0])) == 50257 * 768 + 768 * 2304
    assert [s.range for s in fake_hub.seen if s.path.endswith("model.safetensors")] == [
        "bytes=0-7",
        f"bytes=8-{len(head) - 1}",
    ]


def test_a_repo_with_only_a_config_has_no_shards(fake_hub: FakeHub) -> None:
    fake_hub.repos["org/config-only"] = {"config.json": text_file({"model_type": "gpt2"})}
    repo = hub_files(RepoId("org/config-only"))
    assert repo.config == {"model_type": "gpt2"} and repo.shards == []


def test_a_token_is_sent_as_a_bearer(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_hub.token = "hf_secret"  # noqa: S105
    with pytest.raises(LoadError) as info:
        hub_files(RepoId(LLAMA))
    assert str(info.value) == f"{LLAMA}: {fake_hub.url} asks for a token (the repo is gated or private): set HF_TOKEN"
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    repo = hub_files(RepoId(LLAMA))
    assert len(repo.shards) == 4
    assert {s.auth for s in fake_hub.seen[1:]} == {"Bearer hf_secret"}


def test_a_wrong_token_is_named(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_hub.token = "hf_secret"  # noqa: S105
    fake_hub.refuse = (403, "GatedRepo")
    monkeypatch.setenv("HF_TOKEN", "hf_other")
    with pytest.raises(LoadError, match=rf"^{LLAMA}: is gated: accept its conditions on the Hub with the account"):
        hub_files(RepoId(LLAMA))
    fake_hub.refuse = (401, "")
    with pytest.raises(LoadError, match=r"or no access to it \(401\); HF_TOKEN was sent: check that it is valid"):
        hub_files(RepoId(LLAMA))


def test_a_redirect_to_the_cdn_drops_the_token(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    cdn = FakeHub(repos=fake_hub.repos)
    server = cdn.start()
    try:
        fake_hub.cdn = cdn
        fake_hub.token = "hf_secret"  # noqa: S105
        monkeypatch.setenv("HF_TOKEN", "hf_secret")
        repo = hub_files(RepoId(LLAMA))
        assert sum(count(read_header(shard)) for shard in repo.shards) == LLAMA_PARAMS
        # each shard: one request to the Hub (redirected), then the second read straight to the CDN
        shard_paths = [s for s in fake_hub.seen if s.path.endswith(".safetensors")]
        assert len(shard_paths) == 4 and len(cdn.seen) == 8
        assert {s.auth for s in cdn.seen} == {None}
        assert all(shard.url.startswith(f"{cdn.url}/cdn/") for shard in repo.shards)
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_that_ignores_ranges_is_not_downloaded(fake_hub: FakeHub) -> None:
    fake_hub.ignore_ranges = True
    start = time.perf_counter()
    repo = hub_files(RepoId(LLAMA), workers=1)
    assert sum(count(read_header(shard)) for shard in repo.shards) == LLAMA_PARAMS
    assert time.perf_counter() - start < 5
    # each 3 GB shard was cut off after its header; what the server had written into the socket
    # before it noticed is bounded by the kernel's buffers, not by the file
    assert sum(shard.received for shard in repo.shards) < 200_000
    assert fake_hub.sent < 100 * 2**20  # of 13.5 GB


@pytest.mark.parametrize(
    ("repo", "message"),
    [
        (RepoId("meta-llama/Llama-9"), "meta-llama/Llama-9: no such repo on the Hub, or no access to it (404)"),
        (RepoId(LLAMA, "v9"), f"{LLAMA}@v9: no such revision on the Hub (404)"),
    ],
)
def test_missing_repos_and_revisions(fake_hub: FakeHub, repo: RepoId, message: str) -> None:
    with pytest.raises(LoadError) as info:
        hub_files(repo)
    assert str(info.value).startswith(message)


def test_a_repo_with_nothing_to_read(fake_hub: FakeHub) -> None:
    fake_hub.repos["org/empty"] = {"README.md": text_file("hi")}
    with pytest.raises(LoadError, match=r"^org/empty: nothing to read at http://127\.0\.0\.1:\d+/org/empty"):
        hub_files(RepoId("org/empty"))


def test_an_unreachable_hub_is_one_line() -> None:
    start = time.perf_counter()
    with pytest.raises(LoadError) as info:
        hub_files(RepoId(LLAMA))
    assert str(info.value).startswith(f"{LLAMA}: cannot reach http://127.0.0.1:9 (")
    assert str(info.value).endswith("or set HF_HUB_OFFLINE=1 to read only the HuggingFace cache")
    assert time.perf_counter() - start < 5


def test_a_silent_server_times_out(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote, "TIMEOUT_S", 0.2)
    fake_hub.delay_s = 1.0
    with pytest.raises(LoadError, match=rf"^{LLAMA}: no answer from http://127\.0\.0\.1:\d+ within 0\.2 s$"):
        hub_files(RepoId(LLAMA))


@pytest.mark.parametrize(
    ("weight_map", "message"),
    [
        ({"a": "../../etc/passwd.safetensors"}, "names the shard '../../etc/passwd.safetensors'"),
        ({"a": "/abs.safetensors"}, "names the shard '/abs.safetensors'"),
        ({"a": "weights.bin"}, "names the shard 'weights.bin': not a .safetensors file inside the repo"),
        ({"a": 3}, "names the shard 3: not a file name"),
        ({"a": ["x"]}, "names the shard ['x']: not a file name"),
        ({}, "has no weight_map object"),
        ({f"t{i}": f"s{i}.safetensors" for i in range(5000)}, "names 5,000 shard files; at most 4,096 are read"),
    ],
)
def test_a_hostile_index_is_refused(fake_hub: FakeHub, weight_map: dict[str, Any], message: str) -> None:
    fake_hub.repos["org/bad"] = {"model.safetensors.index.json": text_file({"weight_map": weight_map})}
    with pytest.raises(LoadError) as info:
        hub_files(RepoId("org/bad"))
    assert str(info.value).startswith(f"org/bad/{hub.INDEX}: {message}")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[1, 2]", "holds a JSON list, not an object: not a config"),
        (b"{oops", "is not valid JSON ("),
        (b"\xff\xfe{}", "is not UTF-8 text (byte 0)"),
        (b"[" * 100_000 + b"]" * 100_000, "is not valid JSON ("),
    ],
)
def test_a_bad_config_is_refused(fake_hub: FakeHub, data: bytes, message: str) -> None:
    fake_hub.repos["org/bad"] = {"config.json": FakeFile(data, len(data))}
    with pytest.raises(LoadError) as info:
        hub_files(RepoId("org/bad"))
    assert str(info.value).startswith(f"org/bad/config.json: {message}")


def test_a_huge_config_is_refused_after_one_capped_read(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub, "MAX_JSON_BYTES", 1000)
    fake_hub.repos["org/big"] = {"config.json": FakeFile(b"{", 5 * 2**30)}
    with pytest.raises(LoadError, match=r"^org/big/config.json: is 5,368,709,120 bytes; at most 1,000 are read$"):
        hub_files(RepoId("org/big"))
    for _ in range(500):  # the server thread counts what it sent after the client has its bytes
        if fake_hub.sent >= 1001:
            break
        time.sleep(0.01)
    assert fake_hub.sent == 1001


# --- HttpFile as a ByteSource -------------------------------------------------------------------


def test_http_file_reads_ranges_and_knows_its_size(fake_hub: FakeHub) -> None:
    fake_hub.repos["org/x"] = {"f.bin": FakeFile(b"0123456789", 10 * 2**30)}
    source = HttpFile(hub.resolve_url(fake_hub.url, RepoId("org/x"), "f.bin"), name="org/x/f.bin")
    assert source.size == 10 * 2**30  # from the Content-Range total of a first 8-byte read
    assert source.read(0, 4) == b"0123"  # kept from that read
    assert source.read(6, 6) == b"6789\0\0"
    assert source.read(10 * 2**30 - 2, 10) == b"\0\0"  # fewer at the end
    assert source.read(10 * 2**30, 10) == b""
    assert source.requests == 3


def test_http_file_learns_an_empty_file_from_416(fake_hub: FakeHub) -> None:
    fake_hub.repos["org/x"] = {"empty": FakeFile(b"", 0)}
    source = HttpFile(hub.resolve_url(fake_hub.url, RepoId("org/x"), "empty"))
    assert source.read(0, 8) == b"" and source.size == 0


def test_http_file_refuses_a_read_of_the_weights(fake_hub: FakeHub) -> None:
    fake_hub.repos["org/x"] = {"f": FakeFile(b"", 10 * 2**30)}
    source = HttpFile(hub.resolve_url(fake_hub.url, RepoId("org/x"), "f"), name="org/x/f")
    with pytest.raises(LoadError, match=r"^org/x/f: a read of 1,073,741,824 bytes is asked for; a header is at most"):
        source.read(8, 2**30)
    assert fake_hub.seen == []


def test_http_file_of_a_missing_file(fake_hub: FakeHub) -> None:
    source = HttpFile(hub.resolve_url(fake_hub.url, RepoId(LLAMA), "nope.safetensors"), name="x/nope")
    assert not source.exists()
    with pytest.raises(LoadError, match=r"^x/nope: is not on the Hub \(404\)$"):
        source.read(0, 8)


@pytest.mark.parametrize(
    "content_range", ["bytes 0-7/*", "bytes 4-11/100", "bytes 0-99/100", "0-7/100", "bytes */*", None]
)
def test_http_file_refuses_a_bad_content_range(content_range: str | None) -> None:
    class Liar(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(206)
            if content_range:
                self.send_header("Content-Range", content_range)
            self.send_header("Content-Length", "8")
            self.end_headers()
            self.wfile.write(b"\0" * 8)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Liar)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    try:
        source = HttpFile(f"http://127.0.0.1:{server.server_address[1]}/f", name="f")
        with pytest.raises(LoadError, match=r"^f: the server (sent|answered)"):
            source.read(0, 8)
    finally:
        server.shutdown()
        server.server_close()


def test_http_file_refuses_a_url_that_is_not_http() -> None:
    with pytest.raises(LoadError, match=r"^f: file:///etc/passwd is not an http\(s\) URL; check HF_ENDPOINT$"):
        HttpFile("file:///etc/passwd", name="f").read(0, 8)
