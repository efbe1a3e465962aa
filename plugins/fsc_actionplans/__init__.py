"""FSC action plans: versioned templates, task and document items, business-day due dates.

This module holds only the plugin's hook implementations; declarations
live in objects.py and behaviour in plain functions beside it. Its objects
and behaviour arrive with the plugin's own issue.
"""
