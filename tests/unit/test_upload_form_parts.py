"""The one-request upload's pieces that need no service: the streaming form parser, the spool's
limits, and the SSRF address checks of URL ingest."""

from __future__ import annotations

import io
import ipaddress

import httpx
import pytest

from pichr.api.form_parts import read_form
from pichr.application.imaging.sniff import UnsupportedMediaError
from pichr.application.uploads.guarded import TooLargeError
from pichr.application.uploads.url_fetch import FetchPolicy, checked_address, refused
from pichr.domain.errors import InvalidInputError

PNG = b"\x89PNG\r\n\x1a\n" + bytes(100)
BOUNDARY = "XyZ"
CTYPE = f"multipart/form-data; boundary={BOUNDARY}"


def part(name: str, value: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"


def form(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def parse(body: bytes, limit: int = 10_000) -> dict[str, object]:
    made = read_form(io.BytesIO(body), CTYPE, len(body), limit)
    try:
        spool = made.spool
        got = spool.read() if spool is not None else None
        return {"fields": made.fields, "file": got, "mime": spool.mime if spool else None}
    finally:
        made.close()


def test_fields_before_and_after_the_file_are_kept() -> None:
    body = form(part("title", b"T"), part("file", PNG, "a.png"), part("tags", b"x,y"))
    got = parse(body)
    assert got == {"fields": {"title": "T", "tags": "x,y"}, "file": PNG, "mime": "image/png"}


def test_unknown_text_fields_are_ignored() -> None:
    assert parse(form(part("file", PNG, "a.png"), part("colour", b"red")))["fields"] == {}


def test_two_files_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="one file"):
        parse(form(part("file", PNG, "a.png"), part("file", PNG, "b.png")))


def test_a_file_in_another_field_is_refused() -> None:
    with pytest.raises(InvalidInputError) as refused_:
        parse(form(part("image", PNG, "a.png")))
    assert refused_.value.details["field"] == "image"


def test_a_body_cut_short_is_refused() -> None:
    body = form(part("file", PNG, "a.png"))
    with pytest.raises(InvalidInputError, match="ends early"):
        parse(body[: len(body) - 20])


def test_not_multipart_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        read_form(io.BytesIO(PNG), "image/png", len(PNG), 10_000)


def test_the_limit_is_checked_while_the_file_arrives() -> None:
    with pytest.raises(TooLargeError):
        parse(form(part("file", PNG + bytes(5000), "a.png")), limit=1000)


def test_bytes_that_are_no_image_are_415() -> None:
    with pytest.raises(UnsupportedMediaError):
        parse(form(part("file", b"<html>" + bytes(64), "a.png")))


def test_a_nul_in_a_field_or_the_file_name_is_400() -> None:
    with pytest.raises(InvalidInputError) as in_title:
        parse(form(part("title", b"a\x00b"), part("file", PNG, "a.png")))
    assert in_title.value.details["field"] == "title"
    with pytest.raises(InvalidInputError) as in_name:
        parse(form(part("file", PNG, "a\x00.png")))
    assert in_name.value.details["field"] == "filename"


def test_an_empty_file_is_400() -> None:
    with pytest.raises(InvalidInputError, match="empty"):
        parse(form(part("file", b"", "a.png")))


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "192.168.0.1", "172.16.0.1", "::1", "::ffff:127.0.0.1", "fc00::1"],
)
def test_private_and_loopback_addresses_are_refused_unless_allowed(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert refused(ip)
    assert not refused(ip, allow_private=True)


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "fe80::1",
        "fd00:ec2::254",
        "100.100.100.200",
        "0.0.0.0",  # noqa: S104 (an address refused, not bound)
        "::",
        "224.0.0.1",
    ],
)
def test_link_local_and_metadata_addresses_are_always_refused(address: str) -> None:
    assert refused(ipaddress.ip_address(address), allow_private=True)


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert not refused(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/a.png",
        "http://[::1]:8080/a.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/a.png",
        "ftp://8.8.8.8/a.png",
        "file:///etc/passwd",
    ],
)
def test_urls_to_inside_the_network_are_refused_before_connecting(url: str) -> None:
    with pytest.raises(InvalidInputError) as refusal:
        checked_address(httpx.URL(url), FetchPolicy(limit=1000, timeout=1))
    assert refusal.value.details["field"] == "url"
