"""Every projection of the system, by name."""

from __future__ import annotations

from pichr.projections.views.albums import AlbumProjection
from pichr.projections.views.auth import AuthProjection
from pichr.projections.views.base import Projection
from pichr.projections.views.blocklist import BlocklistProjection
from pichr.projections.views.file_listing import FileListingProjection
from pichr.projections.views.reports import ReportsProjection
from pichr.projections.views.usage import UsageProjection


def all_projections() -> list[Projection]:
    return [
        FileListingProjection(),
        AuthProjection(),
        UsageProjection(),
        AlbumProjection(),
        ReportsProjection(),
        BlocklistProjection(),
    ]
