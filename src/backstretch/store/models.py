"""The stored tables (SQLAlchemy 2 declarative). Change them only with a new migration in
``migrations/versions``; the tests check that the migrations build exactly these tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class SessionRow(Base):
    """One practice session: an analysed video, a live session or a guided one."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # video | live | guided
    exercise: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime, index=True)  # UTC
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # null: cut off
    source: Mapped[str | None] = mapped_column(String(500), nullable=True)
    camera_view: Mapped[str | None] = mapped_column(String(16), nullable=True)
    hold_target_s: Mapped[float] = mapped_column(Float)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rep_count: Mapped[int] = mapped_column(Integer, default=0)
    completed_count: Mapped[int] = mapped_column(Integer, default=0)
    set_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    pain_stop: Mapped[bool] = mapped_column(Boolean, default=False)
    verified: Mapped[bool] = mapped_column(Boolean, default=True)  # guided: False

    reps: Mapped[list[RepRow]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="RepRow.index"
    )
    pains: Mapped[list[PainRow]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="PainRow.reported_at"
    )


class RepRow(Base):
    __tablename__ = "repetitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    index: Mapped[int] = mapped_column(Integer)
    start_s: Mapped[float] = mapped_column(Float)
    hold_start_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    hold_end_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    end_s: Mapped[float] = mapped_column(Float)
    position_s: Mapped[float] = mapped_column(Float)
    hold_s: Mapped[float] = mapped_column(Float)
    completed: Mapped[bool] = mapped_column(Boolean)
    confidence: Mapped[float] = mapped_column(Float)
    peak_reach: Mapped[float] = mapped_column(Float)

    session: Mapped[SessionRow] = relationship(back_populates="reps")
    faults: Mapped[list[FaultRow]] = relationship(
        back_populates="rep", cascade="all, delete-orphan", order_by="FaultRow.start_s"
    )


class FaultRow(Base):
    __tablename__ = "faults"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rep_id: Mapped[int] = mapped_column(
        ForeignKey("repetitions.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(40))
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)

    rep: Mapped[RepRow] = relationship(back_populates="faults")


class PainRow(Base):
    __tablename__ = "pain_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    reported_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    rating: Mapped[int] = mapped_column(Integer)
    location: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")

    session: Mapped[SessionRow] = relationship(back_populates="pains")


class LandmarksRow(Base):
    """Optional (off by default): the session's poses as a gzipped landmark recording."""

    __tablename__ = "session_landmarks"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)
