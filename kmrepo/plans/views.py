"""The KM plan on the web: plans and their activities (KM team), approval (CKO), the
indicators dashboard with its charts, print view and workbook, the access statistics;
each data page beside its JSON twin."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup
from sqlalchemy import select

from .. import clock, db
from ..accounts.models import Department
from ..errors import BadInput, NotFound
from ..library.forms import UploadForm
from ..library.models import KnowledgeItem
from ..library.uploads import UploadRefused
from ..thai_dates import MONTHS_ABBR, fiscal_year
from ..training.service import settings_from
from ..web import (
    current_user,
    fiscal_year_arg,
    int_arg,
    page,
    require,
    send_stored,
    template_names,
    upload_folder,
)
from . import charts, policy, service
from .forms import ActivityForm, PlanForm
from .measures import MEASURES
from .models import ACTIVITY_KINDS, ACTIVITY_STATUSES, PLAN_STATUSES

bp = Blueprint("plans", __name__)
template_names(bp, plans_policy=policy, PLAN_STATUSES=PLAN_STATUSES, ACTIVITY_KINDS=ACTIVITY_KINDS,
               ACTIVITY_STATUSES=ACTIVITY_STATUSES, MEASURES=MEASURES)


@page(bp, "/stats", "/api/stats", "plans/stats.html", check=policy.can_view_kpi)
def stats():
    """``?year=2570``: accesses to the knowledge base in a fiscal year (พ.ศ.)."""
    return service.stats_data(db.session(), current_user(), request.args.get("year"),
                              settings_from(current_app.config))


# -- KM plans -------------------------------------------------------------------------------


def _settings():
    return settings_from(current_app.config)


def _digits() -> str:
    """The reader's digits: ``?digits=thai`` or ``arabic`` chooses and is remembered."""
    chosen = request.args.get("digits", "")
    if chosen in ("thai", "arabic"):
        session["digits"] = chosen
    return session.get("digits", "arabic")


@page(bp, "/plans/", "/api/plans", "plans/plans.html", check=policy.can_view_kpi)
def plans():
    """``?fiscal_year=2570``: the fiscal year's KM plans."""
    return service.plans_data(db.session(), current_user(), request.args.get("fiscal_year"))


@page(bp, "/plans/<id:plan_id>", "/api/plans/<id:plan_id>", "plans/plan.html", check=policy.can_view_kpi)
def plan(plan_id: int):
    """One KM plan and its activity rows."""
    return service.plan_data(db.session(), current_user(), plan_id)


def _plan_form(plan_id: int | None) -> PlanForm:
    session_ = db.session()
    data = service.plan_data(session_, current_user(), plan_id) if plan_id is not None else None
    form = PlanForm(data={"title": data["title"], "fiscal_year": str(data["fiscal_year"]),
                          "knowledge_item": data["knowledge_item_id"] or 0, "owner": data["owner_id"] or 0,
                          "strategic_issue": data["strategic_issue"], "reason": data["reason"]}
                    if data and request.method == "GET" else None)
    if data is None and request.method == "GET":
        form.fiscal_year.data = str(fiscal_year(clock.now()))
    form.knowledge_item.choices = {0: "— ไม่ระบุ —"} | {
        k.id: k.name for k in session_.scalars(select(KnowledgeItem).order_by(KnowledgeItem.name))}
    form.owner.choices = {0: "— ไม่ระบุ —"} | {
        d.id: d.name for d in session_.scalars(select(Department).order_by(Department.name))}
    return form


@bp.route("/plans/new", methods=["GET", "POST"], endpoint="plan_new")
@bp.route("/plans/<id:plan_id>/edit", methods=["GET", "POST"])
@require(policy.can_keep_plans)
def plan_edit(plan_id: int | None = None):
    """Create or edit a plan's header (KM team)."""
    form = _plan_form(plan_id)
    if form.validate_on_submit():
        try:
            saved = service.save_plan(db.session(), current_user(), plan_id, service.PlanFields(
                fiscal_year=int(form.fiscal_year.data), title=form.title.data,
                knowledge_item_id=form.knowledge_item.data or 0, owner_id=form.owner.data or 0,
                strategic_issue=form.strategic_issue.data or "", reason=form.reason.data or ""))
        except BadInput as exc:
            db.session().rollback()
            form.title.errors = [*form.title.errors, exc.thai]
        else:
            flash("บันทึกแผนแล้ว", "info")
            return redirect(url_for("plans.plan", plan_id=saved), code=303)
    return render_template("plans/plan_form.html", form=form, plan_id=plan_id), 400 if form.errors else 200


@bp.route("/plans/<id:plan_id>/activities/new", methods=["GET", "POST"], endpoint="activity_new")
@bp.route("/plans/<id:plan_id>/activities/<id:activity_id>/edit", methods=["GET", "POST"])
@require(policy.can_keep_plans)
def activity_edit(plan_id: int, activity_id: int | None = None):
    """Add or edit an activity row: its target and period are read from the text."""
    plan_ = service.plan_data(db.session(), current_user(), plan_id)
    row = next((a for a in plan_["activities"] if a["id"] == activity_id), None) if activity_id else None
    if activity_id is not None and row is None:
        raise NotFound(f"plan {plan_id} has no activity {activity_id}", "ไม่พบกิจกรรมนี้")
    form = ActivityForm(data={k: ("" if row[k] is None else row[k]) for k in (
        "kind", "number", "activity", "method", "period_text", "indicator", "target_text", "target_group", "owner",
        "evidence", "status", "measure", "manual_actual", "manual_evidence")} if row and request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            service.save_activity(db.session(), current_user(), plan_id, activity_id, service.ActivityFields(
                kind=form.kind.data, number=form.number.data or "", activity=form.activity.data,
                period_text=form.period_text.data or "", method=form.method.data or "",
                indicator=form.indicator.data or "", target_text=form.target_text.data or "",
                target_group=form.target_group.data or "", owner=form.owner.data or "",
                evidence=form.evidence.data or "", status=form.status.data, measure=form.measure.data or "",
                manual_actual=form.manual_actual.data, manual_evidence=form.manual_evidence.data or ""))
        except BadInput as exc:
            db.session().rollback()
            form.activity.errors = [*form.activity.errors, exc.thai]
        else:
            flash("บันทึกกิจกรรมแล้ว", "info")
            return redirect(url_for("plans.plan", plan_id=plan_id), code=303)
    return render_template("plans/activity_form.html", form=form, plan=plan_, row=row), 400 if form.errors else 200


@bp.post("/plans/<id:plan_id>/approve")
@require(policy.can_view_kpi)
def plan_approve(plan_id: int):
    """The CKO approves the plan."""
    service.approve_plan(db.session(), current_user(), plan_id)
    flash("อนุมัติแผนแล้ว", "info")
    return redirect(url_for("plans.plan", plan_id=plan_id), code=303)


def _kpi():
    """:func:`service.kpi_data` for this request's ``fiscal_year``, ``unit`` and ``item``."""
    unit = int_arg("unit", 0) or None
    item = int_arg("item", 0) or None
    return service.kpi_data(db.session(), current_user(), request.args.get("fiscal_year"), _settings(), unit, item)


def _charts(data: dict) -> dict:
    digits = _digits()
    months = data["charts"]["accesses"]["by_month"]
    month_labels = [MONTHS_ABBR[int(k.split("-")[1]) - 1] for k in months]
    units = data["charts"]["entries_by_unit"]
    reports = data["charts"]["reports"]
    report_labels = {"on_time": "ส่งทันกำหนด", "late": "ส่งล่าช้า", "overdue": "เลยกำหนดยังไม่ส่ง", "pending": "ยังไม่ถึงกำหนด"}
    return {
        "digits": digits,
        "accesses_svg": Markup(charts.bar_chart("การเข้าถึงฐานข้อมูลความรู้ รายเดือน", month_labels,
                                                list(months.values()), digits)),
        "units_svg": Markup(charts.hbar_chart("จำนวนเอกสารที่เผยแพร่ แยกตามหน่วยงาน", list(units),
                                              list(units.values()), digits)) if units else "",
        "reports_svg": Markup(charts.hbar_chart("รายงานผลการอบรม", [report_labels[k] for k in reports],
                                                list(reports.values()), digits)),
        "report_labels": report_labels,
    }


@page(bp, "/kpi", "/api/kpi", "plans/kpi.html", check=policy.can_view_kpi, context=lambda: _charts(_kpi()))
def kpi():
    """``?fiscal_year=2570&unit=&item=``: every plan's indicators with target, actual and
    whether met; charts with their data tables."""
    return _kpi()


@bp.get("/kpi/print")
@require(policy.can_view_kpi)
def kpi_print():
    """The fiscal year's plan with actuals and evidence on A4, in Thai, to sign."""
    data = _kpi()
    return render_template("plans/kpi_print.html", data=data, now=clock.now(), **_charts(data))


@bp.get("/kpi.xlsx")
@require(policy.can_view_kpi)
def kpi_xlsx():
    """The fiscal year's plans with actuals and evidence as an Excel workbook."""
    data = _kpi()
    return Response(service.kpi_xlsx(data),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=km-plan-{data['fiscal_year']}.xlsx"})


@bp.get("/api/kpi/accesses")
@require(policy.can_view_kpi)
def api_kpi_accesses():
    """``?fiscal_year=2570``: ``{"fiscal_year", "total", "by_month", "by_unit",
    "by_knowledge_item"}`` (:func:`service.accesses_data`)."""
    return service.accesses_data(db.session(), fiscal_year_arg())


# -- evidence files ---------------------------------------------------------------------------


@bp.post("/plans/activities/<id:activity_id>/evidence")
@require(policy.can_keep_plans)
def evidence_add(activity_id: int):
    """Attach a file evidencing an activity (checked as every upload is)."""
    form = UploadForm()
    plan_id = int_arg("plan", 0) or None
    back = url_for("plans.plan", plan_id=plan_id) if plan_id else url_for("plans.plans")
    if not form.validate_on_submit():
        flash(" ".join(e for errs in form.errors.values() for e in errs) or "คำขอไม่ถูกต้อง", "error")
        return redirect(back, code=303)
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    upload = form.file.data
    try:
        row = service.add_evidence(db.session(), current_user(), activity_id, upload.filename,
                                   upload.read(limit + 1), upload_folder(), limit)
    except UploadRefused as err:
        flash(f"ไม่รับไฟล์: {err.thai}", "error")
        return redirect(back, code=303)
    flash(f"แนบไฟล์หลักฐาน {row.filename} แล้ว", "info")
    return redirect(url_for("plans.plan", plan_id=row.activity.plan_id), code=303)


@bp.get("/plans/evidence/<id:file_id>/<path:filename>")
@require(policy.can_view_kpi)
def evidence(file_id: int, filename: str):
    """Serve an evidence file with the safe headers attachments get."""
    return send_stored(service.evidence_for(db.session(), current_user(), file_id, filename))


@bp.post("/plans/evidence/<id:file_id>/remove")
@require(policy.can_keep_plans)
def evidence_remove(file_id: int):
    """Remove an evidence file."""
    plan_id = service.remove_evidence(db.session(), current_user(), file_id, upload_folder())
    flash("ลบไฟล์หลักฐานแล้ว", "info")
    return redirect(url_for("plans.plan", plan_id=plan_id), code=303)
