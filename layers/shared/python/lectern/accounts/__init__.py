"""Accounts: signup, email verification, login, refresh-token rotation, logout, password reset
and change, sessions, profile."""
