"""The backup archive: a tar of COPY data, blobs and a manifest (the last member).

db/<table>.copy.gz   each kept table's rows (COPY text, gzip)
blobs/<key>          each blob the log refers to, as stored
manifest.json        what is inside: tables (with their DDL), followers, blobs and their
                     sha256, the log head, the settings that were in force (no secrets)
"""

from __future__ import annotations

import io
import tarfile
import time
from dataclasses import asdict
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import msgspec

from pichr.application.settings import Settings
from pichr.scripts.backup_db import TableSchema

FORMAT = 1
MANIFEST = "manifest.json"
SECRET = ("secret", "password", "access_key")


class Manifest(msgspec.Struct, rename="camel"):
    format: int
    pichr_version: str
    created_at: str
    postgres_version: str
    log_head: int
    tables: list[TableSchema]
    followers: list[tuple[str, int]]
    blobs: dict[str, str]  # key -> sha256 of the bytes in the archive
    missing_blobs: list[str]  # named by the log, gone from the store (e.g. purged meanwhile)
    settings: dict[str, Any]


def table_member(table: str) -> str:
    return f"db/{table}.copy.gz"


def blob_member(key: str) -> str:
    return f"blobs/{key}"


def add_file(tar: tarfile.TarFile, name: str, data: IO[bytes], size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(time.time()), 0o600
    tar.addfile(info, data)


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    add_file(tar, name, io.BytesIO(data), len(data))


def read_manifest(tar: tarfile.TarFile) -> Manifest:
    member = tar.extractfile(MANIFEST)
    if member is None:
        raise ValueError("not a pichr backup: no manifest.json")
    manifest = msgspec.json.decode(member.read(), type=Manifest)
    if manifest.format != FORMAT:
        raise ValueError(f"backup format {manifest.format} is not {FORMAT}: use a matching pichr")
    return manifest


def settings_record(settings: Settings) -> dict[str, Any]:
    """The settings in force, without secrets (URLs lose their passwords)."""
    record = {}
    for name, value in asdict(settings).items():
        if name == "extra" or any(s in name for s in SECRET):
            continue
        record[name] = _no_password(value) if isinstance(value, str) else str(value)
    return record


def _no_password(value: str) -> str:
    if "://" not in value or "@" not in value:
        return value
    parts = urlsplit(value)
    host = parts.netloc.rsplit("@", 1)[-1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host))
