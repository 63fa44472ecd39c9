"""moto's S3, served on its own: `python -m tests.integration.moto_s3 HOST PORT` (s3server.py).

moto's own launcher (`python -m moto.server`) serves every AWS service and works out which one
each request is for from its host, path and body; for a path-style S3 request that means
walking moto's package folders (about 175 `stat` calls) on every request, about a third of
its work on a 566 KB PUT. Every request to this server is S3, so it goes straight to moto's S3
application, as moto's launcher would send it after the guess: same backend, same answers,
same request handler. moto's own routes (`/moto-api`, used to reset state) still work.
"""

from __future__ import annotations

import sys
from typing import Any

from flask import Flask
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


class S3Only(DomainDispatcherApplication):
    def get_application(self, environ: dict[str, Any]) -> Flask:
        if environ.get("PATH_INFO", "").startswith("/moto-api"):
            return super().get_application(environ)
        with self.lock:
            app = self.app_instances.get("s3")
            if app is None:
                app = self.app_instances["s3"] = self.create_app("s3")
            return app


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = S3Only(create_backend_app)
    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
