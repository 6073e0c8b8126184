"""Attendance (PRODUCT.md §4): the minutes a registration attended each session, computed from
Zoom's join/leave edges (`intervals`), and eligibility under the event's completion rule
(`eligibility`). Both are pure functions; the attendance worker feeds them stored edges and
writes their results."""
