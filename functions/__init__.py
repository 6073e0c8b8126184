"""Lambda entry points, one package per route group (see functions/groups.py)."""
