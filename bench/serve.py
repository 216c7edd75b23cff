"""mka1-mock with validation off (a benchmark-only setting), served like the CLI serves it."""

from __future__ import annotations

import sys

import uvicorn

from mka1_mock import Settings, create_app
from mka1_mock.cli import tune_gc

if __name__ == "__main__":
    app = create_app(Settings(validation=False, log_level="warning"))
    tune_gc()  # as the mka1-mock command does
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
