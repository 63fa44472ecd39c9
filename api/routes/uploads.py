"""Upload routes: presign, the direct PUT, and finalize."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar import Controller, Request, Response, post, put
from litestar.openapi.datastructures import ResponseSpec

from pichr.api.analysis_wait import analyzed_row, duplicates
from pichr.api.body import ThreadBodyReader
from pichr.api.services import Services
from pichr.api.wire.multipart import MultipartInitIn
from pichr.api.wire.schemas import DirectOut, FinalizeIn, FinalizeOut, PresignIn, PresignOut
from pichr.api.wire.views import finalize_out, status
from pichr.application.imaging.sniff import UnsupportedMediaError
from pichr.application.uploads.commands import UploadRequest
from pichr.application.uploads.guarded import TooLargeError
from pichr.domain.access import check_withheld, require_scope
from pichr.domain.errors import LegalHoldError, NotReadableYetError
from pichr.domain.principal import Principal
from pichr.projections.queries.facts import file_facts


class UploadController(Controller):
    path = "/upload"
    tags = ["uploads"]

    @post("/presign", status_code=200, summary="Create an upload and its file record")
    async def presign(self, data: PresignIn, who: Principal, services: Services) -> PresignOut:
        if not who.is_anonymous:
            require_scope(who, "upload")
        req = upload_request(data, data.bytes, services.settings.max_upload_bytes)
        # No wait for the read models: nothing in the answer comes from them, and the reads
        # that can see a pending upload (GET /files/{id}, GET /usage) wait for the log's head.
        made = await to_thread.run_sync(services.uploads.presign, who, req)
        url = f"{services.settings.base_url}/api/v1/upload/direct/{made.file_id}"
        if made.upload_token:
            url += f"?token={made.upload_token}"
        return PresignOut(
            upload_id=made.upload_id,
            upload_url=url,
            file_id=made.file_id,
            r2_key=made.blob_key,
            message="File record created. PUT the bytes to uploadUrl, then call finalize.",
            delete_token=made.delete_token,
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
        if not who.is_anonymous:
            require_scope(who, "upload")
        reader = ThreadBodyReader(request.stream())
        file = await to_thread.run_sync(services.uploads.store, who, file_id, token, reader)
        return DirectOut(
            file_id=file_id,
            url=services.urls.image(file_id),
            mime=file.stored["mime"],
            bytes=file.stored["size"],
            status="ready",
            r2_key=file.stored_key,
            etag=file.stored["etag"],
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
        if not who.is_anonymous:
            require_scope(who, "upload")
        try:
            position = await to_thread.run_sync(
                services.uploads.finalize,
                who,
                data.upload_id,
                data.file_id,
                data.r2_key,
                data.r2_etag,
            )
        except (UnsupportedMediaError, LegalHoldError):
            # Rejected or blocked: let reads see that before answering (read-your-writes).
            head = await to_thread.run_sync(services.app.recorder.max_notification_id)
            await services.caught_up(head or 0)
            raise
        if not await services.caught_up(position):
            raise NotReadableYetError("The file was finalized; its record is not readable yet.")
        wait = services.settings.finalize_wait_ms / 1000
        row = await analyzed_row(services, data.file_id, wait)
        if row is None:
            raise NotReadableYetError("The file was finalized; its record is not readable yet.")
        check_withheld(file_facts(row))  # 451: its analysis matched the blocklist
        if status(row) == "failed":
            raise UnsupportedMediaError(
                "The image could not be processed.",
                fileId=row.id,
                reason=row.analysis_error,
            )
        body = finalize_out(row, services.urls, services.nsfw_threshold, duplicates(services, row))
        return Response(body, status_code=202 if body.status == "processing" else 200)


def upload_request(data: PresignIn | MultipartInitIn, size: int, max_bytes: int) -> UploadRequest:
    """The command for presign and multipart init, after the instance-wide size limit (413)."""
    if size > max_bytes:
        raise TooLargeError(
            "The file exceeds the size limit.",
            limit="maxUploadBytes",
            maxUploadBytes=max_bytes,
            declaredBytes=size,
        )
    return UploadRequest(
        filename=data.filename,
        mime=data.mime,
        bytes=size,
        sha256=data.sha256,
        title=data.title,
        description=data.description,
        visibility=data.visibility,
        tags=tuple(data.tags),
        expires_in=data.expires_in,
    )
