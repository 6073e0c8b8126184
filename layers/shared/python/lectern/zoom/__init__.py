"""Zoom: credentials, OAuth connection, webhook verification, meeting provisioning."""
