"""Parts of an S3 put: as small as S3 allows, whatever the length, within its 10,000 parts."""

from __future__ import annotations

import pytest

from pichr.application.blobs.s3 import MAX_PARTS, MIN_PART_SIZE, MiB, part_size


@pytest.mark.parametrize("length", [-1, 0, 1, 566_000, 500 * MiB, 50_000 * MiB, 80 * 1024**3])
def test_parts_are_whole_mib_at_least_the_minimum_and_at_most_10000(length: int) -> None:
    size = part_size(length)
    assert size >= MIN_PART_SIZE
    assert size % MiB == 0
    assert -(-max(length, 0) // size) <= MAX_PARTS


def test_the_minimum_until_it_would_take_more_than_10000_parts() -> None:
    assert part_size(MAX_PARTS * MIN_PART_SIZE) == MIN_PART_SIZE
    assert part_size(MAX_PARTS * MIN_PART_SIZE + 1) == MIN_PART_SIZE + MiB
