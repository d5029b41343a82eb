"""The web app: the live coach page, its WebSocket, and video uploads.

``create_app`` builds a FastAPI app around one exercise. Errors from the library
(:class:`~backstretch.errors.InputError`) become 4xx JSON answers with the message; the live
WebSocket answers bad messages with an error message and keeps serving. One live client at
a time: the pose model is too heavy to share two cores between two people.
"""

from __future__ import annotations

import asyncio
import base64
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from backstretch import __version__
from backstretch.errors import InputError
from backstretch.exercise.schema import Exercise
from backstretch.pipeline import sample_video
from backstretch.pose.base import PoseEstimator
from backstretch.store import Store
from backstretch.store.charts import history_png
from backstretch.store.progress import History, local_day
from backstretch.store.progress import history as build_history
from backstretch.types import SKELETON
from backstretch.web.live import LiveConnection, error
from backstretch.web.uploads import VIDEO_SUFFIXES, Uploads, check_video

STATIC = Path(str(files("backstretch.web") / "static"))
_pages = Environment(
    loader=PackageLoader("backstretch.web", "templates"), autoescape=select_autoescape(["html"])
)
MB = 1024 * 1024


def _mediapipe() -> PoseEstimator:
    from backstretch.pose.mediapipe_pose import MediaPipePoseEstimator

    return MediaPipePoseEstimator()


def create_app(
    exercise: Exercise,
    *,
    estimator: Callable[[], PoseEstimator] = _mediapipe,
    max_upload_mb: float = 200.0,
    max_frame_bytes: int = 2 * MB,
    store: Store | None = None,
) -> FastAPI:
    """The app; with a ``store``, live sessions are kept and the history page is there."""
    uploads = Uploads(exercise, estimator)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        uploads.shutdown()
        if store is not None:
            store.close()

    app = FastAPI(title="backstretch", version=__version__, lifespan=lifespan)
    app.state.live_busy = False
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/sample.mp4", include_in_schema=False)
    async def sample() -> FileResponse:
        """The built-in sample clip: the page can coach it instead of a camera (demo)."""
        return FileResponse(sample_video(), media_type="video/mp4")

    @app.get("/api/health")
    async def health() -> dict[str, Any]:
        return {"ok": True, "version": __version__, "live_busy": app.state.live_busy}

    @app.get("/api/exercise")
    async def exercise_card() -> dict[str, Any]:
        ex = exercise
        return {
            "id": ex.id,
            "name": ex.name,
            "summary": ex.summary,
            "camera_advice": ex.camera_advice,
            "safety": ex.safety,
            "warm_up": ex.warm_up,
            "steps": [s.model_dump() for s in ex.steps],
            "tips": ex.tips,
            "targets": ex.targets.model_dump(),
            "pain_areas": ex.live.pain_areas,
            "skeleton": [[int(a), int(b)] for a, b in SKELETON],
            "max_upload_mb": max_upload_mb,
            "video_types": list(VIDEO_SUFFIXES),
        }

    def _history() -> History:
        if store is None:
            raise HTTPException(404, "this server keeps no sessions (started without a store)")
        return build_history(store.sessions(exercise=exercise.id), exercise)

    @app.get("/api/history")
    def history_json() -> dict[str, Any]:
        return _history().as_dict()

    @app.get("/history", response_class=HTMLResponse)
    def history_page() -> HTMLResponse:
        h = _history()
        png = base64.b64encode(history_png(h)).decode() if h.sessions else None
        html = _pages.get_template("history.html").render(
            h=h, ex=exercise, chart=png, day=local_day, where=store.where if store else ""
        )
        return HTMLResponse(html)

    @app.post("/api/uploads", status_code=202)
    async def upload(request: Request) -> dict[str, Any]:
        limit = int(max_upload_mb * MB)
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit + MB:
            raise HTTPException(413, f"the upload is larger than {max_upload_mb:g} MB")
        form = await request.form(max_files=1, max_fields=4)
        file = form.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            raise HTTPException(400, "send the video as a form field named 'file'")
        name = Path(file.filename).name
        suffix = Path(name).suffix.lower()
        if suffix not in VIDEO_SUFFIXES:
            raise HTTPException(
                415,
                f"{name}: not a video type we read; send one of {', '.join(VIDEO_SUFFIXES)}",
            )
        path = await run_in_threadpool(_spool, file, suffix, limit)
        if path is None:
            raise HTTPException(413, f"{name}: larger than {max_upload_mb:g} MB")
        try:
            await run_in_threadpool(check_video, path, name)
        except InputError:
            path.unlink(missing_ok=True)
            raise
        job = uploads.submit(path, name)
        return job.public()

    @app.get("/api/uploads/{job_id}")
    async def upload_status(job_id: str) -> dict[str, Any]:
        job = uploads.jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no upload with id {job_id!r} (it may have expired)")
        return job.public()

    @app.get("/api/uploads/{job_id}/report", response_class=HTMLResponse)
    async def upload_report(job_id: str) -> HTMLResponse:
        job = uploads.jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no upload with id {job_id!r} (it may have expired)")
        if job.html is None:
            raise HTTPException(409, f"the analysis is {job.status}, no report yet")
        return HTMLResponse(job.html)

    @app.websocket("/ws/live")
    async def live(ws: WebSocket) -> None:
        await ws.accept()
        for _ in range(40):  # a reloaded page may arrive before its old socket has closed
            if not app.state.live_busy:
                break
            await asyncio.sleep(0.05)
        if app.state.live_busy:
            await ws.send_json(
                error("busy", "another live session is running on this server; try again later")
            )
            await ws.close(code=1013)
            return
        app.state.live_busy = True
        conn = LiveConnection(exercise, estimator, max_frame_bytes, store)
        try:
            await ws.send_json({"type": "hello", "version": __version__})
            while True:
                msg = await ws.receive()
                if msg["type"] == "websocket.disconnect":
                    break
                data, text = msg.get("bytes"), msg.get("text")
                if data is not None:
                    out = await run_in_threadpool(conn.on_frame, data)
                elif text is not None and len(text) > max_frame_bytes:
                    out = [error("too_large", f"messages are limited to {max_frame_bytes} bytes")]
                elif text is not None:
                    out = await run_in_threadpool(conn.on_text, text)
                else:
                    continue
                for m in out:
                    await ws.send_json(m)
        except WebSocketDisconnect:
            pass
        finally:  # also when the task is cancelled: no awaiting here
            app.state.live_busy = False
            conn.close()

    return app


def _spool(file: UploadFile, suffix: str, limit: int) -> Path | None:
    """Copy an upload to a temporary file; None (and nothing left behind) when over ``limit``."""
    size = 0
    with tempfile.NamedTemporaryFile(prefix="backstretch-", suffix=suffix, delete=False) as out:
        path = Path(out.name)
        while chunk := file.file.read(MB):
            size += len(chunk)
            if size > limit:
                break
            out.write(chunk)
    if size > limit:
        path.unlink(missing_ok=True)
        return None
    return path
