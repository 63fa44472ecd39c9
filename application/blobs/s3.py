"""S3 blob store (MinIO, R2, AWS S3, moto) on the `minio` client."""

from __future__ import annotations

import contextlib
import os
import threading
from typing import TYPE_CHECKING, BinaryIO, cast

import certifi
import urllib3
from minio import Minio
from minio.error import MinioException, S3Error

from pichr.application.blobs.multipart import BlobEntry, MultipartNotFoundError, PartsMismatchError
from pichr.application.blobs.port import (
    DEFAULT_CHUNK_SIZE,
    BlobInfo,
    BlobNotFoundError,
    BlobStoreUnavailableError,
    Readable,
    TrackedBody,
    check_key,
    check_range,
)
from pichr.application.blobs.s3_multipart import S3MultipartMixin

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import timedelta

    from urllib3 import BaseHTTPResponse

MiB = 1024 * 1024
MIN_PART_SIZE = 5 * MiB  # S3's minimum; 50 GB objects when the length is unknown
MAX_PARTS = 10_000  # S3's maximum
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchBucket"})
_PART_CODES = frozenset({"InvalidPart", "InvalidPartOrder", "EntityTooSmall"})


class S3BlobStore(S3MultipartMixin):
    def __init__(
        self,
        endpoint: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        *,
        region: str = "us-east-1",
        secure: bool = False,
    ) -> None:
        # With the region given minio never asks the server for it: constructing is offline.
        self._http = _http_client()
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            region=region,
            secure=secure,
            http_client=self._http,
        )
        self._bucket = bucket
        self._region = region
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    def put(self, key: str, body: Readable, length: int | None = None) -> BlobInfo:
        check_key(key)
        self._ensure_bucket()
        tracked = TrackedBody(body, length)
        # Unknown length: minio holds three part-sized buffers at once (it appends a look-ahead
        # byte and slices it off again). Known length: one part in flight plus the one being
        # read. Either way parts are as small as S3 allows, so memory stays flat.
        size = length or -1  # a declared 0 reads to the end too, so TrackedBody sees extra bytes
        try:
            with self._errors(key):
                result = self._client.put_object(
                    self._bucket,
                    key,
                    cast("BinaryIO", tracked),  # minio only ever calls read(n)
                    size,
                    part_size=part_size(size),
                    # Parallel parts would each hold a part in memory; one at a time stays flat.
                    num_parallel_uploads=1,
                )
        except BaseException as exc:
            # minio aborts the multipart upload and re-raises, but a failed abort (or our error
            # mapping) may have replaced the body's exception: the caller must see its own.
            if tracked.error is not None and exc is not tracked.error:
                raise tracked.error  # noqa: B904  # re-raising the original, not a new error
            if isinstance(exc, BlobNotFoundError):
                # The bucket vanished; the body is consumed, so only the caller can retry.
                raise BlobStoreUnavailableError(f"bucket {self._bucket} is gone") from exc
            raise
        return BlobInfo(key=key, size=tracked.size, etag=result.etag or "")

    def stat(self, key: str) -> BlobInfo:
        check_key(key)
        with self._errors(key):
            obj = self._client.stat_object(self._bucket, key)
        return BlobInfo(key=key, size=obj.size or 0, etag=obj.etag or "")

    def read(
        self,
        key: str,
        offset: int = 0,
        length: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> Iterator[bytes]:
        check_key(key)
        check_range(offset, length, chunk_size)
        if length == 0:  # minio reads length=0 as "to the end"
            self.stat(key)
            return iter(())
        with self._errors(key):
            try:
                response = self._client.get_object(self._bucket, key, offset, length or 0)
            except S3Error as exc:
                # The object exists but the range starts at or past its end: nothing to stream.
                if exc.code == "InvalidRange":
                    return iter(())
                raise
        return self._stream(response, key, chunk_size)

    def delete(self, key: str) -> None:
        check_key(key)
        with contextlib.suppress(BlobNotFoundError), self._errors(key):
            self._client.remove_object(self._bucket, key)

    def keys(self, prefix: str = "") -> Iterator[str]:
        with contextlib.suppress(BlobNotFoundError), self._errors(prefix):
            for obj in self._client.list_objects(self._bucket, prefix=prefix, recursive=True):
                if obj.object_name is not None:
                    yield obj.object_name

    def entries(self, prefix: str = "") -> Iterator[BlobEntry]:
        with contextlib.suppress(BlobNotFoundError), self._errors(prefix):
            for obj in self._client.list_objects(self._bucket, prefix=prefix, recursive=True):
                if obj.object_name is not None and obj.last_modified is not None:
                    yield BlobEntry(obj.object_name, obj.size or 0, obj.last_modified)

    def check(self) -> None:
        with self._errors(""):
            if not self._client.bucket_exists(self._bucket):
                self._make_bucket()
        self._bucket_ready = True

    def presigned_put_url(self, key: str, expires: timedelta) -> str:
        check_key(key)
        return self._client.presigned_put_object(self._bucket, key, expires=expires)

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if not self._bucket_ready:
                self.check()

    def _make_bucket(self) -> None:
        try:
            self._client.make_bucket(self._bucket, location=self._region)
        except S3Error as exc:
            # Another process created it between our HEAD and our PUT: fine.
            if exc.code != "BucketAlreadyOwnedByYou":
                raise

    def _stream(self, response: BaseHTTPResponse, key: str, chunk_size: int) -> Iterator[bytes]:
        try:
            with self._errors(key):
                yield from response.stream(chunk_size)
        finally:
            response.close()
            response.release_conn()

    @contextlib.contextmanager
    def _errors(self, key: str) -> Iterator[None]:
        try:
            yield
        except S3Error as exc:
            if exc.code == "NoSuchBucket":
                # The bucket vanished (e.g. a wiped dev server): recreate it on the next put.
                self._bucket_ready = False
            if exc.code in _NOT_FOUND_CODES:
                raise BlobNotFoundError(key) from exc
            if exc.code == "NoSuchUpload":
                raise MultipartNotFoundError(key) from exc
            if exc.code in _PART_CODES:
                raise PartsMismatchError(f"{exc.code} on {key!r}: {exc.message}") from exc
            raise BlobStoreUnavailableError(f"S3 {exc.code} on {key!r}: {exc.message}") from exc
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            raise BlobStoreUnavailableError(f"S3 unreachable on {key!r}: {exc}") from exc


def _http_client() -> urllib3.PoolManager:
    # minio's default pool waits 5 minutes and retries 5 times: an outage would hang requests.
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=2.0, read=30.0),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        # The same trust roots minio's own default pool uses.
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )


def part_size(length: int) -> int:
    """The smallest part S3 allows that splits `length` bytes (-1: unknown) into at most
    MAX_PARTS, in whole MiB."""
    return max(MIN_PART_SIZE, -(-length // (MAX_PARTS * MiB)) * MiB)
