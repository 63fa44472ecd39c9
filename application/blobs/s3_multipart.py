"""Multipart uploads of the S3 blob store: S3's own multipart API, and presigned part URLs.

Clients PUT parts straight to S3 through presigned UploadPart URLs (the API never sees those
bytes). `upload_part` streams a part through the same kind of URL, so even a part that does
pass through this process is never held in memory.
"""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

import urllib3
from minio import Minio
from minio.datatypes import Part
from minio.error import S3Error

from pichr.application.blobs.multipart import (
    MultipartNotFoundError,
    OpenMultipart,
    PartInfo,
    bare_etag,
    check_part_number,
    parts_to_join,
)
from pichr.application.blobs.port import (
    BlobInfo,
    BlobNotFoundError,
    BlobStoreUnavailableError,
    Readable,
    TrackedBody,
    check_key,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

_CODE = re.compile(rb"<Code>([^<]+)</Code>")
_PART_PUT_URL_LIFETIME = timedelta(minutes=30)


class S3MultipartMixin:
    """Mixed into S3BlobStore, which provides the client, the bucket and the error mapping."""

    _client: Minio
    _bucket: str
    _http: urllib3.PoolManager

    def _errors(self, key: str) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError

    def _ensure_bucket(self) -> None:
        raise NotImplementedError

    def stat(self, key: str) -> BlobInfo:
        raise NotImplementedError

    def initiate_multipart(self, key: str) -> str:
        check_key(key)
        self._ensure_bucket()
        with self._errors(key):
            return self._client._create_multipart_upload(self._bucket, key, {})

    def upload_part(
        self, key: str, upload_id: str, number: int, body: Readable, length: int
    ) -> PartInfo:
        check_part_number(number)
        url = self._part_url(key, upload_id, number, _PART_PUT_URL_LIFETIME)
        tracked = TrackedBody(body, length)
        try:
            response = self._http.request(
                "PUT",
                url,
                body=cast("Any", tracked),  # urllib3 streams anything with read(n)
                headers={"Content-Length": str(length)},
                retries=False,  # a streamed body cannot be sent twice
            )
        except BaseException as exc:
            if tracked.error is not None:
                raise tracked.error from None  # the caller's own error, not the transport's
            if isinstance(exc, urllib3.exceptions.HTTPError):
                raise BlobStoreUnavailableError(f"S3 unreachable on {key!r}: {exc}") from exc
            raise
        if response.status != 200:
            self._part_refused(key, upload_id, response)
        return PartInfo(number, tracked.size, bare_etag(response.headers.get("ETag", "")))

    def _part_refused(self, key: str, upload_id: str, response: urllib3.BaseHTTPResponse) -> None:
        """Raise the server's own error for a part it refused."""
        found = _CODE.search(response.data or b"")
        code = found.group(1).decode() if found else f"HTTP {response.status}"
        if response.status >= 500:
            # Some servers (moto) answer 500, not NoSuchUpload, for a closed upload: ask. Only
            # that answer counts: a server without ListParts (s3rver) must not hide its error.
            with contextlib.suppress(BlobStoreUnavailableError, BlobNotFoundError):
                self.list_parts(key, upload_id)
        with self._errors(key):
            raise _s3_error(code, key, response)

    def list_parts(self, key: str, upload_id: str) -> list[PartInfo]:
        check_key(key)
        parts: list[PartInfo] = []
        marker: str | None = None
        while True:
            with self._errors(key):
                page = self._client._list_parts(
                    self._bucket, key, upload_id, part_number_marker=marker
                )
            parts += [PartInfo(p.part_number, p.size or 0, bare_etag(p.etag)) for p in page.parts]
            if not page.is_truncated or not page.next_part_number_marker:
                return sorted(parts, key=lambda p: p.number)
            marker = page.next_part_number_marker

    def complete_multipart(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> BlobInfo:
        # The same checks as the other adapters, whatever this S3 server enforces itself.
        stored = {p.number: p for p in self.list_parts(key, upload_id)}
        chosen = parts_to_join(parts, stored)
        with self._errors(key):
            self._client._complete_multipart_upload(
                self._bucket, key, upload_id, [Part(p.number, p.etag) for p in chosen]
            )
        return self.stat(key)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        check_key(key)
        try:
            with self._errors(key):
                self._client._abort_multipart_upload(self._bucket, key, upload_id)
        except MultipartNotFoundError:
            return

    def multipart_uploads(self, prefix: str = "") -> Iterator[OpenMultipart]:
        key_marker: str | None = None
        id_marker: str | None = None
        while True:
            with self._errors(prefix):
                page = self._client._list_multipart_uploads(
                    self._bucket, prefix=prefix, key_marker=key_marker, upload_id_marker=id_marker
                )
            for upload in page.uploads:
                if upload.upload_id and upload.initiated_time:
                    yield OpenMultipart(upload.object_name, upload.upload_id, upload.initiated_time)
            if not page.is_truncated or not page.uploads:
                return
            # minio does not parse NextUploadIdMarker; the last entry is the same marker.
            key_marker, id_marker = page.uploads[-1].object_name, page.uploads[-1].upload_id

    def presigned_part_url(
        self, key: str, upload_id: str, number: int, expires: timedelta
    ) -> str | None:
        return self._part_url(key, upload_id, number, expires)

    def _part_url(self, key: str, upload_id: str, number: int, expires: timedelta) -> str:
        check_key(key)
        check_part_number(number)
        params: dict[str, str | list[str] | tuple[str]] = {
            "uploadId": upload_id,
            "partNumber": str(number),
        }
        return self._client.get_presigned_url(
            "PUT", self._bucket, key, expires=expires, extra_query_params=params
        )


def _s3_error(code: str, key: str, response: urllib3.BaseHTTPResponse) -> Exception:
    return S3Error(response, code, f"{code} on part upload", key, None, None, None)
