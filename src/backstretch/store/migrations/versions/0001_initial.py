"""Sessions, repetitions, faults, pain reports and optional landmarks.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("exercise", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime, nullable=True),
        sa.Column("source", sa.String(500), nullable=True),
        sa.Column("camera_view", sa.String(16), nullable=True),
        sa.Column("hold_target_s", sa.Float, nullable=False),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("rep_count", sa.Integer, nullable=False),
        sa.Column("completed_count", sa.Integer, nullable=False),
        sa.Column("set_complete", sa.Boolean, nullable=False),
        sa.Column("pain_stop", sa.Boolean, nullable=False),
        sa.Column("verified", sa.Boolean, nullable=False),
    )
    op.create_index("ix_sessions_started_at", "sessions", ["started_at"])
    op.create_table(
        "repetitions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("index", sa.Integer, nullable=False),
        sa.Column("start_s", sa.Float, nullable=False),
        sa.Column("hold_start_s", sa.Float, nullable=True),
        sa.Column("hold_end_s", sa.Float, nullable=True),
        sa.Column("end_s", sa.Float, nullable=False),
        sa.Column("position_s", sa.Float, nullable=False),
        sa.Column("hold_s", sa.Float, nullable=False),
        sa.Column("completed", sa.Boolean, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("peak_reach", sa.Float, nullable=False),
    )  # fmt: skip
    op.create_index("ix_repetitions_session_id", "repetitions", ["session_id"])
    op.create_table(
        "faults",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "rep_id", sa.Integer, sa.ForeignKey("repetitions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("start_s", sa.Float, nullable=False),
        sa.Column("end_s", sa.Float, nullable=False),
    )  # fmt: skip
    op.create_index("ix_faults_rep_id", "faults", ["rep_id"])
    op.create_table(
        "pain_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("reported_at", sa.DateTime, nullable=False),
        sa.Column("rating", sa.Integer, nullable=False),
        sa.Column("location", sa.String(40), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )  # fmt: skip
    op.create_index("ix_pain_reports_session_id", "pain_reports", ["session_id"])
    op.create_table(
        "session_landmarks",
        sa.Column(
            "session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )  # fmt: skip


def downgrade() -> None:
    for table in ("session_landmarks", "pain_reports", "faults", "repetitions", "sessions"):
        op.drop_table(table)
