"""Chatter: feeds, posts, comments, mentions, follows, groups and notifications.

This module holds only the plugin's hook implementations; declarations
live in objects.py and behaviour in plain functions beside it. Its objects
and behaviour arrive with the plugin's own issue.
"""
