"""Lectern domain package, shared by every Lambda function through the shared layer.

Importing this package has no side effects: no AWS clients, no environment reads, no network.
"""
