"""Stored sessions (SQLAlchemy, Alembic migrations) and the progress computed from them."""

from backstretch.store.repository import Store, StoredRep, StoredSession, resolve_url

__all__ = ["Store", "StoredRep", "StoredSession", "resolve_url"]
