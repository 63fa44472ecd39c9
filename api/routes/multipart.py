"""Multipart upload routes: init, a part through this server, status, complete, abort."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar import Controller, Request, Response, delete, get, post, put

from pichr.api.body import ThreadBodyReader
from pichr.api.routes.uploads import upload_request
from pichr.api.services import Services
from pichr.api.wire.multipart import (
    MultipartAbortOut,
    MultipartCompleteIn,
    MultipartCompleteOut,
    MultipartInitIn,
    MultipartInitOut,
    MultipartStatusOut,
    PartOut,
    PartUrl,
)
from pichr.application.multipart.commands import MultipartRequest, MultipartView
from pichr.application.multipart.parts import PartChecksums
from pichr.domain.access import require_scope
from pichr.domain.errors import UnauthenticatedError
from pichr.domain.principal import Principal
from pichr.domain.uploads import count_parts


def _uploader(who: Principal) -> None:
    """Multipart needs a key (the reference gives no anonymous form of it)."""
    if who.is_anonymous:
        raise UnauthenticatedError("Multipart uploads need an API key.")
    require_scope(who, "upload")


def _urls(services: Services, view: MultipartView) -> list[PartUrl]:
    route = f"{services.settings.base_url}/api/v1/upload/multipart/{view.upload.upload_id}/parts"
    return [PartUrl(n, url or f"{route}/{n}") for n, url in view.part_urls]


class MultipartController(Controller):
    path = "/upload/multipart"
    tags = ["uploads"]

    @post("/init", status_code=200, summary="Start a multipart upload (one URL per part)")
    async def init(
        self, data: MultipartInitIn, who: Principal, services: Services
    ) -> MultipartInitOut:
        _uploader(who)
        count_parts(data.total_bytes, data.part_size)  # the plan's shape first (400), then size
        upload = upload_request(data, data.total_bytes, services.settings.max_upload_bytes)
        req = MultipartRequest(upload=upload, part_size=data.part_size)
        view = await to_thread.run_sync(services.multipart.init, who, req)
        await services.caught_up(view.position)
        u = view.upload
        return MultipartInitOut(
            upload_id=u.upload_id,
            file_id=u.file_id,
            r2_key=u.key,
            part_size=u.part_size,
            part_count=u.part_count,
            total_bytes=u.total_bytes,
            parts=_urls(services, view),
            message="PUT each part to its uploadUrl, then call complete, then finalize.",
        )

    @put(
        "/{upload_id:str}/parts/{number:int}",
        request_max_body_size=None,
        summary="Upload one part through this server (when the store cannot take it directly)",
    )
    async def part(
        self,
        request: Request[Any, Any, Any],
        upload_id: str,
        number: int,
        who: Principal,
        services: Services,
    ) -> Response[PartOut]:
        _uploader(who)
        headers = request.headers
        sums = PartChecksums(
            md5=headers.get("content-md5"),
            sha256=headers.get("x-amz-checksum-sha256") or headers.get("x-part-sha256"),
        )
        reader = ThreadBodyReader(request.stream())
        part = await to_thread.run_sync(
            services.multipart.store_part, who, upload_id, number, reader, sums
        )
        out = PartOut(part_number=part.number, size=part.size, etag=part.etag, sha256=part.sha256)
        return Response(out, headers={"ETag": f'"{part.etag}"'})

    @get("/{upload_id:str}", summary="Which parts arrived (to resume an interrupted upload)")
    async def status(
        self, upload_id: str, who: Principal, services: Services
    ) -> MultipartStatusOut:
        _uploader(who)
        view = await to_thread.run_sync(services.multipart.status, who, upload_id)
        u = view.upload
        pending = _urls(services, view)
        return MultipartStatusOut(
            upload_id=u.upload_id,
            file_id=u.file_id,
            r2_key=u.key,
            status=u.status,
            total_bytes=u.total_bytes,
            part_size=u.part_size,
            part_count=u.part_count,
            parts=[PartOut(p.number, p.size, p.etag, p.sha256) for p in view.parts],
            missing=[p.part_number for p in pending],
            pending=pending,
            etag=str(u.result["etag"]) if u.status == "completed" else None,
        )

    @post("/complete", status_code=200, summary="Join the parts; then call finalize")
    async def complete(
        self, data: MultipartCompleteIn, who: Principal, services: Services
    ) -> MultipartCompleteOut:
        _uploader(who)
        named = [(p.part_number, p.etag) for p in data.parts]
        view = await to_thread.run_sync(
            services.multipart.complete, who, data.upload_id, data.file_id, data.r2_key, named
        )
        await services.caught_up(view.position)
        return MultipartCompleteOut(
            file_id=view.upload.file_id, etag=str(view.upload.result["etag"])
        )

    @delete("/{upload_id:str}", status_code=200, summary="Abort: the parts are deleted")
    async def abort(self, upload_id: str, who: Principal, services: Services) -> MultipartAbortOut:
        _uploader(who)
        upload = await to_thread.run_sync(services.multipart.abort, who, upload_id)
        # The abort spans several saves: wait for the read models to reach the log's head.
        head = await to_thread.run_sync(services.app.recorder.max_notification_id)
        await services.caught_up(head or 0)
        return MultipartAbortOut(
            message="The multipart upload was aborted and its parts deleted.",
            upload_id=upload.upload_id,
            file_id=upload.file_id,
        )
