"""HuggingFace repo ids: the local cache first, then the Hub, reading headers only.

``ORG/NAME``, ``ORG/NAME@REVISION`` and ``hf://ORG/NAME[@REVISION]`` name a model repo. It is
looked up in the HuggingFace cache (the folder layout huggingface_hub writes:
``models--ORG--NAME/refs/REV`` holds a commit hash, ``snapshots/HASH/`` the files), and, unless
``HF_HUB_OFFLINE=1``, on the Hub (``HF_ENDPOINT``, ``HF_TOKEN``): ``config.json``, the
``model.safetensors.index.json`` (else ``model.safetensors``), and of each shard only its header,
in two HTTP range reads (8 bytes, then the header length). The weights are never downloaded: a
server that ignores ranges is read only as far as the bytes asked for, then the connection is
closed.

The standard library's urllib does all of it (three kinds of GET with a Range header, redirects,
a bearer token), so ``huggingface_hub`` and its dependencies are not needed; urllib is imported
only when the Hub is asked, so parsing a repo id or finding it in the cache costs nothing.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from paramcalc.errors import LoadError, show
from paramcalc.weights.remote import HttpFile

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_REVISION = "main"
CONFIG = "config.json"
INDEX = "model.safetensors.index.json"
SINGLE = "model.safetensors"
PREFIXES = ("hf://", "hf:")  # hf: is what paramcalc's messages named before repo ids were read
MAX_JSON_BYTES = 64 * 2**20  # config.json is a few kB; the index of DeepSeek-V3 (91k tensors) is about 9 MB
MAX_PREFETCH_BYTES = 16 * 2**20  # headers read ahead: the cap of paramcalc's safetensors reader
MAX_SHARDS = 4096  # DeepSeek-V3 has 163 shards
MAX_REPO_ID = 96  # huggingface_hub's validate_repo_id
MAX_REVISION = 255
MAX_REF_BYTES = 256  # a refs/REV file holds a 40-digit commit hash
WORKERS = 8  # shards whose headers are read at the same time
HEADER_LENGTH_BYTES = 8  # safetensors: a little-endian u64, then that many bytes of JSON

# huggingface_hub's rule: [\w.-] parts that start and end with a letter, digit or _, no '--' or '..'
_PART = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?"
_REPO = re.compile(rf"({_PART})/({_PART})")
_REVISION = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_./-]*")
_HASH = re.compile(r"[0-9a-f]{40}")
_FILE_SUFFIXES = (".yaml", ".yml", ".json", ".safetensors", ".gguf", ".bin", ".pt", ".pth")
_TRUE = ("1", "on", "yes", "true")


class RepoId(NamedTuple):
    """A model repo on the Hub: ``ORG/NAME`` and the revision asked for (None: main)."""

    repo_id: str
    revision: str | None = None

    @property
    def rev(self) -> str:
        return self.revision or DEFAULT_REVISION

    def __str__(self) -> str:
        return f"{self.repo_id}@{self.revision}" if self.revision else self.repo_id


def _invalid(repo_id: str, revision: str | None) -> str | None:
    """Why `repo_id` (and `revision`) cannot be a repo on the Hub; None if they can."""
    if len(repo_id) > MAX_REPO_ID:
        return f"a repo id is at most {MAX_REPO_ID} characters"
    if not _REPO.fullmatch(repo_id):
        return "a repo id is ORG/NAME: letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
    if "--" in repo_id or ".." in repo_id:
        return "a repo id holds no '--' or '..'"
    if revision is not None:
        bad = (
            len(revision) > MAX_REVISION
            or not _REVISION.fullmatch(revision)
            or ".." in revision
            or "//" in revision
            or revision.endswith("/")
        )
        if bad:
            return f"'{revision}' is not a revision: a branch, tag or commit hash (letters, digits, '-', '_', '.', '/')"
    return None


def parse_repo_id(text: str) -> RepoId | None:
    """``ORG/NAME``, ``ORG/NAME@REV``, ``hf://ORG/NAME[@REV]`` -> RepoId; None for anything else.

    Without the ``hf://`` prefix a text is a repo id only if nothing exists at that path and it
    does not look like one (``./x``, ``/x``, ``a/b/c``, ``x/config.yaml``): a path stays a path.
    With the prefix it must be a repo id, and a malformed one is a LoadError saying why.
    """
    explicit = next((p for p in PREFIXES if text.lower().startswith(p)), None)
    body = text[len(explicit) :] if explicit else text
    repo_id, at, revision = body.partition("@")
    rev = revision if at else None
    reason = _invalid(repo_id, rev)
    if explicit:
        if reason is not None:
            raise LoadError(text, f"is not a HuggingFace repo id: {reason}")
        return RepoId(repo_id, rev)
    if reason is not None or repo_id.lower().endswith(_FILE_SUFFIXES) or os.path.lexists(text):
        return None
    return RepoId(repo_id, rev)


def hub_offline() -> bool:
    """HF_HUB_OFFLINE set to 1 (or on, yes, true), as huggingface_hub reads it."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


def cache_dir() -> Path:
    """The HuggingFace hub cache: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub
    (XDG_CACHE_HOME in place of ~/.cache where set), as huggingface_hub finds it."""
    env = os.environ
    if env.get("HF_HUB_CACHE"):
        return Path(env["HF_HUB_CACHE"]).expanduser()
    if env.get("HF_HOME"):
        return Path(env["HF_HOME"]).expanduser() / "hub"
    base = Path(env["XDG_CACHE_HOME"]).expanduser() if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "huggingface" / "hub"


def repo_folder(repo: RepoId, cache: Path | None = None) -> Path:
    """Where the cache keeps a model repo: ``models--ORG--NAME``."""
    return (cache or cache_dir()) / ("models--" + repo.repo_id.replace("/", "--"))


def cached_snapshot(repo: RepoId, cache: Path | None = None) -> Path | None:
    """The snapshot folder of `repo` at its revision in the cache, or None if it is not there.

    A branch or tag is looked up in ``refs/REV`` (a file holding the commit hash); a revision
    that is a commit hash names ``snapshots/HASH`` directly. The files in a snapshot are symlinks
    into ``blobs/``; a file not downloaded is simply absent.
    """
    folder = repo_folder(repo, cache)
    rev = repo.rev
    if _HASH.fullmatch(rev):
        commit = rev
    else:
        ref = folder / "refs" / rev
        try:
            with ref.open("rb") as handle:
                text = handle.read(MAX_REF_BYTES + 1)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except OSError as exc:
            raise LoadError(str(ref), f"cannot be read: {exc.strerror or exc}") from None
        commit = text.decode("ascii", "replace").strip()
        if not _HASH.fullmatch(commit):
            raise LoadError(
                str(ref), "does not hold a commit hash (40 hex digits): the cache is damaged; download the repo again"
            )
    snapshot = folder / "snapshots" / commit
    return snapshot if snapshot.is_dir() else None


def snapshot_has_weights(snapshot: Path) -> bool:
    """Whether a snapshot holds its safetensors weights: every shard its index names, else
    model.safetensors (a download of config.json alone holds none)."""
    index = snapshot / INDEX
    if index.is_file():
        try:
            if index.stat().st_size > MAX_JSON_BYTES:
                return False  # the folder reader refuses it, with its own message
            shards = _shard_names(_json(index.read_bytes(), str(index), "index"), str(index))
        except (LoadError, OSError):
            return False
        return all((snapshot / shard).is_file() for shard in shards)
    return (snapshot / SINGLE).is_file()


def open_repo(repo: RepoId) -> Path | RemoteRepo:
    """Where to read `repo` from: its cached snapshot (a folder, read like any folder of weights),
    or its files on the Hub (config and shard headers only).

    The cache wins when its snapshot holds the weights, or when HF_HUB_OFFLINE=1 (then a
    snapshot holding only config.json is what there is). Offline and not cached is a LoadError
    that says how to get it.
    """
    snapshot = cached_snapshot(repo)
    offline = hub_offline()
    if snapshot is not None and (offline or snapshot_has_weights(snapshot)):
        return snapshot
    if offline:
        rev = f" --revision {repo.revision}" if repo.revision else ""
        raise LoadError(
            str(repo),
            f"is not in the HuggingFace cache ({cache_dir()}) and HF_HUB_OFFLINE=1: run "
            f"`huggingface-cli download {repo.repo_id}{rev} {CONFIG}` or unset HF_HUB_OFFLINE",
        )
    return hub_files(repo)


@dataclass(frozen=True)
class RemoteRepo:
    """What the Hub holds of a repo, read so far: its config and index (parsed JSON, or None
    where the repo has none) and its safetensors shards as byte sources (headers already read
    ahead; reading them again costs no request)."""

    repo: RepoId
    endpoint: str
    commit: str | None
    config: dict[str, Any] | None
    index: dict[str, Any] | None
    shards: list[HttpFile]

    @property
    def files(self) -> list[str]:
        return [shard.name for shard in self.shards]


def hub_endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def hub_token() -> str | None:
    return os.environ.get("HF_TOKEN", "").strip() or None


def resolve_url(endpoint: str, repo: RepoId, filename: str, revision: str | None = None) -> str:
    """``{endpoint}/{ORG/NAME}/resolve/{revision}/{file}``, quoted as huggingface_hub quotes it."""
    from urllib.parse import quote

    return f"{endpoint}/{repo.repo_id}/resolve/{quote(revision or repo.rev, safe='')}/{quote(filename)}"


def hub_files(
    repo: RepoId, endpoint: str | None = None, token: str | None = None, workers: int = WORKERS
) -> RemoteRepo:
    """Read `repo` from the Hub: config.json, the index (else model.safetensors), and the header
    of each shard (two range reads each, `workers` shards at a time). Later files are read at the
    commit the first answer names (X-Repo-Commit), so a push in between cannot mix revisions."""
    endpoint = (endpoint or hub_endpoint()).rstrip("/")
    token = token if token is not None else hub_token()
    label = str(repo)

    def source(filename: str, revision: str | None) -> HttpFile:
        url = resolve_url(endpoint, repo, filename, revision)
        return HttpFile(url, token, name=f"{label}/{filename}", repo=label)

    first = source(CONFIG, None)
    config_bytes = first.fetch_small(MAX_JSON_BYTES)
    commit = _commit(first.commit)
    config = None if config_bytes is None else _json(config_bytes, first.name, "config")
    index_file = source(INDEX, commit)
    index_bytes = index_file.fetch_small(MAX_JSON_BYTES)
    commit = commit or _commit(index_file.commit)
    index = None if index_bytes is None else _json(index_bytes, index_file.name, "index")
    if index is not None:
        shards = [source(name, commit) for name in _shard_names(index, index_file.name)]
    else:
        single = source(SINGLE, commit)
        shards = [single] if single.exists() else []
        commit = commit or _commit(single.commit)
    if config is None and not shards:
        raise LoadError(
            label,
            f"nothing to read at {endpoint}/{repo.repo_id} (revision {repo.rev}): no {CONFIG}, "
            f"no {INDEX}, no {SINGLE}; check the repo id and revision",
        )
    prefetch_headers(shards, workers)
    return RemoteRepo(repo, endpoint, commit, config, index, shards)


def _commit(value: str | None) -> str | None:
    """The commit hash an answer named (X-Repo-Commit), if it is one: it goes into later URLs."""
    return value if value is not None and _HASH.fullmatch(value) else None


def prefetch_headers(shards: Sequence[HttpFile], workers: int = WORKERS) -> None:
    """Read each shard's safetensors header ahead, `workers` at a time: its 8-byte length, then
    the header (skipped when the length is absurd: the reader then refuses it with its own
    message). The bytes stay in the HttpFile, so the reader's own reads cost no request."""

    def one(shard: HttpFile) -> None:
        head = shard.read(0, HEADER_LENGTH_BYTES)
        if len(head) == HEADER_LENGTH_BYTES:
            length = int.from_bytes(head, "little")
            if 0 < length <= MAX_PREFETCH_BYTES and HEADER_LENGTH_BYTES + length <= shard.size:
                shard.read(HEADER_LENGTH_BYTES, length)

    if workers <= 1 or len(shards) <= 1:
        for shard in shards:
            one(shard)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(workers, len(shards))) as pool:
        list(pool.map(one, shards))  # re-raises the first shard's LoadError, in shard order


def _json(data: bytes, name: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise LoadError(name, f"is not UTF-8 text (byte {exc.start}), not a JSON {what}") from None
    except (ValueError, RecursionError) as exc:
        raise LoadError(name, f"is not valid JSON ({str(exc)[:80]})") from None
    if not isinstance(value, dict):
        raise LoadError(name, f"holds a JSON {type(value).__name__}, not an object: not a {what}")
    return value


def _shard_names(index: dict[str, Any], name: str) -> list[str]:
    """The shard files an index's weight_map names, sorted, each checked to be a plain relative
    .safetensors path (no '..', no absolute path) before it is put into a URL or a path."""
    weight_map = index.get("weight_map")
    if not isinstance(weight_map, dict) or not weight_map:
        raise LoadError(name, "has no weight_map object (tensor name -> shard file)")
    for value in weight_map.values():
        if not isinstance(value, str):
            raise LoadError(name, f"names the shard {show(value)}: not a file name")
    shards = set(weight_map.values())
    if len(shards) > MAX_SHARDS:
        raise LoadError(name, f"names {len(shards):,} shard files; at most {MAX_SHARDS:,} are read")
    for shard in shards:
        parts = shard.split("/")
        if (
            not shard.endswith(".safetensors")
            or any(part in ("", ".", "..") for part in parts)
            or "\\" in shard
            or not shard.isprintable()
        ):
            raise LoadError(name, f"names the shard {show(shard)}: not a .safetensors file inside the repo")
    return sorted(shards)
