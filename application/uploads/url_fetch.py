"""Fetching an image from a URL (the one-request upload's `url` field) without reaching inside the
network (SSRF): the name is resolved here and every address it resolves to must be public; the
connection goes to the checked address (the name stays in the Host header, the TLS SNI and the
certificate check), so a second resolution cannot swap it; each redirect is checked the same.
The body streams into a Spool under the plan's size limit and one deadline for the whole fetch.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import unquote

import httpx

from pichr.application.uploads.spool import Spool
from pichr.domain.errors import InvalidInputError

MAX_REDIRECTS = 3
CHUNK = 256 * 1024
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    limit: int  # bytes: the plan's size limit
    timeout: float  # seconds, for the whole fetch
    allow_private: bool = False  # PICHR_URL_INGEST_ALLOW_PRIVATE: tests only (see `refused`)


# Cloud metadata services outside the link-local range (AWS IPv6, Alibaba).
METADATA = frozenset(ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200"))


def refused(ip: Address, *, allow_private: bool = False) -> bool:
    """Not a public address. `allow_private` (tests) lets private and loopback ones through;
    link-local, metadata, unspecified, reserved and multicast addresses are always refused."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    never = ip.is_link_local or ip in METADATA or ip.is_unspecified or ip.is_multicast
    if never:
        return True
    if allow_private and (ip.is_private or ip.is_loopback):
        return False
    return not ip.is_global or ip.is_reserved


def checked_address(url: httpx.URL, policy: FetchPolicy) -> Address:
    """The address to connect to for `url`: 400 unless every address of its host is allowed."""
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidInputError("Only http and https URLs can be fetched.", field="url")
    try:
        found = socket.getaddrinfo(url.host, url.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise InvalidInputError("The URL's host does not resolve.", field="url") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found]
    if not addresses:
        raise InvalidInputError("The URL's host does not resolve.", field="url")
    if any(refused(ip, allow_private=policy.allow_private) for ip in addresses):
        raise InvalidInputError(
            "The URL points to a private, loopback or link-local address.", field="url"
        )
    return addresses[0]


def fetch_into(url: str, policy: FetchPolicy) -> Spool:
    """The image at `url` in a finished Spool (the caller closes it)."""
    deadline = time.monotonic() + policy.timeout
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise InvalidInputError("The URL is not valid.", field="url") from None
    with httpx.Client(trust_env=False, follow_redirects=False, verify=True) as client:
        for _ in range(MAX_REDIRECTS + 1):
            next_url = _get(client, target, policy, deadline)
            if isinstance(next_url, Spool):
                return next_url
            target = next_url
    raise InvalidInputError("The URL redirects too often.", field="url", maxRedirects=MAX_REDIRECTS)


def _get(
    client: httpx.Client, url: httpx.URL, policy: FetchPolicy, deadline: float
) -> Spool | httpx.URL:
    """One hop: the body in a Spool, or where it redirects to."""
    ip = checked_address(url, policy)
    host = url.netloc.decode("ascii")
    request = client.build_request(
        "GET",
        url.copy_with(host=str(ip)),
        headers={"Host": host, "Accept": "image/*", "User-Agent": "pichr-url-ingest"},
        extensions={"sni_hostname": url.host, "timeout": _timeout(deadline)},
    )
    try:
        response = client.send(request, stream=True)
        try:
            if response.is_redirect:
                return url.join(response.headers["location"])
            return _body(response, url, policy, deadline)
        finally:
            response.close()
    except httpx.TimeoutException:
        raise InvalidInputError("The URL did not answer in time.", field="url") from None
    except httpx.HTTPError as exc:
        raise InvalidInputError(
            "The URL could not be fetched.", field="url", reason=type(exc).__name__
        ) from None


def _body(response: httpx.Response, url: httpx.URL, policy: FetchPolicy, deadline: float) -> Spool:
    if response.status_code != 200:
        raise InvalidInputError(
            "The URL did not answer with an image.", field="url", status=response.status_code
        )
    name = unquote(url.path.rsplit("/", 1)[-1]).replace("\x00", "") or "image"
    spool = Spool(policy.limit, name, field="url")
    try:
        length = response.headers.get("content-length", "")
        spool.expect(int(length) if length.isdigit() else 0)  # too large: 413 before reading
        for chunk in response.iter_bytes(CHUNK):
            _in_time(deadline)
            spool.write(chunk)
        spool.finish()
    except BaseException:
        spool.close()
        raise
    return spool


def _timeout(deadline: float) -> dict[str, float]:
    left = max(0.001, deadline - time.monotonic())
    return {"connect": left, "read": left, "write": left, "pool": left}


def _in_time(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise InvalidInputError("The URL did not answer in time.", field="url")
