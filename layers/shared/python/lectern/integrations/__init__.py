"""Ports to the outside world (mail, storage, event bus) with their AWS adapters."""
