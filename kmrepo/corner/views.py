"""The KM corner on the web: the corners, curating them, and a page per unit; each
page that shows data beside its JSON twin (:func:`kmrepo.web.page`)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from .. import db
from ..errors import BadInput, NotFound
from ..web import current_user, page, require, template_names
from . import policy, service
from .forms import CornerAddForm, UnitForm

bp = Blueprint("corner", __name__)
template_names(bp, corner_policy=policy)


@bp.app_context_processor
def _home_corner() -> dict:
    """``km_corner()`` for the home page: the organisation's corner
    (:func:`service.corner_entries`; queried only where a template asks)."""
    return {"km_corner": lambda: service.corner_entries(db.session(), current_user())}


def _add_form() -> CornerAddForm:
    form = CornerAddForm()
    form.unit.choices = [(0, "ทั้งองค์กร")] + [(u["id"], u["name"]) for u in service.units(db.session())]
    return form


@page(bp, "/corner", "/api/corner", "corner/corner.html", context=lambda: {"add_form": _add_form() if policy.can_curate(current_user()) else None})
def corners():
    """The organisation's KM corner and every unit's: ``{"corners": [{"unit", "entries":
    [{"slug", "title", "note"}]}]}``."""
    return service.corners_data(db.session(), current_user())


@bp.post("/corner/add")
@require(policy.can_curate)
def corner_add():
    """Put an entry into a corner, with a note (from the corner page or an entry page)."""
    form = _add_form()
    back = request.form.get("back") == "entry"
    if form.validate_on_submit():
        try:
            row = service.add(db.session(), current_user(), form.slug.data.strip(), form.unit.data or None,
                              form.note.data or "")
            flash(f"เพิ่ม “{row['title']}” ในมุม KM แล้ว", "info")
        except (BadInput, NotFound) as exc:
            flash(exc.thai, "error")
    else:
        flash("ไม่พบหน่วยงานนี้" if form.unit.errors else next(iter(form.note.errors), "กรุณาระบุเอกสาร"), "error")
    if back and form.slug.data:
        return redirect(url_for("library.entry", slug=form.slug.data.strip()), code=303)
    return redirect(url_for("corner.corners"), code=303)


@bp.post("/corner/<id:corner_entry_id>/remove")
@require(policy.can_curate)
def corner_remove(corner_entry_id: int):
    """Take an entry out of its corner."""
    title = service.remove(db.session(), current_user(), corner_entry_id)
    flash(f"นำ “{title}” ออกจากมุม KM แล้ว", "info")
    return redirect(url_for("corner.corners"), code=303)


@bp.post("/corner/<id:corner_entry_id>/move")
@require(policy.can_curate)
def corner_move(corner_entry_id: int):
    """Move an entry up or down its corner (``step`` -1 or 1)."""
    step = {"up": -1, "down": 1}.get(request.form.get("direction", ""), 0)
    service.move(db.session(), current_user(), corner_entry_id, step)
    return redirect(url_for("corner.corners"), code=303)


@bp.get("/api/kpi/corner")
def api_kpi():
    """"Share of units with a knowledge corner": ``{"units", "with_corner", "share"}``
    (:func:`service.corner_kpi`)."""
    return service.corner_kpi(db.session())


@page(bp, "/units/", "/api/units", "corner/units.html", context=lambda: {"kpi": service.corner_kpi(db.session())})
def units():
    """Every unit, its number of entries and whether it has a corner."""
    return service.units_data(db.session(), current_user())


@bp.route("/units/new", methods=["GET", "POST"], endpoint="unit_new")
@bp.route("/units/<id:unit_id>/edit", methods=["GET", "POST"])
@require(policy.can_keep_units)
def unit_edit(unit_id: int | None = None):
    """Add or rename a unit (KM team, administrators): :func:`service.save_unit`."""
    unit = service.unit_data(db.session(), current_user(), unit_id)["unit"] if unit_id is not None else None
    form = UnitForm(data={"name": unit["name"]} if unit and request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            saved = service.save_unit(db.session(), current_user(), unit_id, form.name.data)
        except (BadInput, NotFound) as exc:
            db.session().rollback()
            form.name.errors = [*form.name.errors, exc.thai]
        else:
            flash("บันทึกหน่วยงานแล้ว", "info")
            return redirect(url_for("corner.unit", unit_id=saved), code=303)
    return render_template("corner/unit_form.html", form=form, unit=unit), 400 if form.errors else 200


@page(bp, "/units/<id:unit_id>", "/api/units/<id:unit_id>", "corner/unit.html")
def unit(unit_id: int):
    """A unit's landing page: its corner, its manuals, its knowledge items."""
    return service.unit_data(db.session(), current_user(), unit_id)
