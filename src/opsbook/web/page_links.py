"""The headers that page a list over HTTP: the total, the next cursor and a `Link` to it.

A list's body stays a JSON array (what clients already read); paging rides in headers, as
GitHub's API does: `X-Total-Count: 5000` with `X-Total-Relation: eq` ("gte" where counting
stopped at a bound: at least that many), `X-Next-Cursor: <cursor>` and
`Link: </api/v1/alerts?state=open&cursor=<cursor>>; rel="next"` while there is a next page.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Query, Request, Response

from opsbook.paging import CURSOR_MAX, Page

T = TypeVar("T")

Cursor = Annotated[
    str | None,
    Query(
        max_length=CURSOR_MAX,
        description="The X-Next-Cursor of the page before; none for the first page.",
    ),
]
PAGE_HEADERS = {
    "X-Total-Count": {
        "description": "How many items match, in all pages.",
        "schema": {"type": "integer"},
    },
    "X-Total-Relation": {
        "description": '"eq": the total is exact; "gte": there are at least that many.',
        "schema": {"type": "string"},
    },
    "X-Next-Cursor": {
        "description": "Pass as `cursor` for the next page; absent on the last.",
        "schema": {"type": "string"},
    },
    "Link": {"description": 'rel="next": the next page\'s address.', "schema": {"type": "string"}},
}


def paged(request: Request, response: Response, page: Page[T]) -> list[T]:
    """Put the page's total and next cursor in the headers; return its items as the body."""
    response.headers["X-Total-Count"] = str(page.total)
    response.headers["X-Total-Relation"] = "eq" if page.total_exact else "gte"
    if page.next_cursor:
        response.headers["X-Next-Cursor"] = page.next_cursor
        response.headers["Link"] = f'<{next_page(request, page.next_cursor)}>; rel="next"'
    return list(page.items)


def next_page(request: Request, cursor: str) -> str:
    """Return the path and query of this request's next page: the same filters, the cursor."""
    following = request.url.include_query_params(cursor=cursor)
    return f"{following.path}?{following.query}"
