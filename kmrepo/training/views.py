"""The training area on the web: my training and reports, the approver's queue, the
deadlines list, chains of approvers, stand-ins, office holidays, the bell, and the KPI;
each page that shows data beside its JSON twin (:func:`kmrepo.web.page`).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from .. import db
from ..accounts.models import User
from ..accounts.policy import is_signed_in
from ..errors import BadInput
from ..library.forms import UploadForm
from ..library.models import KnowledgeItem
from ..library.uploads import UploadRefused
from ..thai_dates import format_thai_date
from ..web import current_user, page, require, send_stored, template_names, upload_folder
from . import policy, service
from .forms import ChainForm, DecisionForm, DelegationForm, FollowUpForm, HolidayForm, RecordForm, ReportForm
from .models import REPORT_SECTIONS, REPORT_STATES, TRAINING_KINDS

bp = Blueprint("training", __name__)
template_names(bp, training_policy=policy, TRAINING_KINDS=TRAINING_KINDS, REPORT_SECTIONS=REPORT_SECTIONS,
               REPORT_STATES=REPORT_STATES)


def settings() -> service.Settings:
    """The office's choices from the app's configuration (docs/users/admin.md)."""
    return service.settings_from(current_app.config)


def record_url(record) -> str:
    return url_for("training.record", record_id=record.id)


# -- my training ------------------------------------------------------------------------------


@page(bp, "/training/", "/api/training", "training/index.html", check=is_signed_in)
def mine():
    """My training records and the reports waiting for my decision."""
    return service.mine_data(db.session(), current_user(), settings())


@page(bp, "/training/<id:record_id>", "/api/training/<id:record_id>", "training/record.html",
      check=is_signed_in, context=lambda: {"decision_form": DecisionForm(), "follow_up_form": FollowUpForm()})
def record(record_id: int):
    """One record, its report, deadline and approval trail."""
    return service.record_data(db.session(), current_user(), record_id, settings())


def _record_form(record=None) -> RecordForm:
    session = db.session()
    user = current_user()
    form = RecordForm(obj=None)
    form.knowledge_items.choices = {k.id: k.name for k in session.scalars(select(KnowledgeItem)
                                                                            .order_by(KnowledgeItem.name))}
    people = session.scalars(select(User).where(User.active).order_by(User.full_name)).all() \
        if policy.keeps_records(user) else [user]
    form.trainee.choices = {u.id: f"{u.display_name} ({u.department.name if u.department else '-'})" for u in people}
    if request.method == "POST" and not request.form.get("trainee"):
        form.trainee.data = record.trainee_id if record is not None else user.id  # oneself, unless chosen
    if request.method == "GET":
        form.trainee.data = user.id
        if record is not None:
            form.trainee.data = record.trainee_id
            for name in ("course", "kind", "organiser", "place", "external"):
                getattr(form, name).data = getattr(record, name)
            for name in ("starts_on", "ends_on", "returned_on"):
                value = getattr(record, name)
                getattr(form, name).data = format_thai_date(value, short=True) if value else ""
            form.cost.data = "" if record.cost is None else f"{record.cost:,.2f}"
            form.knowledge_items.data = [k.id for k in record.knowledge_items]
    return form


def _fields(form: RecordForm) -> service.RecordFields:
    return service.RecordFields(
        course=form.course.data, kind=form.kind.data, organiser=form.organiser.data or "",
        place=form.place.data or "", external=form.external.data, starts_on=form.starts_on.date,
        ends_on=form.ends_on.date, returned_on=form.returned_on.date, cost=form.cost.data,
        knowledge_items=form.knowledge_items.data or [], trainee_id=form.trainee.data)


@bp.route("/training/new", methods=["GET", "POST"])
@require(is_signed_in)
def record_new():
    form = _record_form()
    if form.validate_on_submit():
        try:
            created = service.save_record(db.session(), current_user(), None, _fields(form))
        except BadInput as err:
            db.session().rollback()
            form.returned_on.errors = [*form.returned_on.errors, err.thai]
        else:
            flash("บันทึกข้อมูลการเข้ารับการพัฒนาแล้ว เขียนรายงานได้เลย", "info")
            return redirect(url_for("training.report", record_id=created.id))
    return render_template("training/record_form.html", form=form, record=None), 400 if form.errors else 200


@bp.route("/training/<id:record_id>/edit", methods=["GET", "POST"])
@require(is_signed_in)
def record_edit(record_id: int):
    found = service.record_for(db.session(), current_user(), record_id)
    form = _record_form(found)
    if form.validate_on_submit():
        try:
            service.save_record(db.session(), current_user(), found, _fields(form))
        except BadInput as err:
            db.session().rollback()
            form.returned_on.errors = [*form.returned_on.errors, err.thai]
        else:
            flash("บันทึกแล้ว", "info")
            return redirect(url_for("training.record", record_id=record_id))
    return render_template("training/record_form.html", form=form, record=found), 400 if form.errors else 200


@bp.route("/training/<id:record_id>/report", methods=["GET", "POST"])
@require(is_signed_in)
def report(record_id: int):
    """The report form (แบบรายงานผลการฝึกอบรม): saved as a draft at any time, or sent."""
    session = db.session()
    found = service.record_for(session, current_user(), record_id)
    form = ReportForm(obj=found if request.method == "GET" else None)
    for key, heading in settings().headings:  # the office's own names for the form's sections
        form[key].label.text = heading
    if form.validate_on_submit():
        sections = {key: getattr(form, key).data for key in REPORT_SECTIONS}
        service.save_report(session, current_user(), found, sections, form.internal_suggestions.data)
        if request.form.get("send") == "1":
            try:
                service.submit(session, current_user(), found, url=record_url)
            except BadInput as err:
                session.rollback()
                flash(err.thai, "error")
                return redirect(url_for("training.report", record_id=record_id), code=303)
            flash("ส่งรายงานให้ผู้บังคับบัญชาแล้ว", "info")
            return redirect(url_for("training.record", record_id=record_id))
        flash("บันทึกร่างรายงานแล้ว", "info")
        return redirect(url_for("training.report", record_id=record_id), code=303)
    data = service.record_data(session, current_user(), record_id, settings())
    return render_template("training/report_form.html", form=form, data=data, upload_form=UploadForm()), \
        400 if form.errors else 200


@bp.post("/training/<id:record_id>/decide")
@require(is_signed_in)
def decide(record_id: int):
    session = db.session()
    found = service.record_for(session, current_user(), record_id)
    form = DecisionForm()
    if form.validate_on_submit():
        approve = request.form.get("decision") == "approve"
        try:
            service.decide(session, current_user(), found, approve, form.comment.data or "", url=record_url,
                           entry_url=lambda e: url_for("library.entry", slug=e.slug), settings=settings())
        except BadInput as err:
            session.rollback()
            flash(err.thai, "error")
        else:
            flash("อนุมัติแล้ว" if approve else "ส่งกลับให้แก้ไขแล้ว", "info")
    return redirect(url_for("training.record", record_id=record_id), code=303)


@bp.post("/training/<id:record_id>/follow-up")
@require(is_signed_in)
def follow_up(record_id: int):
    session = db.session()
    found = service.record_for(session, current_user(), record_id)
    form = FollowUpForm()
    if form.validate_on_submit():
        service.follow_up(session, current_user(), found, form.assessment.data)
        flash("บันทึกผลการติดตามแล้ว", "info")
    else:
        flash("กรุณาบันทึกผลการเปรียบเทียบก่อนและหลังการอบรม", "error")
    return redirect(url_for("training.record", record_id=record_id), code=303)


@bp.post("/training/<id:record_id>/files")
@require(is_signed_in)
def attach(record_id: int):
    session = db.session()
    found = service.record_for(session, current_user(), record_id)
    form = UploadForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errs in form.errors.values() for e in errs) or "คำขอไม่ถูกต้อง", "error")
    else:
        upload = form.file.data
        limit = current_app.config["UPLOAD_MAX_BYTES"]
        try:
            service.attach(session, current_user(), found, upload.filename, upload.read(limit + 1),
                           upload_folder(), limit)
        except UploadRefused as err:
            flash(f"ไม่รับไฟล์: {err.thai}", "error")
        else:
            flash(f"แนบไฟล์ {upload.filename} แล้ว", "info")
    return redirect(url_for("training.report", record_id=record_id), code=303)


@bp.get("/training/<id:record_id>/files/<id:attachment_id>/<path:filename>")
@require(is_signed_in)
def attachment(record_id: int, attachment_id: int, filename: str):
    """A file of a report, to whoever may see the report (approvers included)."""
    return send_stored(service.attachment_of(db.session(), current_user(), record_id, attachment_id, filename))


@bp.get("/training/<id:record_id>/print")
@require(is_signed_in)
def print_report(record_id: int):
    """The signed A4 document (แบบรายงานผลการฝึกอบรม) with its approval trail."""
    data = service.record_data(db.session(), current_user(), record_id, settings())
    return render_template("training/print.html", data=data)


# -- approvers and the KM team -------------------------------------------------------------------


@page(bp, "/training/queue", "/api/training/queue", "training/queue.html", check=is_signed_in)
def queue():
    """Reports waiting for my decision, as approver or acting approver."""
    return service.queue_data(db.session(), current_user(), settings())


@page(bp, "/training/deadlines", "/api/training/deadlines", "training/deadlines.html",
      check=policy.sees_all_reports, context=lambda: {"sorts": service.SORTS})
def deadlines():
    """``?unit=&fy=&sort=``: every record of a fiscal year against its due date."""
    return service.deadlines_data(db.session(), current_user(), settings(), request.args.get("unit", "")[:200],
                                  request.args.get("fy", ""), request.args.get("sort", "due"))


@bp.get("/training/deadlines.xlsx")
@require(policy.sees_all_reports)
def deadlines_xlsx():
    data = service.deadlines_data(db.session(), current_user(), settings(), request.args.get("unit", "")[:200],
                                  request.args.get("fy", ""), request.args.get("sort", "due"))
    return Response(service.deadlines_xlsx(data),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=training-{data['fiscal_year']}.xlsx"})


@bp.get("/api/kpi/training-reports")
def api_kpi():
    """``?fiscal_year=2570``: the training-report indicators (issue 18's shape)."""
    return service.kpi_data(db.session(), request.args.get("fiscal_year", ""), settings())


@page(bp, "/training/chains", "/api/training/chains", "training/chains.html", check=policy.can_keep_chains,
      context=lambda: {"form": ChainForm()})
def chains():
    """Every unit's chain of approvers (the admin keeps them)."""
    return service.chains_data(db.session())


@bp.post("/training/chains")
@require(policy.can_keep_chains)
def chains_save():
    form = ChainForm()
    if form.validate_on_submit():
        steps = [(line.strip(), "") if " " not in line.strip() and line.strip().isascii() else ("", line.strip())
                 for line in (form.steps.data or "").splitlines()]
        try:
            service.set_chain(db.session(), current_user(), form.unit.data, steps)
        except BadInput as err:
            db.session().rollback()
            flash(err.thai, "error")
        else:
            flash(f"บันทึกลำดับผู้อนุมัติของ {form.unit.data} แล้ว", "info")
    return redirect(url_for("training.chains"), code=303)


@page(bp, "/training/delegations", "/api/training/delegations", "training/delegations.html", check=is_signed_in,
      context=lambda: {"form": DelegationForm()})
def delegations():
    """The stand-ins I named while away (all of them, for the admin)."""
    return service.delegations_data(db.session(), current_user())


@bp.post("/training/delegations")
@require(is_signed_in)
def delegations_add():
    form = DelegationForm()
    if form.validate_on_submit():
        try:
            service.add_delegation(db.session(), current_user(), form.acting.data, form.starts_on.date,
                                   form.ends_on.date, form.approver.data or "")
        except BadInput as err:
            db.session().rollback()
            flash(err.thai, "error")
        else:
            flash("บันทึกผู้ปฏิบัติราชการแทนแล้ว", "info")
    else:
        flash(" ".join(e for errs in form.errors.values() for e in errs), "error")
    return redirect(url_for("training.delegations"), code=303)


@page(bp, "/training/holidays", "/api/training/holidays", "training/holidays.html", check=policy.can_keep_chains,
      context=lambda: {"form": HolidayForm()})
def office_holidays():
    """The office's own closed days beside Thailand's public holidays."""
    return service.holidays_data(db.session())


@bp.post("/training/holidays")
@require(policy.can_keep_chains)
def office_holidays_add():
    form = HolidayForm()
    if form.validate_on_submit():
        service.add_office_holiday(db.session(), current_user(), form.day.date, form.name.data or "")
        flash("เพิ่มวันหยุดแล้ว", "info")
    else:
        flash(" ".join(e for errs in form.errors.values() for e in errs), "error")
    return redirect(url_for("training.office_holidays"), code=303)
