"""The simulator's ceiling: its own server and handler answering a fixed body, nothing else.

`python -m bench.minimal_sim --port P` serves every request with a small JSON body through
workspace_sim's SimServer and SimHandler (ThreadingHTTPServer, HTTP/1.1 keep-alive, TCP_NODELAY),
so wrk against it and against the real simulator's ShowJob differ only by the simulator's work:
routing, authentication, the state lock, the job and the request log.
"""

import argparse
import sys
import threading

from workspace_sim.config import SimConfig
from workspace_sim.server import SimServer
from workspace_sim.wire import Response

BODY = b'{"ok": true}'


class MinimalApp:
    """Quacks like SimApp as far as SimServer and SimHandler need."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.stopping = threading.Event()

    def handle(self, request) -> Response:
        return Response(200, BODY)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.minimal_sim")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = SimServer(SimConfig(host=args.host, port=args.port))
    # MinimalApp answers as SimApp does (the same interface), without the simulator.
    server.app = MinimalApp(server.app.config)  # type: ignore[assignment]
    server.serve_until_terminated(f"minimal server on http://{args.host}:{server.port}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
