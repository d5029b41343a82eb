"""The web app (live coach and uploads): ``create_app``."""

from backstretch.web.app import create_app

__all__ = ["create_app"]
