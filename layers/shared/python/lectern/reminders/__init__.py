"""Scheduled reminders of an event: the organiser's offsets, rescheduling, the sweep that sends them."""
