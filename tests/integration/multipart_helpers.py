"""A multipart upload client for the HTTP tests: init, parts, status, complete."""

from __future__ import annotations

import functools
import io
import os
import time
from typing import Any

import httpx
from PIL import Image

from tests.integration.server import Account

MiB = 1024 * 1024
PART = 5 * MiB


@functools.cache
def noise_png(side: int = 1450) -> bytes:
    """A real, decodable PNG of noise; the default is a little over 6 MiB (two 5 MiB parts)."""
    img = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=0)
    return buf.getvalue()


def init(
    client: httpx.Client, who: Account | None, data: bytes, part_size: int = PART, **fields: Any
) -> httpx.Response:
    body = {"filename": "big.png", "mime": "image/png", "totalBytes": len(data)}
    body |= {"partSize": part_size, **fields}
    return client.post("/api/v1/upload/multipart/init", json=body, headers=_auth(who))


def started(client: httpx.Client, who: Account, data: bytes, **fields: Any) -> dict[str, Any]:
    response = init(client, who, data, **fields)
    assert response.status_code == 200, response.text
    made: dict[str, Any] = response.json()
    return made


def chunk_of(made: dict[str, Any], data: bytes, number: int) -> bytes:
    size = made["partSize"]
    return data[(number - 1) * size : number * size]


def put_part(
    client: httpx.Client,
    who: Account | None,
    url: str,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """PUT a part to its URL: this server's route (with the key) or the store's presigned URL
    (with no credentials at all)."""
    sent = {"Content-Type": "application/octet-stream", **(headers or {})}
    if url.startswith(("/", str(client.base_url).rstrip("/"))):
        sent |= _auth(who)
    return client.put(url, content=body, headers=sent)


def send_parts(
    client: httpx.Client,
    who: Account,
    made: dict[str, Any],
    data: bytes,
    *,
    numbers: list[int] | None = None,
    urls: dict[int, str] | None = None,
) -> list[dict[str, Any]]:
    """Send the parts (all by default); `{partNumber, etag}` of each, as complete wants them."""
    urls = urls or {p["partNumber"]: p["uploadUrl"] for p in made["parts"]}
    sent = []
    for number in numbers or sorted(urls):
        response = put_part(client, who, urls[number], chunk_of(made, data, number))
        assert response.status_code == 200, response.text
        sent.append({"partNumber": number, "etag": response.headers["ETag"].strip('"')})
    return sent


def status(client: httpx.Client, who: Account | None, upload_id: str) -> httpx.Response:
    return client.get(f"/api/v1/upload/multipart/{upload_id}", headers=_auth(who))


def complete(
    client: httpx.Client,
    who: Account | None,
    made: dict[str, Any],
    parts: list[dict[str, Any]],
    **extra: Any,
) -> httpx.Response:
    body = {"uploadId": made["uploadId"], "fileId": made["fileId"], "parts": parts, **extra}
    return client.post("/api/v1/upload/multipart/complete", json=body, headers=_auth(who))


def abort(client: httpx.Client, who: Account | None, upload_id: str) -> httpx.Response:
    return client.delete(f"/api/v1/upload/multipart/{upload_id}", headers=_auth(who))


def finalize(client: httpx.Client, who: Account, made: dict[str, Any]) -> httpx.Response:
    body = {"uploadId": made["uploadId"], "fileId": made["fileId"]}
    return client.post("/api/v1/upload/finalize", json=body, headers=who.headers, timeout=60)


def analyzed(client: httpx.Client, who: Account, finalized: httpx.Response) -> None:
    """After a finalize: when it answered 202 (analysis still running, the contract allows it
    under load), wait until the record is ready, so that its bytes are served."""
    if finalized.status_code != 202:
        return
    file_id = finalized.json()["fileId"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        record = client.get(f"/api/v1/files/{file_id}", headers=who.headers).json()
        if record["status"] != "processing":
            return
        time.sleep(0.2)
    raise AssertionError("the upload stayed processing for 60 s")


def _auth(who: Account | None) -> dict[str, str]:
    return who.headers if who is not None else {}
