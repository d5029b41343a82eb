"""The store: where sessions are kept, and the one path that writes them.

``Store(url)`` opens (and migrates) the database: SQLite in the user's data folder by default,
or any SQLAlchemy URL (``--db`` or ``BACKSTRETCH_DB``; PostgreSQL works). Every write is a
short transaction of its own, committed at once: a repetition is stored as soon as it is
complete, so a killed process loses at most the one in progress. SQLite runs in WAL mode.
Database trouble (unreachable, read-only, not a database) becomes a :class:`StoreError`
that says which database and what is wrong, and nothing is created or overwritten on the way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from backstretch.analysis.model import Rep, Report, Summary
from backstretch.errors import StoreError
from backstretch.store.models import FaultRow, LandmarksRow, PainRow, RepRow, SessionRow

ENV = "BACKSTRETCH_DB"
MIGRATIONS = Path(str(files("backstretch.store") / "migrations"))


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def default_url() -> str:
    from platformdirs import user_data_path

    return f"sqlite:///{user_data_path('backstretch') / 'backstretch.db'}"


def resolve_url(db: str | None) -> URL:
    """``--db`` (a URL or a file path), else ``$BACKSTRETCH_DB``, else the default SQLite file."""
    raw = db or os.environ.get(ENV) or default_url()
    if "://" not in raw:
        raw = f"sqlite:///{Path(raw).expanduser().resolve()}"
    try:
        return make_url(raw)
    except ArgumentError as exc:
        raise StoreError(f"{raw}: not a database URL ({exc})") from None


@dataclass
class StoredFault:
    code: str
    start_s: float
    end_s: float


@dataclass
class StoredRep:
    index: int
    start_s: float
    hold_start_s: float | None
    hold_end_s: float | None
    end_s: float
    position_s: float
    hold_s: float
    completed: bool
    confidence: float
    peak_reach: float
    faults: list[StoredFault] = field(default_factory=list)


@dataclass
class StoredPain:
    reported_at: datetime
    rating: int
    location: str
    note: str


@dataclass
class StoredSession:
    """A session as read back (plain data, no database attached)."""

    id: int
    kind: str
    exercise: str
    started_at: datetime
    ended_at: datetime | None
    source: str | None
    camera_view: str | None
    hold_target_s: float
    score: int | None
    rep_count: int
    completed_count: int
    set_complete: bool
    pain_stop: bool
    verified: bool
    reps: list[StoredRep]
    pains: list[StoredPain]

    @property
    def finished(self) -> bool:
        return self.ended_at is not None

    @property
    def fault_codes(self) -> list[str]:
        return sorted({f.code for r in self.reps for f in r.faults})

    @property
    def best_hold_s(self) -> float:
        return max((r.hold_s for r in self.reps), default=0.0)

    @property
    def best_reach(self) -> float | None:
        return max((r.peak_reach for r in self.reps), default=None)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("started_at", "ended_at"):
            d[k] = d[k].isoformat() + "Z" if d[k] is not None else None
        for p in d["pains"]:
            p["reported_at"] = p["reported_at"].isoformat() + "Z"
        return d


def _file_of(database: str) -> str:
    """The file of an SQLite database name, also when given as a ``file:...?...`` URI."""
    return database.removeprefix("file:").split("?", 1)[0]


def _lock_path(database: str) -> str:
    """Where processes opening the same SQLite file wait for each other: a lock file in the
    temporary folder named after the database's absolute path (not beside the database,
    whose folder may be read-only; ``file:...?mode=ro`` URIs are resolved to their file)."""
    import hashlib
    import tempfile

    path = _file_of(database)
    key = hashlib.sha256(str(Path(path).expanduser().resolve()).encode()).hexdigest()[:16]
    return str(Path(tempfile.gettempdir()) / f"backstretch-db-{key}.lock")


def _session_row(
    kind: str,
    exercise: str,
    hold_target_s: float,
    started_at: datetime,
    *,
    source: str | None = None,
    camera_view: str | None = None,
    verified: bool = True,
) -> SessionRow:
    return SessionRow(
        kind=kind,
        exercise=exercise,
        started_at=started_at,
        source=source,
        camera_view=camera_view,
        hold_target_s=hold_target_s,
        rep_count=0,
        completed_count=0,
        set_complete=False,
        pain_stop=False,
        verified=verified,
    )


def _rep_row(rep: Rep, session_id: int | None = None) -> RepRow:
    row = RepRow(
        index=rep.index,
        start_s=rep.start_s,
        hold_start_s=rep.hold_start_s,
        hold_end_s=rep.hold_end_s,
        end_s=rep.end_s,
        position_s=rep.position_s,
        hold_s=rep.hold_s,
        completed=rep.completed,
        confidence=rep.confidence,
        peak_reach=rep.peak_reach,
        faults=[FaultRow(code=f.code, start_s=f.start_s, end_s=f.end_s) for f in rep.faults],
    )
    if session_id is not None:
        row.session_id = session_id
    return row


def _finish_row(
    row: SessionRow, summary: Summary, camera_view: str | None, pain_stop: bool, ended_at: datetime
) -> None:
    row.ended_at = ended_at
    row.score = summary.score if row.verified else None  # no score without a camera
    row.rep_count = summary.rep_count
    row.completed_count = summary.completed_count
    row.set_complete = summary.set_complete
    row.pain_stop = pain_stop
    row.camera_view = camera_view or row.camera_view


class Store:
    def __init__(self, db: str | None = None) -> None:
        self.url = resolve_url(db)
        self.where = self.url.render_as_string(hide_password=True)
        if self.url.get_backend_name() == "sqlite":
            self._check_sqlite_file()
        try:
            self.engine = create_engine(self.url, pool_pre_ping=True)
        except (ArgumentError, ModuleNotFoundError, SQLAlchemyError) as exc:
            raise StoreError(f"{self.where}: cannot use this database ({exc})") from None
        if self.url.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        with self._errors("open"):
            self._migrate()

    # -- opening ---------------------------------------------------------------------------
    def _check_sqlite_file(self) -> None:
        name = self.url.database
        if not name or name == ":memory:":
            return
        path = Path(_file_of(name))
        if path.is_dir():
            raise StoreError(f"{self.where}: is a folder, not a database file")
        if path.exists():
            with path.open("rb") as fh:
                head = fh.read(16)
            if head and head != b"SQLite format 3\x00":
                raise StoreError(
                    f"{path}: not an SQLite database (damaged, or another kind of file); "
                    "it was left as it is. Move it away or choose another --db."
                )
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path.parent}: cannot create the folder ({exc.strerror})") from None

    def _migrate(self) -> None:
        """Bring the schema to this version's; one process at a time (a file lock for SQLite,
        an advisory lock on PostgreSQL), so processes opening a new database at once do not
        race to create its tables."""
        from alembic.util import CommandError
        from filelock import FileLock

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        name = self.url.database
        sqlite_file = self.url.get_backend_name() == "sqlite" and name and name != ":memory:"
        lock = FileLock(_lock_path(name)) if sqlite_file and name else nullcontext()
        try:
            with lock, self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(72623310)"))
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except CommandError as exc:
            if "Can't locate revision" in str(exc):
                raise StoreError(
                    f"{self.where}: this database was written by a newer version of "
                    "backstretch; upgrade backstretch (pip install -U backstretch) or "
                    "choose another --db. Nothing was changed."
                ) from None
            raise StoreError(f"{self.where}: cannot update the database schema ({exc})") from None

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.where}: cannot {doing} the database: {_reason(exc)}") from None

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """The one write path: one short transaction, committed at the end, errors translated."""
        with self._errors("write to"), self._session.begin() as s:
            yield s

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def tables(self) -> set[str]:
        with self._errors("read"):
            return set(inspect(self.engine).get_table_names())

    # -- writing ---------------------------------------------------------------------------
    def begin(
        self,
        kind: str,
        exercise: str,
        hold_target_s: float,
        *,
        started_at: datetime | None = None,
        source: str | None = None,
        camera_view: str | None = None,
        verified: bool = True,
    ) -> int:
        """Start a session; returns its id."""
        row = _session_row(kind, exercise, hold_target_s, started_at or utcnow(),
                           source=source, camera_view=camera_view, verified=verified)  # fmt: skip
        with self._write() as s:
            s.add(row)
            s.flush()
            return row.id

    def add_rep(self, session_id: int, rep: Rep) -> None:
        """Store one finished repetition (committed before this returns)."""
        with self._write() as s:
            s.add(_rep_row(rep, session_id))

    def add_pain(
        self,
        session_id: int,
        rating: int,
        location: str,
        note: str = "",
        at: datetime | None = None,
    ) -> None:
        with self._write() as s:
            s.add(
                PainRow(
                    session_id=session_id,
                    reported_at=at or utcnow(),
                    rating=rating,
                    location=location,
                    note=note,
                )
            )

    def finish(
        self,
        session_id: int,
        summary: Summary,
        *,
        camera_view: str | None = None,
        pain_stop: bool = False,
        ended_at: datetime | None = None,
    ) -> None:
        with self._write() as s:
            row = s.get(SessionRow, session_id)
            if row is None:
                raise StoreError(f"{self.where}: no session {session_id}")
            _finish_row(row, summary, camera_view, pain_stop, ended_at or utcnow())

    def delete(self, session_id: int) -> None:
        with self._write() as s:
            row = s.get(SessionRow, session_id)
            if row is not None:
                s.delete(row)

    def save_landmarks(self, session_id: int, data: bytes) -> None:
        with self._write() as s:
            s.merge(LandmarksRow(session_id=session_id, data=data))

    def save_report(
        self,
        report: Report,
        hold_target_s: float,
        *,
        kind: str = "video",
        started_at: datetime | None = None,
    ) -> int:
        """Store an analysed recording, its repetitions and summary, in one transaction."""
        row = _session_row(kind, report.exercise, hold_target_s, started_at or utcnow(),
                           source=report.video.source, camera_view=report.camera_view)  # fmt: skip
        row.reps = [_rep_row(rep) for rep in report.reps]
        _finish_row(row, report.summary, report.camera_view, False, utcnow())
        with self._write() as s:
            s.add(row)
            s.flush()
            return row.id

    # -- reading ---------------------------------------------------------------------------
    def sessions(
        self, limit: int | None = None, exercise: str | None = None
    ) -> list[StoredSession]:
        """Sessions, oldest first (the last ``limit`` of them)."""
        q = (
            select(SessionRow)
            .options(
                selectinload(SessionRow.reps).selectinload(RepRow.faults),
                selectinload(SessionRow.pains),
            )
            .order_by(SessionRow.started_at.desc(), SessionRow.id.desc())
        )
        if exercise is not None:
            q = q.where(SessionRow.exercise == exercise)
        if limit is not None:
            q = q.limit(limit)
        with self._errors("read"), self._session() as s:
            rows = list(s.scalars(q))
            return [_plain(r) for r in reversed(rows)]

    def landmarks(self, session_id: int) -> bytes | None:
        with self._errors("read"), self._session() as s:
            row = s.get(LandmarksRow, session_id)
            return None if row is None else row.data


def _plain(r: SessionRow) -> StoredSession:
    return StoredSession(
        id=r.id,
        kind=r.kind,
        exercise=r.exercise,
        started_at=r.started_at,
        ended_at=r.ended_at,
        source=r.source,
        camera_view=r.camera_view,
        hold_target_s=r.hold_target_s,
        score=r.score,
        rep_count=r.rep_count,
        completed_count=r.completed_count,
        set_complete=r.set_complete,
        pain_stop=r.pain_stop,
        verified=r.verified,
        reps=[
            StoredRep(
                index=p.index,
                start_s=p.start_s,
                hold_start_s=p.hold_start_s,
                hold_end_s=p.hold_end_s,
                end_s=p.end_s,
                position_s=p.position_s,
                hold_s=p.hold_s,
                completed=p.completed,
                confidence=p.confidence,
                peak_reach=p.peak_reach,
                faults=[StoredFault(f.code, f.start_s, f.end_s) for f in p.faults],
            )
            for p in r.reps
        ],
        pains=[StoredPain(p.reported_at, p.rating, p.location, p.note) for p in r.pains],
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def _reason(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()[0]
    if "readonly" in text or "read-only" in text:
        return f"{text} (the file or its folder is read-only)"
    return text
