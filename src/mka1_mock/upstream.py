"""The proxy's upstream: our keep-alive pool (httpx's transport for what it does not do: HEAD,
``Expect``, upgrades), and its failures told plainly."""

from __future__ import annotations

import gzip
import socket
import ssl
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

try:
    import brotli  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    brotli = None

from .errors import ApiError, BadGateway, GatewayTimeout, StartupError
from .exchange import RawHeaders
from .transport import Origin, Pool

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
"""Headers of one connection (RFC 9110, 7.6.1), never forwarded."""


@dataclass
class Reply:
    """The upstream's response, as it came: status, headers and body bytes (still encoded)."""

    status: int
    headers: RawHeaders
    body: bytes
    reason: str

    def header(self, name: str) -> str | None:
        key = name.lower().encode("latin-1")
        for header, value in self.headers:
            if header.lower() == key:
                return value.decode("latin-1")
        return None

    def decoded(self) -> bytes:
        """The body with its Content-Encoding undone, for checking; Undecodable if it cannot
        be, because the encoding is one this proxy does not know or the body is not in it."""
        data = self.body
        codings = [c.strip().lower() for c in (self.header("content-encoding") or "").split(",")]
        for coding in reversed([c for c in codings if c and c != "identity"]):
            decode = DECODERS.get(coding)
            if decode is None:
                raise Undecodable(coding, broken=False)
            try:
                data = decode(data)
            except Exception:  # each library has its own error for a body not in its encoding
                raise Undecodable(coding, broken=True) from None
        return data


class Undecodable(Exception):
    """A body the proxy cannot decode for checking; ``broken``: it is not in its encoding."""

    def __init__(self, coding: str, broken: bool) -> None:
        super().__init__(coding)
        self.coding = coding
        self.broken = broken


def forwarded(headers: Sequence[tuple[bytes, bytes]], *drop: bytes) -> RawHeaders:
    """Headers as they came, without the hop-by-hop ones (and those Connection names)."""
    named = {b"connection"}
    for name, value in headers:
        if name.lower() == b"connection":
            named |= {token.strip().lower() for token in value.split(b",")}
    skip = {name.encode() for name in HOP_BY_HOP} | named | {name.lower() for name in drop}
    return [(name, value) for name, value in headers if name.lower() not in skip]


class Upstream:
    """One upstream server (e.g. ``https://apigw.mka1.com``), over a pool of connections.

    Not through httpx's client: its cookie jar would hand one client's cookies on to the next,
    and it follows redirects and merges URLs and headers of its own, where a proxy must pass
    requests on as they came. What the pool leaves aside (HEAD, Expect, Upgrade) goes through
    httpx's own transport.
    """

    def __init__(self, url: str, timeout: float = 30.0, ca: Path | None = None) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        base = httpx.URL(self.url)
        self._origin = Origin(base.scheme, base.host, base.port or DEFAULT_PORTS[base.scheme])
        self._prefix = base.raw_path.rstrip(b"/")
        self._host = base.netloc
        # Certificates are verified; a private CA is trusted only when given.
        try:
            context = ssl.create_default_context(cafile=ca) if ca else httpx.create_ssl_context()
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise StartupError(f"--upstream-ca {ca}: not a PEM file of CAs ({reason})") from None
        self.pool = Pool(context)
        self.fallback = httpx.AsyncHTTPTransport(verify=context)

    async def send(
        self, method: str, target: bytes, headers: Sequence[tuple[bytes, bytes]], body: bytes
    ) -> Reply:
        """Forward a request (``target``: the raw path and query); a 502 or 504 when it fails."""
        # Host and framing are this connection's, set for the upstream.
        outgoing = forwarded(headers, b"host", b"content-length")
        try:
            if method == "HEAD" or any(name.lower() in LEFT_ASIDE for name, _ in outgoing):
                return await self._send_aside(method, target, outgoing, body)
            head = [method.encode() + b" " + self._prefix + target + b" HTTP/1.1"]
            head.append(b"host: " + self._host)
            if body or method in ("POST", "PUT", "PATCH"):
                head.append(b"content-length: " + str(len(body)).encode())
            head += [name + b": " + value for name, value in outgoing]
            request = b"\r\n".join(head) + b"\r\n\r\n" + body
            status, reason, answer, raw = await self.pool.send(
                self._origin, request, self.timeout, self.timeout
            )
        except httpx.TimeoutException:
            raise GatewayTimeout(
                f"The upstream {self.url} did not answer within {self.timeout:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise _unreachable(self.url, exc) from None
        return Reply(status, answer, raw, reason)

    async def _send_aside(
        self, method: str, target: bytes, headers: RawHeaders, body: bytes
    ) -> Reply:
        path, _, query = (self._prefix + target).partition(b"?")
        url = httpx.URL(self.url).copy_with(raw_path=path + (b"?" + query if query else b""))
        request = httpx.Request(method, url, headers=headers, content=body)
        request.extensions["timeout"] = httpx.Timeout(self.timeout).as_dict()
        response = await self.fallback.handle_async_request(request)
        try:
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
        finally:
            await response.aclose()
        return Reply(response.status_code, list(response.headers.raw), raw, response.reason_phrase)

    async def close(self) -> None:
        await self.pool.aclose()
        await self.fallback.aclose()


DEFAULT_PORTS = {"http": 80, "https": 443}
LEFT_ASIDE = {b"expect", b"upgrade"}


def _unreachable(url: str, exc: httpx.HTTPError) -> ApiError:
    """A 502 that names the upstream and the cause in words."""
    causes = list(_chain(exc))
    if untrusted := [cause for cause in causes if isinstance(cause, ssl.SSLCertVerificationError)]:
        why = untrusted[0].verify_message or str(untrusted[0])
        if "mismatch" in why.lower():
            cause = f"its TLS certificate is not for {httpx.URL(url).host!r} ({why})"
        else:
            cause = f"its TLS certificate is not trusted ({why}); --upstream-ca FILE trusts a CA"
    elif tls := [cause for cause in causes if isinstance(cause, ssl.SSLError)]:
        cause = f"the TLS handshake failed ({tls[0]})"
    elif any(isinstance(cause, socket.gaierror) for cause in causes):
        cause = f"its host name {httpx.URL(url).host!r} does not resolve"
    elif any(isinstance(cause, ConnectionRefusedError) for cause in causes) or (
        "refused" in str(exc).lower()
    ):
        cause = "the connection was refused (is it running?)"
    elif isinstance(exc, httpx.RemoteProtocolError):
        cause = f"it broke the HTTP protocol ({exc})"
    else:
        cause = f"{type(exc).__name__}: {exc}"
    return BadGateway(f"The upstream {url} could not be reached: {cause}")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _inflate(data: bytes) -> bytes:
    """deflate as sent: zlib-wrapped, or raw (some servers send it so)."""
    try:
        return zlib.decompress(data)
    except zlib.error:
        return zlib.decompress(data, -zlib.MAX_WBITS)


DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.decompress,
    "x-gzip": gzip.decompress,
    "deflate": _inflate,
}
if brotli is not None:  # br is decoded for checking when the brotli package is there
    DECODERS["br"] = brotli.decompress
