"""The one canonical spelling of a path (api/middleware/paths.py), on the app's own route
templates."""

from __future__ import annotations

import pytest

from pichr.api.middleware.paths import PathCanon
from pichr.application.settings import Settings
from pichr.scripts.asgi import build_app


@pytest.fixture(scope="module")
def canon() -> PathCanon:
    app = build_app(Settings.from_env(), "postgresql://unused", with_projections=False)
    return PathCanon(route.path for route in app.routes)


SPELLINGS = [
    ("//api/v1/upload/presign", "/api/v1/upload/presign"),
    ("/api//v1/upload/presign", "/api/v1/upload/presign"),
    ("/api/v1/upload/presign/", "/api/v1/upload/presign"),
    ("/api/v1/upload/presign//", "/api/v1/upload/presign"),
    ("/api/v1/./upload/presign", "/api/v1/upload/presign"),
    ("/api/v1/x/../upload/presign", "/api/v1/upload/presign"),
    ("/../../api/v1/upload/presign", "/api/v1/upload/presign"),
    ("/API/V1/Upload/PRESIGN", "/api/v1/upload/presign"),
    ("/API/v1/files/file_AbC/DOWNLOAD", "/api/v1/files/file_AbC/download"),
    ("/I/file_AbC", "/i/file_AbC"),
    ("/I/file_AbC.WEBP", "/i/file_AbC.WEBP"),  # a variant's extension: part of the id's place
    ("//i/./file_AbC.webp", "/i/file_AbC.webp"),
    ("/api/v1/upload/multipart/INIT", "/api/v1/upload/multipart/init"),  # the fixed word wins
    ("/api/v1/upload/multipart/upl_Init/parts/1", "/api/v1/upload/multipart/upl_Init/parts/1"),
    ("/api/v1/files/FILES", "/api/v1/files/FILES"),  # an id's place: its case is kept
    ("/API/v1/NoSuch/Route", "/api/v1/NoSuch/Route"),  # unknown below: left for the 404
    ("/", "/"),
    ("", "/"),
]


@pytest.mark.parametrize(("spelling", "expected"), SPELLINGS)
def test_every_spelling_has_one_canonical_path(
    canon: PathCanon, spelling: str, expected: str
) -> None:
    assert canon.canonical(spelling) == expected
    assert canon.canonical(expected) == expected  # canonical paths are fixed points


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/files",
        "/api/v1/files/file_AbC",
        "/api/v1/files/file_AbC/download",
        "/i/file_AbC",
        "/i/file_AbC.webp",
        "/t/file_AbC",
        "/api/v1/upload/multipart/upl_x/parts/3",
        "/api/v1/schema/openapi.json",
        "/health",
    ],
)
def test_canonical_paths_take_the_one_match_fast_path(canon: PathCanon, path: str) -> None:
    assert canon.is_canonical(path)


@pytest.mark.parametrize(
    "path",
    [
        "//api/v1/files",
        "/api/v1/files/",
        "/API/v1/files",
        "/api/v1/files/.",
        "/api/v1/files/..",
        "/api/v1/files/x/../y",
        "/api/v1/files/x\x00",
        "/api/v1/files/" + "x" * 300,  # a long target is measured by the slow path
        "/api/v1/nope",
    ],
)
def test_other_spellings_are_not_taken_for_canonical(canon: PathCanon, path: str) -> None:
    assert not canon.is_canonical(path)
