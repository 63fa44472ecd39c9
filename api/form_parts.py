"""The one-request upload's multipart/form-data body, parsed as it streams by `multipart`'s push
parser (the parser Litestar itself uses; Litestar's own form handling holds the whole body):
the text fields are kept (small), the file part goes straight into a Spool, which checks its size
and type as it arrives. Runs in a worker thread over api/body.py's reader."""

from __future__ import annotations

from dataclasses import dataclass, field

from multipart import MultipartError, MultipartSegment, PushMultipartParser, parse_options_header

from pichr.application.blobs.port import Readable
from pichr.application.uploads.spool import Spool
from pichr.domain.errors import InvalidInputError

FILE = "file"
TEXT = ("url", "title", "description", "visibility", "tags", "albumId", "expiresIn")
MAX_TEXT = 16 * 1024  # bytes of one text field (a description is at most 5,000 characters)
READ = 256 * 1024


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    spool: Spool | None = None

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()


def boundary_of(content_type: str) -> str:
    kind, options = parse_options_header(content_type)
    if kind != "multipart/form-data" or not options.get("boundary"):
        raise InvalidInputError(
            "Send the image as multipart/form-data, in the field `file` (or a `url` field).",
            field=FILE,
        )
    return str(options["boundary"])


def read_form(body: Readable, content_type: str, length: int, limit: int) -> Form:
    """The form's fields and its one file (finished), or a 4xx; on a refusal nothing is kept."""
    form = Form()
    try:
        _parse(form, body, PushMultipartParser(boundary_of(content_type), length), limit)
        if form.spool is not None:
            form.spool.finish()
    except MultipartError as exc:
        form.close()
        raise InvalidInputError(
            "The multipart body is malformed or ends early.", field=FILE, reason=str(exc)
        ) from None
    except BaseException:
        form.close()
        raise
    return form


def _parse(form: Form, body: Readable, parser: PushMultipartParser, limit: int) -> None:
    part: Spool | bytearray | None = None
    name = ""
    with parser:
        while not parser.closed:
            for event in parser.parse(body.read(READ)):
                if isinstance(event, MultipartSegment):
                    name, part = event.name or "", _start(form, event, limit)
                elif event is None:
                    _end(form, name, part)
                    part = None
                elif isinstance(part, Spool):
                    part.write(event)
                elif part is not None:
                    part += event
                    if len(part) > MAX_TEXT:
                        raise InvalidInputError("The field is too long.", field=name)


def _start(form: Form, segment: MultipartSegment, limit: int) -> Spool | bytearray | None:
    if segment.filename is None and segment.name != FILE:
        return bytearray() if segment.name in TEXT else None  # unknown fields are ignored
    if segment.name != FILE:
        raise InvalidInputError("Send the image in the field `file`.", field=segment.name)
    if form.spool is not None:
        raise InvalidInputError("Send one file per request.", field=FILE)
    form.spool = Spool(limit, _text(segment.filename or "image", "filename"))
    return form.spool


def _end(form: Form, name: str, part: Spool | bytearray | None) -> None:
    if not isinstance(part, bytearray):
        return
    if name in form.fields:
        raise InvalidInputError("The field is sent twice.", field=name)
    try:
        form.fields[name] = _text(part.decode(), name)
    except UnicodeDecodeError:
        raise InvalidInputError("The field is not UTF-8 text.", field=name) from None


def _text(value: str, name: str) -> str:
    """PostgreSQL text cannot hold a NUL: an event with one would stop a projection for good
    (as api/middleware/json_body.py refuses it in JSON bodies)."""
    if "\x00" in value:
        raise InvalidInputError("Text may not contain a NUL character.", field=name)
    return value
