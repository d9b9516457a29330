"""`python -m provincial.simulator --port 8190 [--host 127.0.0.1] [--division 610000]`: the platform as a process."""

from __future__ import annotations

import argparse

import uvicorn

from provincial.simulator.app import create_app
from provincial.simulator.state import SimulatorState


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m provincial.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8190)
    parser.add_argument("--division", default="610000", help="the platform's 6-digit division (inf_refmsgid)")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    app = create_app(SimulatorState(division=args.division))
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
