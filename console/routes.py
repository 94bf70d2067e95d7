"""The console's routes, templates and static files on the one aiohttp application."""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from console import auth, campaigns, forms, people
from console.delivery import explain
from console.deps import DEPS, ConsoleDeps
from console.render import local_time
from console.session import console_middleware

HERE = Path(__file__).parent
CAMPAIGN = r"/console/campaigns/{campaign_id:\d+}"


def add_console(app: web.Application, deps: ConsoleDeps) -> None:
    app[DEPS] = deps
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["local"] = local_time
    env.globals["static"] = lambda path: f"/console/static/{path}"
    env.globals["delivery"] = explain
    app.middlewares.append(console_middleware)
    r = app.router
    r.add_get("/console", campaigns.campaign_list)
    r.add_get("/console/", campaigns.campaign_list)
    r.add_get("/console/signin", auth.signin_page)
    r.add_post("/console/signin", auth.signin)
    r.add_post("/console/signout", auth.signout)
    r.add_get("/console/lang/{lang}", auth.choose_language)
    r.add_get("/console/campaigns/new", forms.new_form)
    r.add_post("/console/campaigns/new", forms.create)
    r.add_post("/console/preview", forms.preview)
    r.add_get(CAMPAIGN, campaigns.live_page)
    r.add_get(CAMPAIGN + "/live", campaigns.live_part)
    r.add_post(CAMPAIGN + "/{action:pause|resume|end}", campaigns.campaign_action)
    r.add_get(CAMPAIGN + "/edit", forms.edit_form)
    r.add_post(CAMPAIGN + "/edit", forms.edit)
    r.add_get(CAMPAIGN + "/winners", campaigns.winners_page)
    r.add_get(CAMPAIGN + "/winners.csv", campaigns.winners_csv)
    r.add_post(CAMPAIGN + "/try", campaigns.try_it)
    r.add_get("/console/staff", people.staff_page)
    r.add_post("/console/staff", people.add_staff)
    r.add_post("/console/staff/remove", people.remove_staff)
    r.add_get("/console/customers", people.customer_page)
    r.add_post("/console/customers/reveal", people.reveal)
    r.add_get("/console/audit", people.audit_page)
    r.add_static("/console/static", HERE / "static")
