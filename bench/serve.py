"""mka1-mock with validation off, served like the CLI serves it: only for measuring what
checking requests and responses costs, never for contract testing."""

from __future__ import annotations

import sys

import uvicorn

from mka1_mock import Settings, create_app
from mka1_mock.cli.serving import tune_gc
from mka1_mock.compiled import Parameters
from mka1_mock.errors import Detail
from mka1_mock.exchange import Answer, Exchange
from mka1_mock.validation import Checker


class Unchecked(Checker):
    """Reads the parameters (with their defaults) and checks nothing."""

    def request(self, exchange: Exchange) -> Parameters:
        read = self.compiled.plans[exchange.operation.operation_id].read(exchange, check=False)
        return read if read is not None else super().request(exchange)

    def response(self, exchange: Exchange, answer: Answer) -> list[Detail]:
        return []


if __name__ == "__main__":
    app = create_app(Settings(log_level="warning"), checker=Unchecked)
    tune_gc()  # as the mka1-mock command does
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
