"""Files on an HTTP server read by byte range: the ByteSource of a shard on the Hub.

Only the standard library (urllib, imported when a first read is made). Each read asks for the
bytes wanted (``Range: bytes=a-b``), checks the 206 and its Content-Range, and takes no more than
it asked for, whatever the server sends: a server that ignores ranges cannot make paramcalc
download a 5 GB file. A bearer token goes to the URL's own origin only.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from paramcalc.errors import LoadError

if TYPE_CHECKING:
    import urllib.request
    from http.client import HTTPMessage

TIMEOUT_S = 10.0  # per connection and per read of a socket (urllib's timeout), not for the whole repo
MAX_READ_BYTES = 64 * 2**20  # any one range read: a header or a small JSON file, never the weights
MAX_REDIRECTS = 5  # the Hub redirects a weight file once, to its CDN
LEADING_BYTES = 8  # what exists() and size read first: a safetensors header's length
USER_AGENT = "paramcalc (headers only)"
_CONTENT_RANGE = re.compile(r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)")


class HttpFile:
    """A file on an HTTP server read by range (``Range: bytes=a-b``), as a ByteSource.

    Its size is the total of the first answer's Content-Range. Each read asks for exactly the
    bytes wanted and takes at most that many, whatever the server sends; bytes read once are kept
    (headers are small) and served again without a request. After a redirect (the Hub sends a
    weight file to its CDN) later reads go straight to where it led. The token is sent as
    ``Authorization: Bearer`` to the URL's own host only, never on to another host.
    """

    def __init__(self, url: str, token: str | None = None, name: str | None = None, repo: str | None = None) -> None:
        self.url = url
        self.token = token
        self._name = name or url
        self._repo = repo or self._name
        self._size: int | None = None
        self._chunks: list[tuple[int, bytes]] = []
        self.commit: str | None = None  # X-Repo-Commit of the Hub's answer
        self.requests = 0
        self.received = 0

    @property
    def name(self) -> str:
        return self._name

    @property
    def size(self) -> int:
        if self._size is None:
            self.read(0, LEADING_BYTES)
        if self._size is None:
            raise LoadError(self._name, "the server did not say the size of the file (no Content-Range total)")
        return self._size

    def exists(self) -> bool:
        """Whether the server has the file (a first read of its 8 leading bytes, kept)."""
        return bool(self._chunks) or self._get(0, LEADING_BYTES, missing_ok=True) is not None

    def fetch_small(self, limit: int) -> bytes | None:
        """The whole of a small file (config.json, the index), at most `limit` bytes; None when the
        repo does not have it. Larger is a LoadError, found out without downloading it."""
        data = self._get(0, limit + 1, missing_ok=True)
        if data is None:
            return None
        if len(data) > limit or (self._size is not None and self._size > limit):
            raise LoadError(self._name, f"is {self._size or len(data):,} bytes; at most {limit:,} are read")
        return data

    def read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0:
            raise ValueError(f"read({offset}, {length})")
        if length == 0 or (self._size is not None and offset >= self._size):
            return b""
        for start, chunk in self._chunks:
            end = start + len(chunk)
            if start <= offset and (offset + length <= end or end == self._size):
                return chunk[offset - start : offset - start + length]
        if length > MAX_READ_BYTES:
            raise LoadError(
                self._name, f"a read of {length:,} bytes is asked for; a header is at most {MAX_READ_BYTES:,}"
            )
        data = self._get(offset, length, missing_ok=False)
        assert data is not None  # noqa: S101 (missing_ok=False raises instead)
        return data

    def _get(self, offset: int, length: int, missing_ok: bool) -> bytes | None:
        """One GET of bytes offset..offset+length-1; None for a missing file when `missing_ok`."""
        import http.client
        import urllib.error
        import urllib.request

        request = urllib.request.Request(  # noqa: S310 (the scheme is checked: http or https only)
            self.url, headers={"Range": f"bytes={offset}-{offset + length - 1}", "User-Agent": USER_AGENT}
        )
        if not self.url.lower().startswith(("http://", "https://")):
            raise LoadError(self._name, f"{self.url} is not an http(s) URL; check HF_ENDPOINT")
        if self.token:
            request.add_unredirected_header("Authorization", f"Bearer {self.token}")
        self.requests += 1
        try:
            with _opener().open(request, timeout=TIMEOUT_S) as answer:
                data = self._take(answer, offset, length)
                self._follow(answer.geturl())
                self.commit = self.commit or answer.headers.get("X-Repo-Commit")
        except LoadError:
            raise
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 416:  # the range starts at or after the end: learn the size from */total
                self._size = _content_range(exc.headers.get("Content-Range"), self._name)[2]
                return b""
            if exc.code == 404 and exc.headers.get("X-Error-Code") not in ("RepoNotFound", "RevisionNotFound"):
                if missing_ok:
                    return None
                raise LoadError(self._name, "is not on the Hub (404)") from None
            raise LoadError(*self._refused(exc.code, exc.headers.get("X-Error-Code"))) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise LoadError(self._repo, f"no answer from {_origin(self.url)} within {TIMEOUT_S:g} s") from None
            raise LoadError(
                self._repo,
                f"cannot reach {_origin(self.url)} ({exc.reason}): check the network and HF_ENDPOINT, "
                "or set HF_HUB_OFFLINE=1 to read only the HuggingFace cache",
            ) from None
        except TimeoutError:
            raise LoadError(self._repo, f"no answer from {_origin(self.url)} within {TIMEOUT_S:g} s") from None
        except (OSError, http.client.HTTPException) as exc:
            raise LoadError(self._name, f"the connection to {_origin(self.url)} failed ({exc!r:.80})") from None
        self._chunks.append((offset, data))
        self.received += len(data)
        return data

    def _take(self, answer: Any, offset: int, length: int) -> bytes:
        """The bytes asked for from an answer, reading no more than that many."""
        status = answer.status
        if status == 206:
            start, end, total = _content_range(answer.headers.get("Content-Range"), self._name)
            if start != offset or end is None or end < start or end > offset + length - 1:
                raise LoadError(self._name, f"the server sent bytes {start}-{end} when asked for {offset}-")
            self._size = total
            data = _read_at_most(answer, end - start + 1)
            if len(data) < end - start + 1:
                raise LoadError(self._name, f"the connection closed after {len(data):,} of {end - start + 1:,} bytes")
            return data
        if status == 200:  # the server ignores ranges: the body is the whole file, read only its start
            if offset > LEADING_BYTES:
                raise LoadError(self._name, "the server ignores range requests; reading on would download the file")
            size = answer.headers.get("Content-Length")
            self._size = int(size) if size is not None and size.isdigit() else None
            body = _read_at_most(answer, offset + length)
            if self._size is None and len(body) < offset + length:
                self._size = len(body)
            return body[offset:]
        raise LoadError(self._name, f"the server answered {status}, not 206 Partial Content")

    def _follow(self, final_url: str) -> None:
        """Read from where a redirect led from now on; a token stays with its own host."""
        if final_url and final_url != self.url:
            if _origin(final_url) != _origin(self.url):
                self.token = None
            self.url = final_url

    def _refused(self, status: int, code: str | None) -> tuple[str, str]:
        """(source, reason) of an answer that refuses: `code` is the Hub's X-Error-Code."""
        where = _origin(self.url)
        if code == "RevisionNotFound":
            return self._repo, "no such revision on the Hub (404); check the branch, tag or commit after '@'"
        if code == "RepoNotFound" or (status == 401 and self.token):
            extra = "; HF_TOKEN was sent: check that it is valid" if self.token else ": set HF_TOKEN if it is private"
            return self._repo, f"no such repo on the Hub, or no access to it ({status}){extra}"
        if status == 401:
            return self._repo, f"{where} asks for a token (the repo is gated or private): set HF_TOKEN"
        if status == 403:
            if code == "GatedRepo":
                return self._repo, "is gated: accept its conditions on the Hub with the account whose token is HF_TOKEN"
            return self._repo, f"{where} refused access (403){'' if self.token else ': set HF_TOKEN'}"
        return self._name, f"{where} answered {status}; try again later"


def _read_at_most(answer: Any, limit: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < limit:
        part = answer.read(limit - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _content_range(value: str | None, name: str) -> tuple[int | None, int | None, int]:
    """'bytes a-b/total' (or 'bytes */total') -> (a, b, total); anything else is a LoadError."""
    match = _CONTENT_RANGE.fullmatch((value or "").strip())
    if match is None or match.group(3) == "*":
        raise LoadError(name, f"the server sent no usable Content-Range ({value!r:.60}); its size is unknown")
    start, end, total = match.groups()
    return (int(start) if start else None), (int(end) if end else None), int(total)


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


_OPENER: list[urllib.request.OpenerDirector] = []


def _opener() -> urllib.request.OpenerDirector:
    """urllib's opener with a redirect rule of our own: at most MAX_REDIRECTS, http(s) only, and the
    Authorization header kept on the same origin only (urllib drops unredirected headers always)."""
    if _OPENER:
        return _OPENER[0]
    import urllib.error
    import urllib.request

    class Redirect(urllib.request.HTTPRedirectHandler):
        max_redirections = MAX_REDIRECTS

        def redirect_request(
            self,
            req: urllib.request.Request,
            fp: Any,
            code: int,
            msg: str,
            headers: HTTPMessage,
            newurl: str,
        ) -> urllib.request.Request | None:
            if not newurl.lower().startswith(("http://", "https://")):
                raise urllib.error.HTTPError(newurl, code, "redirect to a URL that is not http(s)", headers, fp)
            new = super().redirect_request(req, fp, code, msg, headers, newurl)
            auth = req.unredirected_hdrs.get("Authorization")
            if new is not None and auth and _origin(newurl) == _origin(req.full_url):
                new.add_unredirected_header("Authorization", auth)
            return new

    _OPENER.append(urllib.request.build_opener(Redirect))
    return _OPENER[0]
