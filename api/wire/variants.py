"""The variant part of `/i/{id}` and `/i/{id}.{ext}` (shared CONTRACT.md, "Image variants"):
the extension split off the id, the query parameters checked, as an Asked
(application/imaging/variant_spec.py). Litestar checks each parameter's type and bounds; this
refuses what it lets through: unknown or repeated parameters, an unknown extension, an
extension and a `format` that disagree."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Literal

from litestar.params import QueryParameter

from pichr.application.imaging.variant_spec import FITS, MAX_SIDE, Asked
from pichr.domain.errors import InvalidInputError

PARAMETERS = ("w", "h", "fit", "format", "q")
BY_EXTENSION = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "avif": "image/avif",
    "gif": "image/gif",  # only an original's own type: see variant_spec.plan
}
BY_FORMAT = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "avif": "image/avif"}
_SIDE = f"1-{MAX_SIDE} px; never more than the original's (no upscaling)"

Width = Annotated[
    int | None,
    QueryParameter(name="w", ge=1, le=MAX_SIDE, description="Width: " + _SIDE),
]
Height = Annotated[
    int | None,
    QueryParameter(name="h", ge=1, le=MAX_SIDE, description="Height: " + _SIDE),
]
Fit = Annotated[
    Literal["contain", "cover"] | None,
    QueryParameter(
        name="fit",
        description="contain (default): within w x h, keeping the ratio; cover: fill w x h, "
        "centre-cropped",
    ),
]
Format = Annotated[
    Literal["jpeg", "png", "webp", "avif"] | None,
    QueryParameter(name="format", description="The output format; the extension means the same"),
]
Quality = Annotated[
    int | None, QueryParameter(name="q", ge=1, le=100, description="Encoder quality (1-100)")
]


def split_extension(path_value: str) -> tuple[str, str | None]:
    """`file_X.webp` -> ("file_X", "webp"); ids never hold a dot."""
    file_id, dot, extension = path_value.partition(".")
    return file_id, extension.lower() if dot else None


def asked(
    query: Iterable[tuple[str, str]],
    extension: str | None,
    *,
    w: int | None = None,
    h: int | None = None,
    fit: str | None = None,
    fmt: str | None = None,
    q: int | None = None,
) -> Asked:
    names = [name for name, _ in query]
    unknown = sorted({n for n in names if n not in PARAMETERS})
    if unknown:
        raise InvalidInputError(
            f"Unknown parameter {unknown[0]!r}; images take {', '.join(PARAMETERS)}.",
            parameters=unknown,
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidInputError(
            f"The parameter {repeated[0]!r} is given twice.", parameter=repeated[0]
        )
    mime = _mime(extension, fmt)
    return Asked(width=w, height=h, fit=fit or FITS[0], mime=mime, quality=q)


def _mime(extension: str | None, fmt: str | None) -> str | None:
    by_extension = BY_EXTENSION.get(extension or "")
    if extension is not None and by_extension is None:
        raise InvalidInputError(
            f"Images are not served as .{extension}; use .jpg, .png, .webp or .avif.",
            extension=extension,
        )
    by_format = BY_FORMAT.get(fmt or "")
    if by_extension and by_format and by_extension != by_format:
        raise InvalidInputError(
            f"The extension .{extension} and format={fmt} disagree.", extension=extension
        )
    return by_format or by_extension


_CANONICAL_INT = re.compile(r"[1-9][0-9]{0,4}")
_FAST_BOUNDS = {"w": MAX_SIDE, "h": MAX_SIDE, "q": 100}


def fast_asked(query_string: bytes, extension: str | None) -> Asked | None:
    """The Asked of a query in its plain spelling (each parameter once, integers without sign
    or leading zero, the enums as written), without the framework's parsing; None for any
    other query, which the route's handler then checks (and refuses with its 400) itself."""
    values: dict[str, str] = {}
    for pair in query_string.decode("latin-1").split("&") if query_string else ():
        name, eq, value = pair.partition("=")
        if not eq or name in values or name not in PARAMETERS:
            return None
        values[name] = value
    ints: dict[str, int] = {}
    for name, bound in _FAST_BOUNDS.items():
        if name in values:
            if not _CANONICAL_INT.fullmatch(values[name]) or int(values[name]) > bound:
                return None
            ints[name] = int(values[name])
    fit, fmt = values.get("fit"), values.get("format")
    if (fit is not None and fit not in FITS) or (fmt is not None and fmt not in BY_FORMAT):
        return None
    try:
        return asked(values.items(), extension, w=ints.get("w"), h=ints.get("h"), fit=fit,
                     fmt=fmt, q=ints.get("q"))  # fmt: skip
    except InvalidInputError:
        return None
