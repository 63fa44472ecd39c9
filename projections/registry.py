"""Every projection of the system, by name."""

from __future__ import annotations

from projections.album_view import AlbumProjection
from projections.auth_view import AuthProjection
from projections.base import Projection
from projections.blocklist_view import BlocklistProjection
from projections.file_listing import FileListingProjection
from projections.reports_view import ReportsProjection
from projections.usage import UsageProjection


def all_projections() -> list[Projection]:
    return [
        FileListingProjection(),
        AuthProjection(),
        UsageProjection(),
        AlbumProjection(),
        ReportsProjection(),
        BlocklistProjection(),
    ]
