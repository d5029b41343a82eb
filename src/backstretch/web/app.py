"""The web app: the live coach page, its WebSocket, and video uploads.

``create_app`` builds a FastAPI app around one exercise. Errors from the library
(:class:`~backstretch.errors.InputError`) become 4xx JSON answers with the message; the live
WebSocket answers bad messages with an error message and keeps serving. With ``pose="browser"``
(``backstretch serve``'s default) the page runs the pose model and sends only landmarks:
pictures are refused, and up to ``max_clients`` people are coached at once, each on their
own connection and session. With ``pose="server"`` the page sends pictures and the server
poses them, for one live client at a time (the pose model is too heavy to share two cores
between two people). A client that sends nothing for ``idle_s`` seconds is told so and let
go. :mod:`backstretch.web.security`
guards every request (Host, Origin, token) and adds the security headers.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

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
from backstretch.web import browser_pose
from backstretch.web.live import LandmarksMsg, LiveConnection, error
from backstretch.web.load import JudgeRate
from backstretch.web.security import LOOPBACK_HOSTS, Guard
from backstretch.web.uploads import (
    MB,
    VIDEO_SUFFIXES,
    UploadRefused,
    Uploads,
    check_video,
    receive_upload,
)

log = logging.getLogger(__name__)
STATIC = Path(str(files("backstretch.web") / "static"))
_pages = Environment(
    loader=PackageLoader("backstretch.web", "templates"), autoescape=select_autoescape(["html"])
)


def _mediapipe() -> PoseEstimator:
    """The same pose path as the offline analysis (it looks closer for someone far away)."""
    from backstretch.pipeline import default_estimator

    return default_estimator()


def create_app(
    exercise: Exercise,
    *,
    estimator: Callable[[], PoseEstimator] = _mediapipe,
    max_upload_mb: float = 200.0,
    max_frame_bytes: int = 2 * MB,
    store: Store | None = None,
    hosts: Iterable[str] | None = LOOPBACK_HOSTS,
    token: str | None = None,
    idle_s: float = 30.0,
    max_waiting_uploads: int = 4,
    pose: str = "server",
    max_clients: int = 50,
    pose_cache: Path | None = None,
) -> FastAPI:
    """The app; with a ``store``, live sessions are kept and the history page is there.

    ``hosts`` are the host names it answers to (None: any, only with a ``token``); with a
    ``token`` every request must carry it (see :mod:`backstretch.web.security`). ``pose``:
    where live pictures are posed, "browser" or "server" (see above); ``pose_cache``: the
    folder for the browser's model bundle (default: the user's cache folder)."""
    if pose not in ("browser", "server"):
        raise InputError(f"pose must be 'browser' or 'server', not {pose!r}")
    uploads = Uploads(exercise, estimator, max_waiting=max_waiting_uploads)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        uploads.shutdown()
        if store is not None:
            store.close()

    app = FastAPI(title="backstretch", version=__version__, lifespan=lifespan)
    app.state.live_busy = False
    app.state.live_clients = 0
    app.state.pictures_received = 0  # live pictures accepted (none with pose="browser")
    app.state.landmark_frames = app.state.landmark_frames_judged = 0  # from every client
    live_cfg = exercise.live
    judge_rate = JudgeRate(live_cfg.judge_max_hz, live_cfg.judge_min_hz, live_cfg.judge_busy_share)
    app.state.judge_rate = judge_rate
    app.state.uploads = uploads
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if pose == "browser":
        browser_pose.mount(app, browser_pose.pose_task(pose_cache))
    app.add_middleware(Guard, hosts=hosts, token=token)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> JSONResponse:
        status = exc.status if isinstance(exc, UploadRefused) else 422
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/sample.mp4", include_in_schema=False)
    async def sample() -> FileResponse:
        """The built-in sample clip: the page can coach it instead of a camera (demo)."""
        return FileResponse(sample_video(), media_type="video/mp4")

    @app.get("/api/health")
    async def health() -> dict[str, Any]:
        return {"ok": True, "version": __version__, "pose": pose,
                "live_busy": app.state.live_busy, "live_clients": app.state.live_clients,
                "max_clients": max_clients if pose == "browser" else 1,
                "pictures_received": app.state.pictures_received,
                "judge_hz": round(judge_rate.hz(), 2),
                "landmark_frames": app.state.landmark_frames,
                "landmark_frames_judged": app.state.landmark_frames_judged}  # fmt: skip

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
        limit = int(max_upload_mb * MB) + 64 * 1024  # the form's own bytes on top
        too_large = f"the upload is larger than {max_upload_mb:g} MB"
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise HTTPException(413, too_large)
        kind = request.headers.get("content-type", "")
        with uploads.slot():  # a place in the queue before reading a byte
            path, name = await receive_upload(
                request.stream(), kind, limit, uploads.folder, too_large
            )
            try:
                await run_in_threadpool(check_video, path, name)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            return uploads.submit(path, name).public()

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

    async def _admit(ws: WebSocket) -> bool:
        """A place for this client: one of ``max_clients`` (browser), or the only one (server)."""
        if pose == "browser":
            if app.state.live_clients >= max_clients:
                who = "1 person" if max_clients == 1 else f"{max_clients} people"
                full = f"the coach is full: it takes {who} at once; try again later"
                await ws.send_json(error("full", full))
                await ws.close(code=1013)
                return False
            app.state.live_clients += 1
            return True
        for _ in range(40):  # a reloaded page may arrive before its old socket has closed
            if not app.state.live_busy:
                break
            await asyncio.sleep(0.05)
        if app.state.live_busy:
            await ws.send_json(
                error("busy", "another live session is running on this server; try again later")
            )
            await ws.close(code=1013)
            return False
        app.state.live_busy = True
        app.state.live_clients += 1
        return True

    def _on_picture(conn: LiveConnection, data: bytes) -> list[dict[str, Any]]:
        if pose == "browser":
            return [error("pictures_refused", "this coach runs the pose model in your browser "
                          "and takes landmarks, not pictures (a server started with --pose "
                          "server takes pictures)")]  # fmt: skip
        app.state.pictures_received += 1
        return conn.on_frame(data)

    @app.websocket("/ws/live")
    async def live(ws: WebSocket) -> None:
        await ws.accept()
        if not await _admit(ws):
            return
        conn = LiveConnection(exercise, estimator, max_frame_bytes, store)
        try:
            await ws.send_json(
                {"type": "hello", "version": __version__, "idle_s": idle_s, "pose": pose}
            )
            while True:
                # a person in a session (the pain dialog, the summary) may take their time;
                # a page that never started one holds its place for idle_s at most
                wait_s = idle_s if not conn.started else max(idle_s, 600.0)
                try:
                    async with asyncio.timeout(wait_s):  # no task per message, as wait_for makes
                        msg = await ws.receive()
                except TimeoutError:
                    await ws.send_json(
                        error("idle", f"nothing arrived for {wait_s:g} s; the coach let go")
                    )
                    await ws.close(code=1000)
                    break
                if msg["type"] == "websocket.disconnect":
                    break
                data, text = msg.get("bytes"), msg.get("text")
                try:
                    if data is not None:
                        out = await run_in_threadpool(_on_picture, conn, data)
                    elif text is not None and len(text) > max_frame_bytes:
                        out = [
                            error("too_large", f"messages are limited to {max_frame_bytes} bytes")
                        ]
                    elif text is not None:
                        parsed = conn.parse(text)
                        if isinstance(parsed, list):
                            out = parsed
                        elif isinstance(parsed, LandmarksMsg):
                            # a few milliseconds of Python and no I/O: a worker thread would
                            # only add its hand-off and contend for the interpreter lock
                            session = conn.session
                            session.judge_hz, judged = judge_rate.hz(), session.frames_judged
                            began = time.perf_counter()
                            out = conn.on_landmarks(parsed)
                            judge_rate.add(time.perf_counter() - began)
                            app.state.landmark_frames += 1
                            app.state.landmark_frames_judged += session.frames_judged > judged
                        else:
                            out = await run_in_threadpool(conn.handle, parsed)
                    else:
                        continue
                except Exception as exc:  # a bug must not drop the person's session
                    log.exception("live message failed")
                    out = [error("internal", f"the message failed ({type(exc).__name__})")]
                for m in out:
                    await ws.send_text(orjson.dumps(m).decode())  # NaN -> null
                if conn.writes_due:  # a finished repetition, stored off the event loop
                    await run_in_threadpool(conn.write_due)
        except WebSocketDisconnect:
            pass
        finally:  # also when the task is cancelled: no awaiting here
            app.state.live_clients -= 1
            if pose == "server":
                app.state.live_busy = False
            conn.close()

    return app
