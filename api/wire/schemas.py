"""What every wire schema shares: the camelCase base, the constrained field types, pagination
and the error body. One msgspec Struct per direction lives in each route family's module."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

Visibility = Literal["public", "unlisted", "private"]
Sha256 = Annotated[str, Meta(pattern="^[0-9a-fA-F]{64}$")]
Title = Annotated[str, Meta(max_length=200)]
Description = Annotated[str, Meta(max_length=5000)]
Tag = Annotated[str, Meta(min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Meta(max_length=30)]
Host = Annotated[str, Meta(min_length=1, max_length=253)]
Hours = Annotated[int, Meta(ge=1, le=24 * 365 * 10)]
Email = Annotated[str, Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]


class CamelStruct(Struct, rename="camel"):
    """The base of every wire Struct: snake_case attributes, camelCase field names on the wire
    (`file_id` is `fileId`) in bodies, validation errors and the OpenAPI document alike."""


class Pagination(CamelStruct):
    total: int
    limit: int
    offset: int
    has_more: bool
    next_cursor: str | None = None  # pass as `cursor` for the next page


class ErrorOut(CamelStruct):
    error: str
    message: str
    details: dict[str, object]
