"""The SQL store: models, migrations, writers. The alert tables join the models' metadata on import."""

from data_sources.store import alert_models  # noqa: F401
