"""Staff (one, or many from CSV with per-row errors), customer lookup, the audit trail."""

from __future__ import annotations

import csv
import io

from aiohttp import web

from console.deps import deps, refused
from console.render import render
from core.errors import InvalidInput, NotFound
from core.phone import mask, parse_phone

NOTHING = "Nothing to add: give a phone, or CSV lines phone,name."
TOO_LARGE = "The form is too large: split the CSV into smaller files."


async def staff_page(request: web.Request) -> web.StreamResponse:
    return await _staff(request, {})


async def _staff(
    request: web.Request, context: dict[str, object], status: int = 200
) -> web.Response:
    staff = await deps(request).staff.list()
    return render(request, "staff.html", {"staff": staff} | context, status=status)


async def add_staff(request: web.Request) -> web.StreamResponse:
    """One person (phone, name) or many: CSV lines `phone,name` pasted or uploaded."""
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:  # over the app's client_max_size (server.py)
        refused(request, "too_large", 413)
        return await _staff(request, {"problem": TOO_LARGE}, 413)
    text = str(form.get("csv", "") or "")
    upload = form.get("file")
    if isinstance(upload, web.FileField):
        text += "\n" + upload.file.read().decode("utf-8", "replace")
    phone, name = form.get("phone"), form.get("name")
    if isinstance(phone, str) and phone.strip():
        text = f"{phone},{name if isinstance(name, str) else ''}\n" + text
    d = deps(request)
    added, errors = 0, []
    for line_no, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip() or row[0].strip().lower() == "phone":
            continue
        raw_name = row[1].strip() if len(row) > 1 else ""
        try:
            phone = parse_phone(row[0], d.default_region)
            await d.staff.add(phone, raw_name[:80] or None)
        except InvalidInput as exc:
            errors.append((line_no, ",".join(row), exc.message))
            refused(request, exc.code, 400, line=line_no)
        else:
            added += 1
    if not added and not errors:
        refused(request, "empty", 400)
        return await _staff(request, {"problem": NOTHING}, 400)
    return await _staff(request, {"added": added, "errors": errors}, 400 if errors else 200)


async def remove_staff(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    try:
        await deps(request).staff.remove(str(form.get("phone", "")))
    except NotFound as exc:  # e.g. removed meanwhile in another tab
        refused(request, exc.code, 404)
        return await _staff(request, {"problem": str(exc)}, 404)
    return web.Response(status=303, headers={"Location": "/console/staff"})


async def customer_page(request: web.Request) -> web.StreamResponse:
    raw = request.query.get("phone", "").strip()
    if not raw:
        return render(request, "customer.html", {})
    try:
        phone = parse_phone(raw, deps(request).default_region)
    except InvalidInput as exc:
        refused(request, exc.code, 400, field="phone")
        return render(request, "customer.html", {"error": exc.message}, status=400)
    return await _customer(request, phone, shown=False)


async def reveal(request: web.Request) -> web.StreamResponse:
    """The full number, once the asking is recorded in the audit trail."""
    form = await request.post()
    d = deps(request)
    try:
        phone = parse_phone(str(form.get("phone", "")), d.default_region)
        await d.audit.reveal_phone(phone, actor="console")
    except (InvalidInput, NotFound) as exc:
        refused(request, exc.code, 404)
        return render(request, "customer.html", {"missing": True}, status=404)
    return await _customer(request, phone, shown=True)


async def _customer(request: web.Request, phone: str, *, shown: bool) -> web.StreamResponse:
    try:
        history = await deps(request).customers.history(phone)
    except NotFound as exc:
        refused(request, exc.code, 404)
        return render(request, "customer.html", {"missing": True}, status=404)
    return render(
        request,
        "customer.html",
        {"h": history, "phone": phone, "shown_phone": phone if shown else mask(phone)},
    )


async def audit_page(request: web.Request) -> web.StreamResponse:
    return render(request, "audit.html", {"entries": await deps(request).audit.recent()})
