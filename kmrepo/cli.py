"""The ``kmrepo`` command line: load, reindex, search, serve, accounts, privacy.

Every command works on the instance folder given by ``$KMREPO_INSTANCE`` (default
``./instance``) and calls the same service functions as the site's pages. Errors are
printed in plain words on standard error; the exit code is 0 on success, 1 when some
input could not be used, 2 for wrong usage.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import time
from importlib import resources

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select

from . import archive, backup, clock, create_app, db
from .accounts import service as accounts
from .accounts.models import User
from .errors import DomainError
from .library import access, index_sync, loader, search
from .library import service as library_service
from .library.models import Entry
from .web import upload_folder


def demo_content_path() -> str:
    """The folder of the demo corpus shipped with kmrepo (``content/`` in the repository)."""
    return str(resources.files("kmrepo.content"))


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False, load_dotenv=False)
def cli():
    """kmrepo: a knowledge repository with Thai full-text search.

    The instance folder (database, index, secret key) is $KMREPO_INSTANCE, or ./instance.
    """


def _load(paths) -> loader.LoadReport:
    bar_state: dict = {}

    def on_files(n: int) -> None:
        bar_state["bar"] = click.progressbar(length=n, label="กำลังนำเข้า (loading)", file=sys.stderr,
                                             show_pos=True)
        bar_state["bar"].__enter__()

    def progress(n: int) -> None:
        bar_state["bar"].update(n)

    try:
        report = loader.load_paths(db.session(), paths, progress=progress, on_files=on_files,
                                   upload_folder=upload_folder())
    finally:
        if "bar" in bar_state:
            bar_state["bar"].__exit__(None, None, None)
    from .training import service as training

    records = training.import_history(db.session(), report.parsed, report.errors)
    click.echo(
        f"{len(report.created)} created, {len(report.updated)} updated, {len(report.unchanged)} unchanged"
        + (f", {report.knowledge_items} knowledge items described" if report.knowledge_items else "")
        + (f", {records} training records" if records else "")
    )
    for path, reason in report.errors:
        click.echo(f"error: {path}: {reason}", err=True)
    return report


@cli.command("load")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@with_appcontext
def load_command(paths):
    """Load Markdown (.md) and text (.txt) files or folders of them.

    Entries are matched by slug: loading the same files again changes nothing, and a
    changed file updates its entry. Files that cannot be loaded are listed with the
    reason; the others are loaded anyway (exit code 1 if any failed).
    """
    report = _load(paths)
    if report.errors:
        sys.exit(1)


@cli.command("reindex")
@with_appcontext
def reindex_command():
    """Rebuild the search index from the database (nothing stored is lost)."""
    session = db.session()
    total = index_sync.searchable_count(session)
    started = time.perf_counter()
    with click.progressbar(length=total, label="กำลังสร้างดัชนี (indexing)", file=sys.stderr, show_pos=True) as bar:
        n = index_sync.reindex(session, index_sync.backend_of(session), progress=bar.update)
    click.echo(f"indexed {n} entries in {time.perf_counter() - started:.1f} s")


@cli.command("import-plan")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--fiscal-year", default="", help="Buddhist Era fiscal year, when the plan names none (e.g. 2570).")
@with_appcontext
def import_plan_command(files, fiscal_year):
    """Import KM plans written like the tables of ../shared/km-plans (tab-separated rows)."""
    from .plans import service as plans
    from .thai_dates import parse_fiscal_year

    session = db.session()
    failed = 0
    try:
        fy = parse_fiscal_year(fiscal_year, clock.today()) if fiscal_year else None
    except DomainError as exc:
        raise click.BadParameter(str(exc), param_hint="--fiscal-year") from exc
    for path in files:
        try:
            with open(path, encoding="utf-8-sig") as fh:
                text = fh.read()
            report = plans.import_plan(session, text, os.path.abspath(path), fy)
        except (OSError, UnicodeDecodeError, DomainError) as exc:
            session.rollback()
            failed += 1
            click.echo(f"error: {path}: {exc}", err=True)
            continue
        click.echo(f"{path}: {'created' if report.created else 'updated'} plan {report.plan_id} "
                   f"(fiscal year {report.fiscal_year}): {report.kmp} KMP activities, {report.cmp} CMP elements, "
                   f"{report.targets_parsed} of {report.kmp + report.cmp} targets read")
        for line, row, why in report.problems:
            click.echo(f"  line {line}: kept as text ({why}): {row[:120]}")
    if failed:
        sys.exit(1)


@cli.command("extract-text")
@with_appcontext
def extract_text_command():
    """Read the text of attachments stored before kmrepo searched attached files."""
    session = db.session()
    folder = upload_folder()
    with click.progressbar(length=library_service.pending_count(session), label="กำลังอ่านไฟล์แนบ (extracting)",
                           file=sys.stderr, show_pos=True) as bar:
        counts = library_service.extract_pending(session, folder, progress=bar.update)
    click.echo(", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "nothing to read")


_TAG = re.compile(r"<[^>]+>")


@cli.command("search")
@click.argument("query")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100), help="How many results.")
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON as GET /api/search.")
@click.option("--exact", is_flag=True, help="Never replace a misspelt query by its correction.")
@with_appcontext
def search_command(query, limit, as_json, exact):
    """Search entries as an anonymous visitor would (public entries only)."""
    data = search.search_data(db.session(), None, {"q": query, "limit": str(limit), "exact": "1" if exact else ""})
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if data["corrected_query"]:
        click.echo(f"No entry has every word of {query!r}: showing results for {data['corrected_query']!r}")
    click.echo(f"{data['total']} results for {data['corrected_query'] or query!r}"
               + (" (some words only)" if data["relaxed"] else ""))
    for i, r in enumerate(data["results"], 1):
        click.echo(f"{i:>3}. {r['title']}  [{r['slug']}]  {r['score']:.2f}")
        snippet = html.unescape(_TAG.sub("", r["snippet"].replace("<mark>", "[").replace("</mark>", "]")))
        click.echo(f"     {snippet}")


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads.")
@click.option("--no-demo", is_flag=True, help="Do not load the demo content into an empty database.")
@with_appcontext
def serve_command(host, port, threads, no_demo):
    """Serve the site with waitress (a production WSGI server).

    On an empty database the demo content is loaded first; a missing or outdated
    search index is rebuilt from the database.
    """
    import waitress

    app = current_app._get_current_object()
    session = db.session()
    if not no_demo and not session.scalar(select(func.count(Entry.id))):
        click.echo("empty database: loading the demo content")
        _load([demo_content_path()])
    if not session.scalar(select(func.count(User.id))):
        click.echo("no accounts yet: create the first with `kmrepo create-admin USERNAME`")
    click.echo(f"kmrepo: http://{host}:{port}/")
    waitress.serve(app, host=host, port=port, threads=threads, ident="kmrepo")


@cli.command("create-admin")
@click.argument("username")
@click.option("--full-name", default="", help="The person's name as staff know it.")
@click.option("--position", default="", help="Position title (ตำแหน่ง).")
@click.option("--department", default="", help="Unit (กอง/สำนัก).")
@click.password_option("--password", envvar="KMREPO_ADMIN_PASSWORD",
                       help="The password (asked twice if not given; or $KMREPO_ADMIN_PASSWORD).")
@with_appcontext
def create_admin_command(username, full_name, position, department, password):
    """Create an administrator account (for the first account of a new site).

    The administrator manages the other accounts on the web (/admin/users).
    """
    try:
        user = accounts.create_user(db.session(), username, password, full_name=full_name or username,
                                    position=position, department=department, roles={"admin"})
    except DomainError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    click.echo(f"created administrator {user.username}")


@cli.command("purge-access-logs")
@click.option("--older-than", "days", required=True, type=click.IntRange(1, 100_000), metavar="DAYS",
              help="Delete access log rows older than this many days.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def purge_access_logs_command(days, yes):
    """Delete old access log rows (the KPI counts only need the current fiscal years)."""
    if not yes:
        click.confirm(f"Delete access logs older than {days} days?", abort=True)
    n = access.purge_older_than(db.session(), days)
    click.echo(f"deleted {n} access log rows older than {days} days")


@cli.command("backup")
@click.argument("dest", type=click.Path())
@with_appcontext
def backup_command(dest):
    """Copy the database, attached files, secret key and vocabulary into the new folder
    DEST, consistently, while the site keeps serving (SQLite's online backup API).

    For a nightly copy, from cron:  0 2 * * * cd /srv/kmrepo && .venv/bin/kmrepo backup
    /backup/kmrepo-$(date +\\%Y\\%m\\%d)
    """
    app = current_app._get_current_object()
    try:
        manifest = backup.backup(app.config["DATABASE_URL"], app.instance_path, dest, upload_folder())
    except DomainError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    click.echo(f"backed up {len(manifest['files'])} files to {dest}")


@cli.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(src, yes):
    """Put the backup folder SRC back into this instance, replacing its database and
    files (checked against the backup's manifest first). Stop the site before; the
    search index is rebuilt when it starts again."""
    if not yes:
        click.confirm(f"Replace this instance's database and files with the backup in {src}?", abort=True)
    app = current_app._get_current_object()
    db.session().close()
    db.engine().dispose()
    try:
        manifest = backup.restore(app.config["DATABASE_URL"], app.instance_path, app.config["INDEX_DIR"], src,
                                  upload_folder())
    except DomainError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    click.echo(f"restored {len(manifest['files'])} files from {src} (backup of {manifest['created_at']}); "
               "the search index is rebuilt at the next start")


def _archive_folders(app) -> dict[str, str]:
    return {"uploads": upload_folder(), "vocabulary": os.path.join(app.instance_path, "vocabulary")}


def _schema_revision() -> str:
    return db.current_revision(db.engine()) or ""


@cli.command("export")
@click.argument("archive_path", metavar="ARCHIVE", type=click.Path(dir_okay=False))
@with_appcontext
def export_command(archive_path):
    """Write everything this site stores into the new file ARCHIVE (a ZIP): every table
    (entries, revisions, knowledge items, accounts, training, plans, access logs...),
    the attached files and the vocabulary. `kmrepo import` reads it into a new site on
    SQLite or PostgreSQL. The site may keep serving meanwhile."""
    app = current_app._get_current_object()
    started = time.perf_counter()
    try:
        manifest = archive.export(db.engine(), archive_path, _archive_folders(app), _schema_revision())
    except DomainError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    rows = sum(manifest["tables"].values())
    files = sum(1 for m in manifest["files"] if not m.startswith("tables/"))
    click.echo(f"exported {rows} rows of {len(manifest['tables'])} tables and {files} files to {archive_path} "
               f"in {time.perf_counter() - started:.1f} s")


@cli.command("import")
@click.argument("archive_path", metavar="ARCHIVE", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_command(archive_path):
    """Read ARCHIVE (made by `kmrepo export`, from SQLite or PostgreSQL) into this new,
    empty site: every row and file, checked against the archive's checksums first, all
    or nothing. Then the search index is built. Use `kmrepo serve --no-demo` afterwards
    (or import before the first start)."""
    app = current_app._get_current_object()
    started = time.perf_counter()
    db.session().close()
    try:
        manifest = archive.import_(db.engine(), archive_path, _archive_folders(app), _schema_revision())
    except DomainError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    session = db.session()
    n = index_sync.reindex(session, index_sync.backend_of(session))
    click.echo(f"imported {sum(manifest['tables'].values())} rows (made {manifest['created_at']}) "
               f"and indexed {n} entries in {time.perf_counter() - started:.1f} s")


@cli.command("remind")
@with_appcontext
def remind_command():
    """Send the post-training report reminders due today: 7, 3 and 1 days before the due
    date and once when overdue, in the site (the bell) and by e-mail when MAIL_SERVER is
    set. Meant for cron (daily); each reminder goes out once, even when this runs twice
    or on two servers at once.

    From cron:  0 7 * * * cd /srv/kmrepo && .venv/bin/kmrepo remind
    """
    from .training import service as training

    app = current_app._get_current_object()
    mailer = _mailer(app.config) if app.config.get("MAIL_SERVER") else None
    with app.test_request_context(base_url=app.config.get("SITE_URL") or "http://localhost/"):
        from flask import url_for

        sent = training.remind(db.session(), training.settings_from(app.config), send_mail=mailer,
                               url=lambda r: url_for("training.record", record_id=r.id))
    click.echo(f"sent {len(sent)} reminders" + (" (with e-mail)" if mailer else " (in the site only)"))


def _mailer(config):
    """A ``send(to, subject, text)`` over SMTP with the app's MAIL_* settings."""
    import smtplib
    from email.message import EmailMessage

    def send(to: str, subject: str, text: str) -> None:
        msg = EmailMessage()
        msg["From"] = config["MAIL_FROM"] or "kmrepo@localhost"
        msg["To"] = to
        msg["Subject"] = subject
        msg.set_content(text)
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=30) as smtp:
            if config.get("MAIL_STARTTLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(msg)

    return send
