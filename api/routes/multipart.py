"""Multipart upload routes: init, a part through this server, status, complete, abort."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post, put

from pichr.api.body import ThreadBodyReader
from pichr.api.commands import FILES, NOTHING, ON_FILES, Reads, run
from pichr.api.services import Services
from pichr.api.wire.inputs import upload_request
from pichr.api.wire.multipart import (
    MultipartAbortOut,
    MultipartCompleteIn,
    MultipartCompleteOut,
    MultipartInitIn,
    MultipartInitOut,
    MultipartStatusOut,
    PartOut,
    init_out,
    status_out,
)
from pichr.application.multipart.commands import MultipartRequest
from pichr.application.multipart.parts import PartChecksums
from pichr.domain.access import require_scope
from pichr.domain.errors import UnauthenticatedError
from pichr.domain.principal import Principal
from pichr.domain.uploads import count_parts

ABORTED = Reads((FILES,), head=True)  # an abort spans several saves


def _uploader(who: Principal) -> None:
    """Multipart needs a key (the reference gives no anonymous form of it)."""
    if who.is_anonymous:
        raise UnauthenticatedError("Multipart uploads need an API key.")
    require_scope(who, "upload")


def _parts_route(services: Services) -> str:
    """Where parts go when the store cannot take them directly (`/{uploadId}/parts/{n}`)."""
    return f"{services.settings.base_url}/api/v1/upload/multipart"


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
        view = await run(services, ON_FILES, services.multipart.init, who, req)
        return init_out(view, _parts_route(services))

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
        sha256 = headers.get("x-amz-checksum-sha256") or headers.get("x-part-sha256")
        sums = PartChecksums(md5=headers.get("content-md5"), sha256=sha256)
        reader = ThreadBodyReader(request.stream())
        store = services.multipart.store_part
        part = await run(services, NOTHING, store, who, upload_id, number, reader, sums)
        out = PartOut(part.number, part.size, part.etag, part.sha256)
        return Response(out, headers={"ETag": f'"{part.etag}"'})

    @get("/{upload_id:str}", summary="Which parts arrived (to resume an interrupted upload)")
    async def status(
        self, upload_id: str, who: Principal, services: Services
    ) -> MultipartStatusOut:
        _uploader(who)
        view = await run(services, NOTHING, services.multipart.status, who, upload_id)
        return status_out(view, _parts_route(services))

    @post("/complete", status_code=200, summary="Join the parts; then call finalize")
    async def complete(
        self, data: MultipartCompleteIn, who: Principal, services: Services
    ) -> MultipartCompleteOut:
        _uploader(who)
        named = [(p.part_number, p.etag) for p in data.parts]
        complete, ids = services.multipart.complete, (data.upload_id, data.file_id)
        view = await run(services, ON_FILES, complete, who, *ids, data.r2_key, named)
        return MultipartCompleteOut(view.upload.file_id, str(view.upload.result["etag"]))

    @delete("/{upload_id:str}", status_code=200, summary="Abort: the parts are deleted")
    async def abort(self, upload_id: str, who: Principal, services: Services) -> MultipartAbortOut:
        _uploader(who)
        upload = await run(services, ABORTED, services.multipart.abort, who, upload_id)
        message = "The multipart upload was aborted and its parts deleted."
        return MultipartAbortOut(message, upload.upload_id, upload.file_id)
