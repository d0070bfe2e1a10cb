"""Whether an endpoint answers at all, checked once before a run starts paying for anything."""

from __future__ import annotations

import httpx

from arcbench.errors import UserError


async def check_reachable(base_url: str | None, timeout_s: float = 10.0) -> None:
    """Fail early, in one line, when the endpoint cannot be reached at all (a typo in --base-url, a server that is
    not running). Any HTTP answer, even an error, means the server is there; the client deals with the rest. None
    (OpenAI's API, or the offline baseline) is not checked."""
    if base_url is None:
        return
    problem = await unreachable(base_url, timeout_s)
    if problem is None:
        return
    if problem.startswith("not a usable URL"):
        raise UserError(f"--base-url {base_url!r} is {problem}")
    raise UserError(f"cannot reach {base_url} ({problem}): is the server running? check --base-url")


async def unreachable(base_url: str, timeout_s: float = 10.0) -> str | None:
    """Why the endpoint cannot be reached at all, or None when some HTTP server answers there."""
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            await client.get(base_url.rstrip("/") + "/models")
    except (httpx.ConnectError, httpx.ConnectTimeout) as e:
        return type(e).__name__
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as e:
        return f"not a usable URL ({e})"
    except httpx.HTTPError:
        return None
    return None
