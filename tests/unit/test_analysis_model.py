"""The NSFW model (checked at load, batched) and the duplicate index."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from pichr.application.imaging.nsfw import (
    ModelError,
    NsfwModel,
    bundled_model,
    file_sha256,
    preprocess,
)
from pichr.application.uploads.duplicates import DuplicateIndex
from pichr.domain import ids
from pichr.projections.log.events import LoggedEvent
from pichr.workers.dispatcher import ANALYSIS_GROUP, analysis_jobs
from tests.support.photos import photo


def test_model_file_with_another_digest_is_refused(tmp_path: Path) -> None:
    tampered = tmp_path / "model.onnx"
    shutil.copyfile(bundled_model(), tampered)
    with tampered.open("ab") as f:
        f.write(b"\0")
    with pytest.raises(ModelError):
        NsfwModel(str(tampered), file_sha256(bundled_model()))


def test_configured_model_path_is_used_and_named_by_its_digest(tmp_path: Path) -> None:
    copy = tmp_path / "model.onnx"
    shutil.copyfile(bundled_model(), copy)
    model = NsfwModel(str(copy), file_sha256(copy))
    assert model.info.label.endswith(file_sha256(copy)[:16])
    assert "custom" in model.info.name


def test_batched_scores_equal_single_scores() -> None:
    model = NsfwModel()
    inputs = [preprocess(photo((320, 240), seed)) for seed in range(3)]
    batched = model.score(inputs)
    single = [model.score([x])[0] for x in inputs]
    assert batched == pytest.approx(single, abs=1e-5)
    assert all(0.0 <= s <= 1.0 for s in batched)


def test_one_thread_per_run_scores_as_every_core_does() -> None:
    """PICHR_NSFW_THREADS changes how a run uses the cores, never its result."""
    one, every = NsfwModel(threads=1), NsfwModel(threads=0)
    assert one.session.get_session_options().intra_op_num_threads == 1
    inputs = [preprocess(photo((320, 240), seed)) for seed in range(2)]
    assert one.score(inputs) == pytest.approx(every.score(inputs), abs=1e-5)


def _hex(value: int) -> str:
    return f"{value:016x}"


def test_index_finds_exact_then_similar_within_the_distance_of_the_same_owner() -> None:
    index = DuplicateIndex()
    index.put("alice", "file_same", "sha-a", _hex(0xFFFF))
    index.put("alice", "file_near", "sha-b", _hex(0xFFFF ^ 0b111))  # 3 bits away
    index.put("alice", "file_far", "sha-c", _hex(0xFFFF ^ 0x3FF << 20))  # 10 bits away
    index.put("bob", "file_bobs", "sha-a", _hex(0xFFFF))
    found = index.find("alice", "file_new", "sha-a", _hex(0xFFFF), 8)
    assert [(m.file_id, m.kind, m.distance) for m in found] == [
        ("file_same", "exact", 0),
        ("file_near", "similar", 3),
    ]


def test_removed_and_unanalyzed_files_are_not_similar() -> None:
    index = DuplicateIndex()
    for n in range(100):
        index.put("alice", f"file_{n}", f"sha-{n}", _hex(random.getrandbits(64) | 1 << 63))
    index.put("alice", "file_twin", "sha-x", _hex(0))
    index.put("alice", "file_pending", "sha-y", None)
    index.remove("alice", "file_twin")
    found = index.find("alice", "file_new", "sha-y", _hex(0), 0)
    assert [(m.file_id, m.kind) for m in found] == [("file_pending", "exact")]


def test_dispatcher_groups_finalized_files_into_analysis_messages() -> None:
    def finalized(n: int) -> LoggedEvent:
        return LoggedEvent(n, ids.new_uuid(), 3, "pichr.file.UploadFinalized.v1", {})

    events = [finalized(n) for n in range(1, ANALYSIS_GROUP + 2)]
    events.insert(2, LoggedEvent(99, ids.new_uuid(), 1, "pichr.file.MetadataUpdated.v1", {}))
    jobs = analysis_jobs(events)
    assert [j.name for j in jobs] == ["analyze_images", "analyze_image"]
    assert len(jobs[0].args[0]) == ANALYSIS_GROUP
    assert len({j.key for j in jobs}) == 2
