"""Events: the organiser's events, custom registration fields, publishing, public pages, iCalendar."""
