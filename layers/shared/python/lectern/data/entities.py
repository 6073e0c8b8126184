"""Imports every entity module so the discriminator knows them all (and the table schema
includes every index). Add new entity modules here."""

from lectern.data import accounts, audit, cpd, discounts, events, registrations, throttle  # noqa: F401
