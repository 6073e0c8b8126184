"""Imports every entity module so the discriminator knows them all (and the table schema
includes every index). Add new entity modules here."""

from lectern.data import (  # noqa: F401
    accounts,
    attendance,
    audit,
    certificates,
    contacts,
    cpd,
    discounts,
    events,
    invitations,
    mail,
    registrations,
    reminders,
    sessions,
    throttle,
    webhooks,
    zoom,
    zoom_connection,
)
