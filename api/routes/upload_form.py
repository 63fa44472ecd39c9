"""The one-request upload: `POST /upload`, multipart/form-data (curl -F, ShareX, browsers' forms),
with the image in `file` or a `url` to fetch. The same commands as presign, PUT and finalize
(application/uploads/one_request.py); the answer is finalize's, plus a delete token when
anonymous."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar import Request, Response, post
from litestar.openapi.datastructures import ResponseSpec

from pichr.api.analysis_wait import duplicates, finalized_row
from pichr.api.body import ThreadBodyReader
from pichr.api.commands import NOTHING, ON_ALBUMS, run
from pichr.api.form_parts import FILE, Form, read_form
from pichr.api.routes.uploads import FINALIZED, uploader
from pichr.api.services import Services
from pichr.api.wire.upload_form import UploadFormOperation, UploadOut, form_request, upload_out
from pichr.api.wire.views import finalize_out
from pichr.application.uploads.guarded import TooLargeError
from pichr.application.uploads.one_request import OneRequest, OneUpload, upload_limit
from pichr.application.uploads.spool import Spool
from pichr.application.uploads.url_fetch import FetchPolicy, fetch_into
from pichr.domain.access import require_scope
from pichr.domain.errors import InvalidInputError
from pichr.domain.principal import Principal

FORM_SLACK = 64 * 1024  # the form's text fields and part headers, beside the file
DESCRIPTION = (
    "multipart/form-data: the image in `file`, or a `url` to fetch (http/https, at most 3"
    " redirects, public addresses only); optional `title`, `description`, `visibility`, `tags`"
    " (comma-separated), `albumId`, `expiresIn` (hours). Answers as finalize does (200, or 202"
    ' with `"status": "processing"`), plus `deleteToken` and `deleteUrl` when anonymous.'
)


@post(
    "/upload",
    status_code=200,
    request_max_body_size=None,  # the plan's limit, checked as the body streams
    tags=["uploads"],
    summary="Upload an image in one request",
    description=DESCRIPTION,
    responses={202: ResponseSpec(UploadOut, description="Still processing")},
    operation_class=UploadFormOperation,
)
async def upload_form(
    request: Request[Any, Any, Any], who: Principal, services: Services
) -> Response[UploadOut]:
    uploader(who)
    limit = upload_limit(services.uploads, who, services.settings.max_upload_bytes)
    sent = request.headers.get("content-length", "")
    length = int(sent) if sent.isdigit() else -1  # -1: chunked, the parser finds the end
    if length > limit + FORM_SLACK:
        raise TooLargeError("The file exceeds the size limit.", maxFileBytes=limit, bytes=length)
    reader = ThreadBodyReader(request.stream())
    ctype = request.headers.get("content-type", "")
    form = await to_thread.run_sync(read_form, reader, ctype, length, limit)
    try:
        made, album_id = await _upload(services, who, form, limit)
    finally:
        form.close()
    if album_id:
        await run(
            services, ON_ALBUMS, services.albums.commands.add_files, who, album_id, [made.file_id]
        )
    row = await finalized_row(services, made.file_id)
    done = finalize_out(row, services.urls, services.nsfw_threshold, duplicates(services, row))
    body = upload_out(done, made.delete_token, services.settings.base_url)
    return Response(body, status_code=202 if body.status == "processing" else 200)


async def _upload(
    services: Services, who: Principal, form: Form, limit: int
) -> tuple[OneUpload, str]:
    if form.spool is not None and form.fields.get("url"):
        raise InvalidInputError("Send either a `file` or a `url`, not both.", field="url")
    req = form_request(form.fields, services.settings.max_upload_bytes)
    one = OneRequest(services.uploads)
    album_id = form.fields.get("albumId", "")
    if album_id:
        require_scope(who, "write")  # as adding to an album does
        await run(services, NOTHING, one.check_album, who, album_id)
    spool = form.spool or await _fetched(services, form, limit)
    try:
        return await run(services, FINALIZED, one.upload, who, req, spool), album_id
    finally:
        spool.close()


async def _fetched(services: Services, form: Form, limit: int) -> Spool:
    url = form.fields.get("url")
    if not url:
        raise InvalidInputError("Send the image in the field `file`, or a `url`.", field=FILE)
    settings = services.settings
    policy = FetchPolicy(
        limit, settings.url_ingest_timeout_seconds, settings.url_ingest_allow_private
    )
    form.spool = await to_thread.run_sync(fetch_into, url, policy)
    return form.spool
