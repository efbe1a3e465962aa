"""Every test in the repository (core, plugins) gets the shared fixtures.

They come from ``missionbase.core.testing``, registered as a ``pytest11``
entry point by missionbase's own pyproject, exactly as a third-party
plugin's tests get them: nothing to list here.
"""
