"""Task functions: what the actors run, callable directly (tests do). Safe to run twice."""

from __future__ import annotations

from workers.context import TaskContext


def analyze_image(context: TaskContext, file_id: str) -> None:
    raise NotImplementedError(file_id)
