"""The two HTTP routes and the middleware that give local sign-in its HttpOnly cookie.

A Streamlit script talks to the browser over a websocket and cannot answer with a header,
so the cookie is set here, by routes mounted through Streamlit's own ASGI app (`st.App`,
see terrain/asgi.py), and read by the script from `st.context.cookies`:

- POST /_terrain/session with the header X-Terrain-Ticket: T: the script that checked the
  password opened a session with the one-time ticket T, and the page it drew sends T here
  with fetch(); this answers 204 with the session's cookie. The page is not reloaded: the
  session it holds goes on at once, and the cookie keeps the next reload or tab signed in.
  The ticket travels in a header, never in an address (nor in the proxy's logs or the
  history), and a custom header is one that another site's page cannot send here without
  this server's leave (CORS), which it never gives.
- GET /_terrain/sign-out?next=...: revokes the cookie's session and deletes the cookie.
- Every HTML page gives a browser without one a random `terrain_browser` cookie, by which
  failed sign-ins are counted per browser (terrain/auth.py).
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from terrain import auth, sessions

SESSION_PATH = "/_terrain/session"
TICKET_HEADER = "X-Terrain-Ticket"
SIGN_OUT_PATH = "/_terrain/sign-out"
BROWSER_COOKIE_DAYS = 400  # the longest a browser keeps a cookie


def base_path() -> str:
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def safe_next(target: str | None, base: str = "") -> str:
    """`target` if it is a path of this app (scheme-less, host-less, under the base path),
    else the app's root: the routes never send a browser to another site."""
    root = f"{base}/"
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return root
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return root
    if base and not (parts.path == base or parts.path.startswith(root)):
        return root
    return target


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or os.environ.get("TERRAIN_COOKIE_SECURE") == "1"


def _store() -> sessions.Store:
    return auth.state_store()


async def open_session(request: Request) -> Response:
    """204 with the session's cookie for a valid ticket; 403, and no cookie, for anything
    else (no ticket, a spent or late one, a request another site made)."""
    base = base_path()
    ticket = request.headers.get(TICKET_HEADER, "")
    # Browsers say where a request comes from; one from another site never gets a cookie.
    cross_site = request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none")
    claims = None
    if ticket and not cross_site:
        store = _store()
        claims = await run_in_threadpool(store.redeem_ticket, ticket, datetime.now(UTC))
    response = Response(status_code=204 if claims is not None else 403, headers={"Cache-Control": "no-store"})
    if claims is not None:
        token = sessions.sign_token(claims, await run_in_threadpool(sessions.secret, store.path))
        lifetime = int((claims.expires - datetime.now(UTC)).total_seconds())
        response.set_cookie(sessions.SESSION_COOKIE, token, max_age=max(lifetime, 0), path=base or "/",
                            httponly=True, samesite="lax", secure=_secure(request))
    return response


async def sign_out(request: Request) -> RedirectResponse:
    base = base_path()
    response = RedirectResponse(safe_next(request.query_params.get("next"), base), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    token = request.cookies.get(sessions.SESSION_COOKIE)
    if token:
        store = _store()
        now = datetime.now(UTC)
        claims = sessions.verify_token(token, await run_in_threadpool(sessions.secret, store.path), now)
        if claims is not None:
            await run_in_threadpool(store.revoke, claims.sid, now)
    response.delete_cookie(sessions.SESSION_COOKIE, path=base or "/", httponly=True, samesite="lax",
                           secure=_secure(request))
    return response


def chart_code_paths() -> list[str]:
    """The addresses of the code Streamlit's frontend loads to draw a plotly chart (one file of
    4.7 MB in Streamlit 1.67, named by a hash of its contents, loaded at the first chart a
    page shows). The sign-in screen asks the browser to fetch and compile it while the visitor
    types, so that the first page after sign-in does not wait for it; none when the build
    names it otherwise (the page then loads it as before)."""
    import streamlit

    built = Path(streamlit.__file__).parent / "static" / "static" / "js"
    return [f"{base_path()}/static/js/{path.name}" for path in sorted(built.glob("PlotlyChart.*.js"))]


# Whether this process serves the routes (terrain/asgi.py says so); under a bare `streamlit run
# dashboard.py` it does not, and a sign-in lasts as long as the page (terrain/ui/session.py).
_served = False


def mark_served() -> None:
    global _served
    _served = True


def mounted() -> bool:
    return _served


def routes() -> list[Route]:
    base = base_path()
    return [Route(base + SESSION_PATH, open_session, methods=["POST"]),
            Route(base + SIGN_OUT_PATH, sign_out, methods=["GET"])]


class BrowserCookieMiddleware:
    """Gives every browser that has none a random, HttpOnly `terrain_browser` cookie with
    its first HTML page (pure ASGI, so it does not touch the websocket)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or sessions.BROWSER_COOKIE in Request(scope).cookies:
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https" or os.environ.get("TERRAIN_COOKIE_SECURE") == "1"
        path = base_path() or "/"

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                content_type = dict(headers).get(b"content-type", b"")
                if content_type.startswith(b"text/html"):
                    cookie = (f"{sessions.BROWSER_COOKIE}={secrets.token_urlsafe(18)}; Path={path}; "
                              f"Max-Age={BROWSER_COOKIE_DAYS * 86400}; HttpOnly; SameSite=Lax"
                              + ("; Secure" if secure else ""))
                    headers.append((b"set-cookie", cookie.encode("latin-1")))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)
