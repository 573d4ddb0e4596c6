"""The strict layer (strict.py) over moto, served: in-process on a thread (the tests' strict_endpoint fixture), or
as `python -m bootstrap.local.strict -H HOST -p PORT` (what `ecsenv local start` runs)."""

import os
import threading

from bootstrap.local.strict import StrictLayer


def moto_app():
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


class ThreadServer:
    """A WSGI app over moto, served on a thread of this process (moto's backends are this process's)."""

    def __init__(self, app, host="127.0.0.1", port=0):
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import make_server

        self._server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = None

    @property
    def endpoint(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self):
        self._server.serve_forever()

    def stop(self):
        self._server.shutdown()
        if self._thread:
            self._thread.join()


class StrictServer(ThreadServer):
    """The strict layer over moto, served on a thread of this process."""

    def __init__(self, host="127.0.0.1", port=0, timings=None):
        self.layer = StrictLayer(moto_app(), timings)
        super().__init__(self.layer, host, port)


def main(argv=None):
    """`python -m bootstrap.local.strict -H HOST -p PORT`: serve until SIGTERM/SIGINT."""
    import argparse
    import signal
    import sys

    from bootstrap.local import strict

    parser = argparse.ArgumentParser(prog="python -m bootstrap.local.strict",
                                     description=strict.__doc__.split("\n")[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs (presigned, queue URLs) from it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = StrictServer(args.host, args.port)
    print(f"strict layer over moto on {server.endpoint}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
