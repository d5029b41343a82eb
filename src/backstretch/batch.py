"""Whole folders of videos: one report per video, a summary table, resumable, in parallel.

``run_batch`` expands the inputs (files, folders searched recursively, glob patterns), skips
videos whose report is already written (unless ``force``), and analyses the rest with the
same pipeline as ``backstretch analyze``: in a local process pool (``workers``), or as Ray
tasks on a cluster (``ray_address``; Ray schedules and retries, we only submit). Workers
return the report as JSON text and the driver writes it (atomically, as each video finishes)
and stores it (``save``): the reports need no shared folder and the database has one writer.
The workers read the videos by their paths, so on a cluster every node must see them at the
same path (a shared or synced folder). A video that fails is listed with its error and the
batch goes on.

Output: ``OUT/<name>.json`` per video (``<name>`` is the file name, made unique with a short
hash of its path when two inputs share one) and ``OUT/summary.csv``, one row per video.
"""

from __future__ import annotations

import csv
import functools
import glob
import hashlib
import json
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing.managers import SyncManager
from pathlib import Path
from typing import Any

from backstretch.errors import BackstretchError, InputError
from backstretch.exercise import load_exercise
from backstretch.pose.replay import is_landmark_file
from backstretch.pose.video import VIDEO_SUFFIXES

SUMMARY_COLUMNS = ("video", "status", "report", "reps", "completed", "total_hold_s",
                   "best_hold_s", "score", "faults", "view", "error", "seconds")  # fmt: skip


FramesCallback = Callable[[str, int, int], None]


@dataclass
class Item:
    """One input video and where its report goes."""

    path: Path
    report: Path
    status: str = "todo"  # todo, done (analysed now), kept (already there), failed,
    # interrupted (not analysed: the batch was stopped; run it again to go on)
    error: str = ""
    seconds: float = 0.0
    summary: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        s = self.summary
        return {
            "video": str(self.path), "status": self.status,
            "report": str(self.report) if self.status in ("done", "kept") else "",
            "reps": s.get("reps", ""), "completed": s.get("completed", ""),
            "total_hold_s": s.get("total_hold_s", ""), "best_hold_s": s.get("best_hold_s", ""),
            "score": s.get("score", ""), "faults": s.get("faults", ""), "view": s.get("view", ""),
            "error": self.error, "seconds": round(self.seconds, 1) if self.seconds else "",
        }  # fmt: skip


def find_inputs(patterns: Iterable[str], skip: Path | None = None) -> list[Path]:
    """Videos and landmark recordings named by files, folders (recursively) and globs, in a
    stable order, each once; nothing under ``skip`` (the reports' folder). A folder gives
    its videos and ``.jsonl[.gz]`` recordings (not any ``.json``: a report is one). A
    pattern that matches nothing is an InputError."""
    found: dict[Path, None] = {}
    skip = skip.resolve() if skip is not None else None
    for pattern in patterns:
        p = Path(pattern)
        if p.is_dir():
            hits = sorted(
                q for q in p.rglob("*")
                if q.is_file() and _wanted(q) and not q.name.endswith(".json")
                and (skip is None or not q.resolve().is_relative_to(skip))
            )  # fmt: skip
        elif p.exists():
            hits = [p]
        else:
            hits = sorted(Path(q) for q in glob.glob(pattern, recursive=True) if _wanted(Path(q)))
        if not hits:
            why = "no video in this folder" if p.is_dir() else "no such file, folder or match"
            raise InputError(f"{pattern}: {why}")
        for h in hits:
            found.setdefault(h.resolve(), None)
    return list(found)


def _wanted(p: Path) -> bool:
    return p.is_file() and (p.suffix.lower() in VIDEO_SUFFIXES or is_landmark_file(p))


def plan(paths: list[Path], out: Path) -> list[Item]:
    """Each input with its report path (names made unique where two inputs share one)."""
    names: dict[str, int] = {}
    for p in paths:
        names[_stem(p)] = names.get(_stem(p), 0) + 1
    items = []
    for p in paths:
        stem = _stem(p)
        if names[stem] > 1:
            stem += "-" + hashlib.sha1(str(p).encode()).hexdigest()[:8]
        items.append(Item(p, out / f"{stem}.json"))
    return items


def _stem(p: Path) -> str:
    name = p.name
    for ext in (".jsonl.gz", ".jsonl", ".json"):
        if name.endswith(ext):
            return name[: -len(ext)]
    return p.stem


def summary_of(report: dict[str, Any]) -> dict[str, Any]:
    """The summary table's numbers from a JSON report."""
    s = report["summary"]
    reps = report.get("reps", [])
    return {
        "reps": s["rep_count"],
        "completed": s["completed_count"],
        "total_hold_s": round(s["total_hold_s"], 2),
        "best_hold_s": round(max((r["hold_s"] for r in reps), default=0.0), 2),
        "score": s["score"],
        "faults": ";".join(sorted({f["code"] for r in reps for f in r["faults"]})),
        "view": report.get("camera_view", ""),
    }


@functools.cache
def _glibc() -> Any:
    import ctypes

    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, musl): nothing to tune
        return None


def _limit_arenas() -> None:
    """Two malloc arenas per worker instead of eight per core: the pose model's and the
    reader's threads otherwise each keep their own, and a worker's memory grew from 300 to
    620 MB over eight short videos (with this and :func:`_give_back_memory`: flat, 350)."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(-8, 2)  # M_ARENA_MAX


def _give_back_memory() -> None:
    """Hand the freed heap of the last video back to the system (glibc keeps it)."""
    import gc

    gc.collect()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def analyse_one(
    path: str, exercise_path: str | None, stride: int | None, progress: Any = None
) -> tuple[str, float]:
    """Analyse one video (in a worker): its JSON report and the seconds it took. With a
    ``progress`` queue, ``(path, done, total)`` goes to it every 25 frames.

    Raises BackstretchError for a video that cannot be analysed (the driver lists it)."""
    from backstretch.pipeline import analyze_source, open_source
    from backstretch.report.json_report import report_json

    started = time.perf_counter()
    ex = load_exercise(Path(exercise_path) if exercise_path else None)

    def tick(done: int, total: int) -> None:
        if progress is not None and (done % 25 == 0 or done == total):
            progress.put((path, done, total))

    _limit_arenas()
    try:
        analysis = analyze_source(open_source(path, stride=stride), ex, progress=tick)
        return report_json(analysis.report), time.perf_counter() - started
    finally:
        _give_back_memory()


def _run_local(
    todo: list[Item], workers: int, args: tuple[str | None, int | None], on_frames: FramesCallback
) -> Iterator[tuple[Item, Any]]:
    """The analyses in a process pool; yields (item, result or exception) as each finishes,
    passing the workers' frame progress to ``on_frames`` meanwhile."""
    import multiprocessing
    import queue
    from concurrent.futures.process import BrokenProcessPool

    # spawn: the workers start clean (forking a process whose pose model runs threads can
    # crash the child)
    ctx = multiprocessing.get_context("spawn")
    # the progress queue's server ignores Ctrl+C (it reaches the whole process group): were it
    # to die first, reading the queue would fail before our own KeyboardInterrupt arrives
    manager = SyncManager(ctx=ctx)
    manager.start(_ignore_ctrl_c)
    with manager:
        ticks = manager.Queue()

        def pool_run(items: list[Item], size: int) -> Iterator[tuple[Item, Any]]:
            pool = ProcessPoolExecutor(max_workers=size, mp_context=ctx)
            try:
                pending = {pool.submit(analyse_one, str(i.path), *args, ticks): i for i in items}
                while pending:
                    finished, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                    while True:
                        try:
                            on_frames(*ticks.get_nowait())
                        except (queue.Empty, EOFError, OSError):  # none, or no queue any more
                            break
                    for fut in finished:
                        yield pending.pop(fut), _outcome(fut)
            finally:
                # stopped (Ctrl+C): the videos not started are dropped, not worked through;
                # the workers finish (or, interrupted with us, abandon) the one they are on
                pool.shutdown(wait=True, cancel_futures=True)

        # a worker that dies takes its pool down: its videos are tried again, each alone,
        # so that a video that kills its worker fails only itself
        crashed = []
        for item, outcome in pool_run(todo, workers):
            if isinstance(outcome, BrokenProcessPool):
                crashed.append(item)
            else:
                yield item, outcome
        for item in crashed:
            yield from pool_run([item], 1)


def _ignore_ctrl_c() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_ray(
    todo: list[Item], address: str, args: tuple[str | None, int | None]
) -> Iterator[tuple[Item, Any]]:
    """Run the analyses as Ray tasks (retried when a worker dies); yields (item, outcome)
    as each finishes, where outcome is the result or the exception."""
    import ray

    if not ray.is_initialized():
        try:
            ray.init(address=None if address == "local" else address, log_to_driver=False)
        except ConnectionError as exc:
            raise InputError(
                f"--ray {address}: no Ray cluster there ({exc}). Give the address of a running "
                "cluster (ray start --head starts one), or --ray local for a Ray on this "
                "machine only"
            ) from None
    remote = ray.remote(num_cpus=1, max_retries=3, retry_exceptions=False)(analyse_one)
    refs = {remote.remote(str(item.path), *args): item for item in todo}
    try:
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for ref in ready:
                item = refs.pop(ref)
                try:
                    yield item, ray.get(ref)
                except ray.exceptions.RayTaskError as exc:
                    yield item, exc.cause if exc.cause is not None else exc
                except Exception as exc:  # a worker that died more often than retried
                    yield item, exc
    finally:
        for ref in refs:  # stopped (Ctrl+C): the tasks not finished are cancelled
            ray.cancel(ref, force=True)


@dataclass
class BatchResult:
    items: list[Item]
    summary_csv: Path

    @property
    def interrupted(self) -> bool:
        """Stopped by Ctrl+C with videos left (their status is "interrupted")."""
        return any(i.status == "interrupted" for i in self.items)

    @property
    def failed(self) -> list[Item]:
        return [i for i in self.items if i.status == "failed"]


def run_batch(
    inputs: Iterable[str],
    out: Path,
    *,
    exercise_path: Path | None = None,
    workers: int | None = None,
    force: bool = False,
    stride: int | None = None,
    ray_address: str | None = None,
    on_done: Callable[[Item, int, int], None] | None = None,
    on_frames: FramesCallback | None = None,
    store_report: Callable[[Item, str], None] | None = None,
) -> BatchResult:
    """Analyse every input video; ``on_done(item, finished, total)`` after each one,
    ``on_frames(path, done, total)`` as a local worker goes through a video's frames,
    ``store_report(item, json_text)`` for each new report (the database, with --save)."""
    load_exercise(exercise_path)  # a bad exercise file fails here, before any work
    items = plan(find_inputs(inputs, skip=out), out)
    out.mkdir(parents=True, exist_ok=True)
    for item in items:
        if item.report.exists() and not force:
            try:
                item.summary = summary_of(json.loads(item.report.read_text(encoding="utf-8")))
                item.status = "kept"
            except (ValueError, KeyError, OSError):
                item.status = "todo"  # a damaged report is made again
    todo = [i for i in items if i.status == "todo"]
    args = (str(exercise_path) if exercise_path else None, stride)
    finished = len(items) - len(todo)
    results: Iterator[tuple[Item, Any]] = iter(())
    if todo and ray_address is not None:
        results = _run_ray(todo, ray_address, args)
    elif todo:
        n = max(1, min(workers or os.cpu_count() or 1, len(todo)))
        results = _run_local(todo, n, args, on_frames or (lambda path, done, total: None))
    try:
        for item, outcome in results:
            finished += 1
            if isinstance(outcome, BaseException):
                item.status, item.error = "failed", _message(outcome, item.path)
            else:
                text, item.seconds = outcome
                tmp = item.report.with_suffix(".json.partial")
                tmp.write_text(text, encoding="utf-8")
                os.replace(tmp, item.report)  # a report is there whole or not at all
                item.summary = summary_of(json.loads(text))
                item.status = "done"
                if store_report is not None:
                    store_report(item, text)
            if on_done is not None:
                on_done(item, finished, len(items))
    except KeyboardInterrupt:
        close = getattr(results, "close", None)
        if close is not None:
            close()  # stops the workers' queue (see _run_local, _run_ray)
        for item in todo:
            if item.status == "todo":
                item.status = "interrupted"
    summary = out / "summary.csv"
    with summary.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=SUMMARY_COLUMNS)
        writer.writeheader()
        writer.writerows(i.row() for i in items)
    return BatchResult(items, summary)


def _outcome(fut: Future[Any]) -> Any:
    try:
        return fut.result()
    except Exception as exc:
        return exc


def _message(exc: BaseException, path: Path) -> str:
    if isinstance(exc, BackstretchError):
        return str(exc)
    return f"{path}: the analysis failed ({type(exc).__name__}: {exc})"
