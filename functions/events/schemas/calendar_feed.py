"""Response model of the personal calendar feed."""

from datetime import datetime

from lectern.schemas import Response
from pydantic import Field


class CalendarFeedOut(Response):
    url: str = Field(description="Secret URL of your personal iCalendar feed; anyone who has it can read it")
    created_at: datetime
