"""Case Management: client record, case notes, case plans, assessments, incidents and follow-up.

This module holds only the plugin's hook implementations; declarations
live in objects.py and behaviour in plain functions beside it. Its objects
and behaviour arrive with the plugin's own issue.
"""

# Enabling this plugin without these is a startup error naming them.
requires = ["pmm"]
