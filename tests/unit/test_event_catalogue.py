"""docs/events.md is the catalogue generated from the code, and every event type is in it."""

from __future__ import annotations

from pathlib import Path

from pichr.domain.catalogue import event_types, markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_docs_events_md_is_the_current_catalogue() -> None:
    assert DOC.read_text() == markdown(), "run: pichr events catalogue > docs/events.md"


def test_every_topic_is_versioned_and_unique() -> None:
    topics = [e.topic for e in event_types()]
    assert len(topics) == len(set(topics))
    assert all(t.startswith("pichr.") and t.rsplit(".", 1)[1].startswith("v") for t in topics)
