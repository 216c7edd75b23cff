"""A HAR 1.2 recording of the proxy's traffic, streamed: after every exchange the file is whole
JSON, so a crash loses at most the exchange being written. Secrets are redacted."""

from __future__ import annotations

import base64
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson

from ._version import __version__
from .journal import utc
from .redaction import Redactor

TRAILER = b"\n]}}\n"
HEADER = (
    orjson.dumps(
        {"log": {"version": "1.2", "creator": {"name": "mka1-mock", "version": __version__}}}
    )[:-2]
    + b',"entries":['
)  # the open log, whose entries follow


class HarWriter:
    """Appends entries to a HAR file, keeping it a complete document after each one."""

    def __init__(self, path: Path, redactor: Redactor) -> None:
        self.path = path
        self.redactor = redactor
        self._file = path.open("wb")
        self._file.write(HEADER + TRAILER)
        self._file.flush()
        self._entries = 0
        self._lock = threading.Lock()

    def add(self, entry: dict[str, Any]) -> None:
        data = orjson.dumps(entry)
        with self._lock:
            self._file.seek(-len(TRAILER), 2)
            self._file.write((b",\n" if self._entries else b"\n") + data + TRAILER)
            self._file.flush()
            self._entries += 1

    def close(self) -> None:
        with self._lock:
            self._file.close()

    def entry(
        self,
        *,
        started: float,
        elapsed_ms: float,
        url: str,
        method: str,
        request_headers: list[tuple[str, str]],
        request_body: bytes | None,
        status: int,
        reason: str,
        response_headers: list[tuple[str, str]],
        raw_size: int,
        content: bytes | None,
        custom: dict[str, Any],
    ) -> dict[str, Any]:
        """One HAR entry; ``content`` is the response body decoded (None if it could not be)."""
        redact = self.redactor.headers
        headers = redact(request_headers)
        request: dict[str, Any] = {
            "method": method,
            "url": url,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _pairs(headers),
            "queryString": _pairs(parse_qsl(url.partition("?")[2], keep_blank_values=True)),
            "headersSize": -1,
            "bodySize": len(request_body or b""),
        }
        if request_body:
            request["postData"] = {"mimeType": _get(headers, "content-type"), **_text(request_body)}
        response_redacted = redact(response_headers)
        mime = _get(response_redacted, "content-type")
        body = {"size": len(content if content is not None else b""), "mimeType": mime}
        if content:
            body |= _text(content)
        return {
            "startedDateTime": utc(started),
            "time": round(elapsed_ms, 3),
            "request": request,
            "response": {
                "status": status,
                "statusText": reason,
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": _pairs(response_redacted),
                "content": body,
                "redirectURL": _get(response_redacted, "location"),
                "headersSize": -1,
                "bodySize": raw_size,
            },
            "cache": {},
            "timings": {"send": 0, "wait": round(elapsed_ms, 3), "receive": 0},
            **{f"_{key}": value for key, value in custom.items()},
        }


def _pairs(items: Any) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in items]


def _get(headers: list[tuple[str, str]], name: str) -> str:
    return next((value for key, value in headers if key.lower() == name), "")


def _text(data: bytes) -> dict[str, str]:
    """A body as HAR text: UTF-8 as is, anything else in base64."""
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"text": base64.b64encode(data).decode("ascii"), "encoding": "base64"}
