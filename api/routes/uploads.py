"""Upload routes: presign, the direct PUT, and finalize."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post, put
from litestar.openapi.datastructures import ResponseSpec

from pichr.api.analysis_wait import NOT_READABLE, duplicates, finalized_row
from pichr.api.body import ThreadBodyReader
from pichr.api.commands import FILES, NOTHING, Reads, run
from pichr.api.services import Services
from pichr.api.wire.inputs import upload_request
from pichr.api.wire.uploads import DirectOut, FinalizeIn, FinalizeOut, PresignIn, PresignOut
from pichr.api.wire.views import finalize_out
from pichr.application.imaging.sniff import UnsupportedMediaError
from pichr.domain.access import require_scope
from pichr.domain.errors import LegalHoldError
from pichr.domain.principal import Principal

# Rejected (undecodable) or blocked uploads are recorded before the refusal: reads show them.
FINALIZED = Reads((FILES,), late=NOT_READABLE, recorded=(UnsupportedMediaError, LegalHoldError))


def uploader(who: Principal) -> None:
    """Anonymous uploads are allowed; a key needs `upload`."""
    if not who.is_anonymous:
        require_scope(who, "upload")


class UploadController(Controller):
    path = "/upload"
    tags = ["uploads"]

    @post("/presign", status_code=200, summary="Create an upload and its file record")
    async def presign(self, data: PresignIn, who: Principal, services: Services) -> PresignOut:
        uploader(who)
        req = upload_request(data, data.bytes, services.settings.max_upload_bytes)
        # No wait for the read models: nothing in the answer comes from them, and the reads
        # that can see a pending upload (GET /files/{id}, GET /usage) wait for the log's head.
        made = await run(services, NOTHING, services.uploads.presign, who, req)
        url = f"{services.settings.base_url}/api/v1/upload/direct/{made.file_id}"
        if made.upload_token:
            url += f"?token={made.upload_token}"
        message = "File record created. PUT the bytes to uploadUrl, then call finalize."
        return PresignOut(
            made.upload_id, url, made.file_id, made.blob_key, message, made.delete_token
        )

    @put("/direct/{file_id:str}", request_max_body_size=None, summary="Upload the bytes")
    async def direct(
        self,
        request: Request[Any, Any, Any],
        file_id: str,
        who: Principal,
        services: Services,
        token: str | None = None,
    ) -> DirectOut:
        uploader(who)
        reader = ThreadBodyReader(request.stream())
        file = await run(services, NOTHING, services.uploads.store, who, file_id, token, reader)
        stored, url = file.stored, services.urls.image(file_id)
        return DirectOut(
            file_id, url, stored["mime"], stored["size"], "ready", file.stored_key, stored["etag"]
        )

    @post(
        "/finalize",
        status_code=200,
        summary="Verify the upload and publish the file",
        description=(
            "200 with the full record once the image pipeline has run; 202 with"
            ' `"status": "processing"` when it has not finished within PICHR_FINALIZE_WAIT_MS'
            " (poll GET /files/{id}). Client-sent width, height, phash, nsfwScore are ignored."
        ),
        responses={202: ResponseSpec(FinalizeOut, description="Still processing")},
    )
    async def finalize(
        self, data: FinalizeIn, who: Principal, services: Services
    ) -> Response[FinalizeOut]:
        uploader(who)
        finalize, ids = services.uploads.finalize, (data.upload_id, data.file_id)
        await run(services, FINALIZED, finalize, who, *ids, data.r2_key, data.r2_etag)
        row = await finalized_row(services, data.file_id)
        body = finalize_out(row, services.urls, services.nsfw_threshold, duplicates(services, row))
        return Response(body, status_code=202 if body.status == "processing" else 200)
