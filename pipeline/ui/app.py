"""The review desk's routes: `create_app(config)` is the whole web app.

Every page is rendered on the server from the store and works with
JavaScript off. Every route but the login form needs a person (`person`),
every POST a CSRF token (`checked_form`), and files come only from the
state folder's reports.
"""

from __future__ import annotations

import html
import secrets
import urllib.parse
from pathlib import Path

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline.config import TollgateConfig
from pipeline.errors import TollgateError
from pipeline.ui import views
from pipeline.ui.views import model_in_range
from pipeline.ui.accounts import NAME, Accounts, Throttle
from pipeline.ui.people import SESSION_COOKIE, Person, Sessions
from pipeline.ui.poke_routes import add_poke_routes
from pipeline.ui.signing import Ceremonies
from pipeline.ui.signing_routes import add_signing_routes

TEMPLATES = Path(__file__).parent / "templates"
# Stored text is escaped everywhere; the policy is the second wall: no script
# runs on a desk page but its own (by nonce), and none on a report it serves.
DESK_POLICY = ("default-src 'self'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; img-src 'self' data:; "
               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
FILE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
               "frame-ancestors 'none'; form-action 'none'")


class Desk:
    """What the routes share: the config, the accounts and the open sessions."""

    def __init__(self, config: TollgateConfig):
        self.config = config
        self.accounts = Accounts(config.accounts_path)
        self.sessions, self.throttle, self.ceremonies = Sessions(), Throttle(), Ceremonies()
        self.views = views.Views(config)
        self.templates = Jinja2Templates(directory=str(TEMPLATES))  # autoescapes .html
        self.secure = bool(config.ui.tls_cert)

    def holder(self, request: Request, person: Person) -> str:
        """Whom a CSRF token is bound to: the session, or the proxy's person."""
        return request.cookies.get(SESSION_COOKIE, "") if not self.config.ui.user_header else person.name

    def page(self, request: Request, template: str, person: Person | None, title: str, **values) -> HTMLResponse:
        csrf = self.sessions.csrf(self.holder(request, person)) if person else values.pop("csrf", "")
        return self.templates.TemplateResponse(request, template, {
            "title": title, "person": person, "csrf": csrf, "logout": not self.config.ui.user_header,
            "nonce": request.state.nonce, **self.views.shell(), **values})

    def set_session(self, response, token: str) -> None:
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=self.secure,
                            max_age=int(self.sessions.lifetime))


def create_app(config: TollgateConfig) -> FastAPI:
    desk = Desk(config)
    app = FastAPI(title="Tollgate review desk", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def guarded(request: Request, call_next):
        request.state.nonce = secrets.token_urlsafe(16)
        response = await call_next(request)
        files = request.url.path.startswith("/files/")
        response.headers["Content-Security-Policy"] = FILE_POLICY if files else DESK_POLICY.format(
            nonce=request.state.nonce)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    @app.exception_handler(RequestValidationError)
    async def unreadable(request: Request, error: RequestValidationError):
        return _problem(request, 404, f"no such page: {request.url.path}")

    @app.exception_handler(StarletteHTTPException)
    async def refused(request: Request, error: StarletteHTTPException):
        return _problem(request, error.status_code, str(error.detail), error.headers)

    @app.exception_handler(TollgateError)
    async def not_done(request: Request, error: TollgateError):
        return _problem(request, 404 if request.method == "GET" else 400, str(error))

    def person(request: Request) -> Person:
        header = config.ui.user_header
        name = request.headers.get(header) if header else desk.sessions.who(request.cookies.get(SESSION_COOKIE))
        if not name:
            if header:
                raise HTTPException(401, f"no {header} header: reach the desk through Kubeflow's authentication")
            if request.method != "GET":
                raise HTTPException(401, "log in first")
            target = urllib.parse.quote(request.url.path)
            raise HTTPException(303, headers={"Location": f"/login?next={target}"})
        if not NAME.match(name):  # it goes into keyring lines and pages
            raise HTTPException(401, f"the {header} header does not hold a person's name")
        return Person(name, desk.views.may_decide(name))

    async def checked_form(request: Request, who: Person = Depends(person)) -> dict:
        form = dict(await request.form())
        if not desk.sessions.csrf_holds(desk.holder(request, who), form.get("csrf")):
            raise HTTPException(403, "the form's CSRF token is missing or wrong; reload the page and try again")
        return form

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/"):
        # A link to /login must not log anyone out: only the form's POST starts a session.
        if config.ui.user_header or desk.sessions.who(request.cookies.get(SESSION_COOKIE)):
            return RedirectResponse(_local(next), 303)
        return _login_page(request, _local(next), "", "")

    def _login_page(request: Request, target: str, name: str, problem: str, status: int = 200):
        token = desk.sessions.start(None)  # a visitor's session: its CSRF token guards the login form
        response = desk.page(request, "login.html", None, "Log in", csrf=desk.sessions.csrf(token),
                             next=target, name=name, problem=problem)
        response.status_code = status
        desk.set_session(response, token)
        return response

    @app.post("/login")
    def login(request: Request, name: str = Form(""), password: str = Form(""), csrf: str = Form(""),
              next: str = Form("/")):
        visitor = request.cookies.get(SESSION_COOKIE)
        if not (desk.sessions.known(visitor) and desk.sessions.csrf_holds(visitor, csrf)):
            raise HTTPException(403, "the login form's CSRF token is missing or wrong; reload the page")
        address = f"address:{request.client.host if request.client else '-'}"
        wait = desk.throttle.attempt(f"name:{name}", address)
        if wait:
            return _login_page(request, _local(next), name, f"Too many failed logins: try again in {wait} s.", 429)
        if not desk.accounts.check(name, password):
            return _login_page(request, _local(next), name, "Wrong name or password.", 401)
        desk.throttle.passed(f"name:{name}", address)
        desk.sessions.end(visitor)
        response = RedirectResponse(_local(next), 303)
        desk.set_session(response, desk.sessions.start(name))
        return response

    @app.post("/logout")
    def logout(request: Request, form: dict = Depends(checked_form)):
        desk.sessions.end(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", 303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/", response_class=HTMLResponse)
    def runs(request: Request, page: int = 1, who: Person = Depends(person)):
        return desk.page(request, "runs.html", who, "Runs", **desk.views.runs(page))

    @app.get("/runs/{run_id:path}", response_class=HTMLResponse)
    def run(request: Request, run_id: str, who: Person = Depends(person)):
        return desk.page(request, "run.html", who, f"Run {run_id}", **desk.views.run(run_id))

    @app.get("/pending", response_class=HTMLResponse)
    def pending(request: Request, who: Person = Depends(person)):
        return desk.page(request, "pending.html", who, "Waiting for sign-off", **desk.views.pending())

    @app.get("/models/{model_id}", response_class=HTMLResponse)
    def review(request: Request, model_id: int, who: Person = Depends(person)):
        shown = desk.views.review(model_in_range(model_id))
        has_passkey = any(p.name == who.name for p in shown.pop("passkeys"))
        return desk.page(request, "review.html", who, f"Model {model_id}", has_passkey=has_passkey, **shown)

    @app.get("/passkey", response_class=HTMLResponse)
    def passkey(request: Request, who: Person = Depends(person)):
        return desk.page(request, "passkey.html", who, "Your passkey", **desk.views.passkey(who.name))

    @app.get("/audit", response_class=HTMLResponse)
    def audit(request: Request, who: Person = Depends(person)):
        return desk.page(request, "audit.html", who, "Audit", **desk.views.audit())

    add_signing_routes(app, desk, person)
    add_poke_routes(app, desk, person, checked_form)

    @app.get("/files/{name:path}")
    def report_file(name: str, who: Person = Depends(person)):
        return FileResponse(desk.views.report_path(name), media_type="text/html")

    return app


def _problem(request: Request, status: int, line: str, headers=None):
    """One readable line: as JSON to the passkey script, else as a page, escaped
    (an id or path from the URL may hold anything)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        return JSONResponse({"error": line}, status, headers=headers)
    body = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{status}</title></head>"
            f"<body><p>{html.escape(line)}</p><p><a href='/'>Runs</a></p></body></html>")
    return HTMLResponse(body, status, headers=headers)


def _local(target: str) -> str:
    """Where a login may send the browser on: a path of this desk, never another site."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"
