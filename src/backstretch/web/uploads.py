"""Uploaded videos analysed in the background, one at a time, with progress.

The form body is parsed as it streams in (python-multipart) and the file part written to the
server's own temporary folder, counting bytes: past the limit the upload stops and its file
is deleted, so the disk never holds more than the limit. OpenCV reads from disk. The file is
checked to be a video of a sane size before it is accepted, analysed by the same pipeline as
``backstretch analyze``, and deleted when the analysis ends; the folder goes at shutdown. At
most ``max_waiting`` uploads wait or run at once (more get 429). Results stay in memory (the
last ``keep`` finished jobs).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO, Literal

from python_multipart.multipart import MultipartParser, parse_options_header

from backstretch.errors import BackstretchError, InputError
from backstretch.exercise.schema import Exercise
from backstretch.pipeline import analyze_source, open_source
from backstretch.pose.base import PoseEstimator
from backstretch.pose.video import VIDEO_SUFFIXES, VideoReader, probe_video
from backstretch.report.html import render_html

MB = 1024 * 1024
MAX_HEADER = 8 * 1024  # bytes of one form-part header line
_probing = threading.Lock()

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


class UploadRefused(InputError):
    """An upload refused before analysis; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def check_video(path: Path, name: str) -> None:
    """Raise VideoError (with the uploaded name) unless it is a video of a sane frame size
    whose first frame decodes."""
    try:
        with _probing:  # one probe at a time: each may take its child up to 1 GB
            probe_video(path)
        with VideoReader(path):
            pass
    except InputError as exc:
        raise type(exc)(str(exc).replace(str(path), name)) from None


async def receive_upload(
    chunks: AsyncIterator[bytes],
    content_type: str,
    limit: int,
    folder: Path,
    too_large: str = "the upload is too large",
) -> tuple[Path, str]:
    """Stream a multipart form into ``folder``; returns the file part's path and its name.

    Raises UploadRefused (413 past ``limit`` bytes, 400 for a malformed form or no 'file'
    part, 415 for a type we do not read); nothing is left on disk then."""
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UploadRefused(400, "send the video as multipart/form-data with a field named 'file'")
    state: dict[str, Any] = {"headers": {}, "field": b"", "value": b"", "out": None}
    found: list[tuple[Path, str]] = []

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]
        if len(state["field"]) > MAX_HEADER:
            raise UploadRefused(400, "a form part's header is too long")

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]
        if len(state["value"]) > MAX_HEADER:
            raise UploadRefused(400, "a form part's header is too long")

    def on_header_end() -> None:
        state["headers"][state["field"].lower()] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        _, disp = parse_options_header(state["headers"].get(b"content-disposition", b""))
        state["headers"] = {}
        if disp.get(b"name") != b"file" or found:
            return
        name = Path(disp.get(b"filename", b"").decode("utf-8", "replace")).name
        suffix = Path(name).suffix.lower()
        if not name:
            raise UploadRefused(400, "the 'file' field has no file name")
        if suffix not in VIDEO_SUFFIXES:
            raise UploadRefused(
                415, f"{name}: not a video type we read; send one of {', '.join(VIDEO_SUFFIXES)}"
            )
        fd, raw = tempfile.mkstemp(prefix="upload-", suffix=suffix, dir=folder)
        state["out"] = open(fd, "wb")  # noqa: SIM115 - closed in on_part_end or below
        found.append((Path(raw), name))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        out: BinaryIO | None = state["out"]
        if out is not None:
            out.write(data[start:end])

    def on_part_end() -> None:
        if state["out"] is not None:
            state["out"].close()
            state["out"] = None

    parser = MultipartParser(
        boundary,
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    size = 0
    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise UploadRefused(413, too_large)
            parser.write(chunk)
        parser.finalize()
    except UploadRefused:
        _discard(state, found)
        raise
    except Exception as exc:  # python-multipart's parse errors
        _discard(state, found)
        raise UploadRefused(400, f"the form could not be read ({exc})") from None
    if not found or state["out"] is not None:
        _discard(state, found)
        raise UploadRefused(400, "send the video as a form field named 'file'")
    return found[0]


def _remove_orphans() -> None:
    """Delete the upload folders of servers that were killed before they could (their
    process is gone)."""
    for folder in Path(tempfile.gettempdir()).glob("backstretch-uploads-*-*"):
        pid = folder.name.split("-")[2]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _discard(state: dict[str, Any], found: list[tuple[Path, str]]) -> None:
    if state["out"] is not None:
        state["out"].close()
    for path, _ in found:
        path.unlink(missing_ok=True)


class Uploads:
    def __init__(
        self,
        exercise: Exercise,
        estimator: Callable[[], PoseEstimator],
        keep: int = 20,
        max_waiting: int = 4,
    ) -> None:
        self.ex = exercise
        self.estimator = estimator
        self.keep = keep
        self.max_waiting = max_waiting
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        _remove_orphans()
        self.folder = Path(tempfile.mkdtemp(prefix=f"backstretch-uploads-{os.getpid()}-"))
        self._lock = threading.Lock()
        self._arriving = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analyse")

    def waiting(self) -> int:
        """Uploads arriving, waiting or being analysed."""
        return self._arriving + sum(j.status in ("queued", "running") for j in self.jobs.values())

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a place in the queue while an upload arrives (429 when there is none)."""
        with self._lock:
            self.check_room()
            self._arriving += 1
        try:
            yield
        finally:
            with self._lock:
                self._arriving -= 1

    def check_room(self) -> None:
        """Refuse (429) when ``max_waiting`` uploads already arrive, wait or run."""
        if self.waiting() >= self.max_waiting:
            raise UploadRefused(
                429,
                f"{self.max_waiting} videos are already waiting to be analysed; "
                "try again when one is done",
            )

    def submit(self, path: Path, filename: str) -> Job:
        """Queue an arrived upload (call it inside its ``slot``, which counted it)."""
        with self._lock:
            job = Job(id=uuid.uuid4().hex[:12], filename=filename)
            self.jobs[job.id] = job
            finished = [k for k, j in self.jobs.items() if j.status in ("done", "failed")]
            for k in finished[: max(0, len(self.jobs) - self.keep)]:  # never a waiting job
                del self.jobs[k]
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
        """Cancel what waits and delete every uploaded file (a running analysis has its file
        open; it finishes reading it and its result is dropped)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self.folder, ignore_errors=True)
