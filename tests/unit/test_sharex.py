"""docs/sharex/pichr.sxcu, the ShareX custom uploader: it parses, and it names the route, the
field, the header and the answer's fields this server really has."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from pichr.api.form_parts import FILE, TEXT
from pichr.api.wire.upload_form import UploadOut
from tests.support.built_app import built_app

SXCU = Path(__file__).resolve().parents[2] / "docs" / "sharex" / "pichr.sxcu"


def uploader() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(SXCU.read_text())
    return loaded


def test_it_posts_a_multipart_form_with_the_file_in_the_right_field() -> None:
    sxcu = uploader()
    assert (sxcu["DestinationType"], sxcu["RequestMethod"]) == ("ImageUploader", "POST")
    assert (sxcu["Body"], sxcu["FileFormName"]) == ("MultipartFormData", FILE)
    assert set(sxcu["Arguments"]) <= set(TEXT)  # type: ignore[arg-type]


def test_it_posts_to_the_upload_route_with_a_bearer_key() -> None:
    sxcu = uploader()
    path = urlsplit(str(sxcu["RequestURL"])).path
    routes = {(m, r.path) for r in built_app().routes for m in getattr(r, "methods", ())}
    assert ("POST", path) in routes
    assert path == "/api/v1/upload"
    headers: dict[str, str] = sxcu["Headers"]  # type: ignore[assignment]
    assert headers["Authorization"].startswith("Bearer ")


def test_the_links_it_reads_are_fields_of_the_answer() -> None:
    sxcu = uploader()
    wire = {f.encode_name for f in msgspec.structs.fields(UploadOut)} | {"message"}
    used = {
        part.split("}", 1)[0]
        for key in ("URL", "ThumbnailURL", "ErrorMessage")
        for part in str(sxcu[key]).split("{json:")[1:]
    }
    assert used
    assert used <= wire, used - wire
