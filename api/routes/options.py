"""OPTIONS answers every method of its path.

Litestar 2 makes a route's automatic OPTIONS handler when the route's first handler is added;
the handler lists the methods of that first route object, and the route objects built as more
handlers join the path keep it (litestar#4169, fixed only in Litestar 3). So the handler is
pointed at the final route of its path, once, after the app is built. CORS preflights (a
CORSConfig, later) are answered before the router and do not depend on this.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.routes import HTTPRoute


def answer_all_methods(app: Litestar) -> None:
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or "OPTIONS" not in route.route_handler_map:
            continue
        fn = route.route_handler_map["OPTIONS"][0].fn
        code, cells = getattr(fn, "__code__", None), getattr(fn, "__closure__", None)
        if code is None or cells is None or fn.__name__ != "options_handler":
            continue  # an OPTIONS handler of our own: it answers for itself
        cells[code.co_freevars.index("self")].cell_contents = route
