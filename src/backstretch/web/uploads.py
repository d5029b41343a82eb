"""Uploaded videos analysed in the background, one at a time, with progress.

The file is spooled to a temporary file (OpenCV reads from disk), checked to be a video
before it is accepted, analysed by the same pipeline as ``backstretch analyze``, and deleted
when the analysis ends. Results stay in memory (the last ``keep`` jobs).
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from backstretch.errors import BackstretchError, InputError
from backstretch.exercise.schema import Exercise
from backstretch.pipeline import analyze_source, open_source
from backstretch.pose.base import PoseEstimator
from backstretch.pose.video import VideoReader
from backstretch.report.html import render_html

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi")

Status = Literal["queued", "running", "done", "failed"]


@dataclass
class Job:
    id: str
    filename: str
    status: Status = "queued"
    done: int = 0
    total: int = 0
    error: str | None = None
    summary: dict[str, Any] | None = None
    html: str | None = None

    def public(self) -> dict[str, Any]:
        progress = self.done / self.total if self.total else (1.0 if self.status == "done" else 0.0)
        return {
            "id": self.id,
            "filename": self.filename,
            "status": self.status,
            "progress": round(min(progress, 1.0), 3),
            "frames_done": self.done,
            "frames_total": self.total,
            "error": self.error,
            "summary": self.summary,
            "report_url": f"/api/uploads/{self.id}/report" if self.status == "done" else None,
        }


def check_video(path: Path, name: str) -> None:
    """Raise VideoError (with the uploaded name) unless a first frame can be decoded."""
    try:
        with VideoReader(path):
            pass
    except InputError as exc:
        raise type(exc)(str(exc).replace(str(path), name)) from None


class Uploads:
    def __init__(
        self,
        exercise: Exercise,
        estimator: Callable[[], PoseEstimator],
        keep: int = 20,
    ) -> None:
        self.ex = exercise
        self.estimator = estimator
        self.keep = keep
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analyse")

    def submit(self, path: Path, filename: str) -> Job:
        job = Job(id=uuid.uuid4().hex[:12], filename=filename)
        self.jobs[job.id] = job
        while len(self.jobs) > self.keep:
            self.jobs.popitem(last=False)
        self._pool.submit(self._run, job, path)
        return job

    def _run(self, job: Job, path: Path) -> None:
        job.status = "running"

        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        try:
            source = open_source(path, estimator=self.estimator)
            source.info = replace(source.info, source=job.filename)
            analysis = analyze_source(source, self.ex, progress=progress)
            job.summary = analysis.report.summary.model_dump()
            job.html = render_html(analysis, self.ex)
            job.status = "done"
        except BackstretchError as exc:
            job.error = str(exc).replace(str(path), job.filename)
            job.status = "failed"
        except Exception as exc:
            job.error = f"the analysis failed: {type(exc).__name__}: {exc}"
            job.status = "failed"
        finally:
            path.unlink(missing_ok=True)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
