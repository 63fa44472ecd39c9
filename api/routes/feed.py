"""`GET /admin/events`: the event log in pages, for analysts and moderators (admin scope)."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import Parameter

from pichr.api.services import Services
from pichr.api.wire.events import FeedPage, feed_event
from pichr.domain.access import require_scope
from pichr.domain.principal import Principal
from pichr.projections.queries.feed import page


@get("/admin/events", summary="The event log in order (personal data redacted)", tags=["admin"])
async def events_feed(
    who: Principal,
    services: Services,
    after: Annotated[int, Parameter(ge=0)] = 0,
    limit: Annotated[int, Parameter(ge=1, le=1000)] = 100,
    types: Annotated[str | None, Parameter(max_length=2000, description="comma list")] = None,
) -> FeedPage:
    require_scope(who, "admin")
    wanted = [t.strip() for t in types.split(",") if t.strip()] if types else None
    entries = await page(services.reads.pool, after, limit, wanted)
    last = entries[-1].position if entries else after
    return FeedPage(events=[feed_event(e) for e in entries], next=last)
