"""Case Management settings and value generators (an admin changes settings with ``missionbase settings set``)."""

from missionbase.core import Setting

# Settings (an admin changes them with ``missionbase settings set``).
CLIENT_ID_GENERATOR = "casemgmt.client_id_generator"
CLIENT_ID_FORMAT = "casemgmt.client_id_format"
AGE_BOUNDS = "casemgmt.age_category_bounds"
ABSENCE_THRESHOLD = "casemgmt.followup_consecutive_absences"
NO_SERVICE_WINDOW = "casemgmt.followup_window_days"
FORMAT_GENERATOR = "casemgmt.format"

SETTINGS = [
    Setting(
        CLIENT_ID_GENERATOR,
        FORMAT_GENERATOR,
        "Generator that numbers new clients (a plugin may register its own)",
    ),
    Setting(
        CLIENT_ID_FORMAT,
        "{YYYY}-{SEQ:6}",
        "Format of the casemgmt.format generator: {YYYY} {YY} {MM} and {SEQ:n} (a counter per prefix)",
    ),
    Setting(
        AGE_BOUNDS,
        {"Child": 0, "Youth": 13, "Adult": 18, "Senior": 65},
        "Lowest age of each age category",
        type=dict[str, int],
    ),
    Setting(ABSENCE_THRESHOLD, 3, "Consecutive absences that put a client on the 'absences in a row' list"),
    Setting(
        NO_SERVICE_WINDOW, 14, "Days (today included) without a service delivery before a client is listed"
    ),
]
