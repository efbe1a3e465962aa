"""Settings of the housing plugin (an admin changes them with ``missionbase settings set``).

Keys start with the plugin's namespace, ``housing.``: core refuses any
other so two plugins can never claim the same key.
"""

from missionbase.core import Setting

VACANCY_ALERT_BELOW = "housing.vacancy_alert_below"

SETTINGS = [
    Setting(
        VACANCY_ALERT_BELOW,
        2,
        "The vacancy job warns when fewer housing units than this are available",
    ),
]
