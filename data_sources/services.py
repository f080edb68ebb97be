"""The shared parts a running app needs (settings, database engine, Redis), built once per app and kept
in its Flask extensions under EXTENSION_KEY (callbacks/access.py current_services reads them)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import redis
from sqlalchemy.engine import Engine

from dashboard.settings import Settings
from data_sources.store.database import engine_for
from data_sources.stream.connection import connect

EXTENSION_KEY = "pantau"


@dataclass
class Services:
    settings: Settings
    _engine: Engine | None = None
    _redis: redis.Redis | None = None

    @cached_property
    def engine(self) -> Engine:
        return self._engine or engine_for(self.settings)

    @cached_property
    def redis(self) -> redis.Redis:
        return self._redis or connect(self.settings)
