"""The REST API (``missionbase serve``): ``core.api.app.create_api(org_app)`` builds it from the registry.

Needs the ``server`` extra (``pip install 'missionbase[server]'``). Nothing in
the CLI imports this package unless a server or token command runs; the token
functions (``core.api.tokens``) import no web framework at all.
"""

from __future__ import annotations
