"""Pick the blob store from settings: S3 when an endpoint is configured, else the filesystem."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pichr.application.blobs.cached import Cached
from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.blobs.hot_cache import HotCache
from pichr.application.blobs.s3 import S3BlobStore

if TYPE_CHECKING:
    from pathlib import Path

    from pichr.application.blobs.port import BlobStore
    from pichr.application.settings import Settings


def blob_store_for(settings: Settings) -> BlobStore:
    """The blob store the settings name: S3 when PICHR_S3_ENDPOINT is set, else PICHR_DATA_DIR.
    S3 comes with local copies of its hot blobs (PICHR_CACHE_DIR) unless the cap is 0."""
    store = make_blob_store(
        data_dir=settings.data_dir,
        s3_endpoint=settings.s3_endpoint or None,
        s3_bucket=settings.s3_bucket,
        s3_access_key=settings.s3_access_key,
        s3_secret_key=settings.s3_secret_key,
        s3_region=settings.s3_region,
        s3_secure=settings.s3_secure,
    )
    if not settings.s3_endpoint or settings.cache_max_bytes <= 0:
        return store
    return Cached(store, HotCache(settings.blob_cache_dir, settings.cache_max_bytes))


def make_blob_store(
    *,
    data_dir: Path,
    s3_endpoint: str | None,
    s3_bucket: str,
    s3_access_key: str,
    s3_secret_key: str,
    s3_region: str,
    s3_secure: bool,
) -> BlobStore:
    if not s3_endpoint:
        return FilesystemBlobStore(data_dir / "blobs")
    host, secure = parse_endpoint(s3_endpoint, default_secure=s3_secure)
    return S3BlobStore(
        host,
        s3_bucket,
        s3_access_key,
        s3_secret_key,
        region=s3_region,
        secure=secure,
    )


def parse_endpoint(endpoint: str, *, default_secure: bool) -> tuple[str, bool]:
    """`host:port` keeps `default_secure`; `http(s)://host:port` decides it from the scheme."""
    if "://" not in endpoint:
        return endpoint.rstrip("/"), default_secure
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"S3 endpoint must be host:port or http(s)://host:port, got {endpoint!r}")
    # minio takes no path in the endpoint: a bucket or prefix there would be silently ignored.
    if parts.path.strip("/") or parts.query:
        raise ValueError(f"S3 endpoint must not carry a path or query: {endpoint!r}")
    return parts.netloc, parts.scheme == "https"
