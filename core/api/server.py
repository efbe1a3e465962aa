"""The ASGI application uvicorn (or granian) starts: ``missionbase.core.api.server:create``.

A factory rather than a module-level app, so that each worker process opens the
org itself (engines and pools are not shared across processes) from the config
``missionbase serve`` names in ``MISSIONBASE_CONFIG``. For granian::

    MISSIONBASE_CONFIG=/srv/org/missionbase.toml granian --interface asgi --factory \\
        missionbase.core.api.server:create
"""

from __future__ import annotations

import os


def create():
    from ..app import open_org
    from ..config import load_settings
    from .app import create_api

    settings = load_settings(os.environ.get("MISSIONBASE_CONFIG"), require_file=True)
    return create_api(open_org(settings=settings))
