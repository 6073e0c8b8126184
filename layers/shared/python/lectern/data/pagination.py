"""One page of a Query: exactly one DynamoDB call, with a signed cursor for the next."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lectern import cursors

T = TypeVar("T")
U = TypeVar("U")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None

    def map(self, fn: Callable[[T], U]) -> Page[U]:
        return Page([fn(i) for i in self.items], self.next_cursor)


def query_page(
    query: Callable[..., Any],
    page: PageRequest,
    scope: str,
    **kwargs: Any,
) -> Page[Any]:
    """Run `query` (a pynamodb Model.query / Index.query partial) for one page.

    `page_size` equals `limit`, so a page is one DynamoDB call.
    """
    start = cursors.decode(page.cursor, scope)
    results = query(limit=page.limit, page_size=page.limit, last_evaluated_key=start, **kwargs)
    items = list(results)
    return Page(items, cursors.encode(results.last_evaluated_key, scope))
