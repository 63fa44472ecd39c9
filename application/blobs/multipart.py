"""Multipart uploads in the blob-store port: the shapes, limits and checks every adapter shares.

S3 semantics, which the filesystem and in-memory adapters copy: a multipart upload is opened for
a key, parts (1..10,000) arrive in any order and may be replaced, `complete` names the parts and
their etags in ascending order and the object appears under the key in one step; `abort` drops
the parts. Nothing of an open upload is visible to `keys()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

from pichr.domain.uploads import MAX_PARTS, MIN_PART_SIZE

_UPLOAD_ID = re.compile(r"^[A-Za-z0-9]{16,64}$")


class MultipartNotFoundError(Exception):
    """No such open multipart upload: never started, completed or aborted."""


class PartsMismatchError(ValueError):
    """`complete` named parts the store does not hold as named (missing, etag, order, size)."""


@dataclass(frozen=True, slots=True)
class PartInfo:
    number: int
    size: int
    etag: str  # without quotes; the part's MD5 hex on every adapter here and on S3


@dataclass(frozen=True, slots=True)
class OpenMultipart:
    key: str
    upload_id: str
    initiated: datetime


@dataclass(frozen=True, slots=True)
class BlobEntry:
    """A stored blob as a listing shows it, with the time it was last written."""

    key: str
    size: int
    modified: datetime


def check_part_number(number: int) -> None:
    if not 1 <= number <= MAX_PARTS:
        raise ValueError(f"part number {number} is outside 1..{MAX_PARTS}")


def check_local_upload_id(upload_id: str) -> None:
    """Ids the filesystem and in-memory adapters hand out: plain alphanumerics."""
    if not _UPLOAD_ID.match(upload_id):
        raise MultipartNotFoundError(upload_id)


def bare_etag(etag: str) -> str:
    return etag.strip().strip('"').lower()


def parts_to_join(
    named: Sequence[tuple[int, str]], stored: Mapping[int, PartInfo]
) -> list[PartInfo]:
    """The stored parts `complete` names, checked as S3 checks them; PartsMismatchError else."""
    if not named:
        raise PartsMismatchError("complete names no parts")
    numbers = [n for n, _ in named]
    if numbers != sorted(set(numbers)):
        raise PartsMismatchError("parts must be named once each, in ascending order")
    chosen = []
    for number, etag in named:
        part = stored.get(number)
        if part is None or part.etag != bare_etag(etag):
            raise PartsMismatchError(f"part {number} is not stored with etag {etag!r}")
        chosen.append(part)
    if any(p.size < MIN_PART_SIZE for p in chosen[:-1]):
        raise PartsMismatchError(f"every part but the last must be at least {MIN_PART_SIZE} bytes")
    return chosen
