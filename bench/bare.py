"""The ceiling of this stack: Starlette + uvicorn answering a constant JSON body, no work."""

from __future__ import annotations

import json
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# The size of a getPrompt answer of the mock.
BODY = json.dumps({"id": "prompt_" + "0" * 32, "object": "prompt", "pad": "x" * 330}).encode()


async def constant(request: Request) -> Response:
    await request.body()
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/{path:path}", constant, methods=["GET", "POST", "PUT"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
