"""Request/response models of an event's custom registration fields."""

from typing import Annotated, Any, Literal

from lectern.schemas import Name, Request, Response
from pydantic import Field, StringConstraints, field_validator

FieldType = Literal["text", "long_text", "select", "multi_select", "checkbox", "number", "date"]
Option = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
HelpText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Position = Annotated[int, Field(ge=0, le=1000)]


class EventFieldCreate(Request):
    label: Name
    type: FieldType
    required: bool = False
    options: list[Option] | None = Field(
        default=None,
        max_length=50,
        description="Required (non-empty, unique) for select and multi_select only",
    )
    help_text: HelpText = ""
    position: Position | None = Field(default=None, description="Order on the form (default: last)")


class EventFieldUpdate(Request):
    label: Name | None = None
    type: FieldType | None = None
    required: bool | None = None
    options: list[Option] | None = Field(default=None, max_length=50)
    help_text: HelpText | None = None
    position: Position | None = None

    @field_validator("label", "type", "required", "position")
    @classmethod
    def _not_null(cls, v: Any) -> Any:
        if v is None:
            raise ValueError("cannot be null")
        return v

    def changes(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.model_fields_set}


class EventFieldOut(Response):
    uuid: str
    label: str
    type: FieldType
    required: bool
    options: list[str]
    help_text: str
    position: int


class EventFieldList(Response):
    items: list[EventFieldOut]
    next_cursor: str | None = Field(default=None, description="Always null: an event has at most 30 fields")
