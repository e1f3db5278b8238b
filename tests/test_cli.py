"""The kmrepo command line."""

import json
import shutil

import pytest

from indexer.registry import BACKENDS

from .conftest import POSTGRES, database_url
from .helpers import search


def test_load_reports_counts_and_errors(runner, write_entry):
    write_entry("a", "เนื้อหา")
    (write_entry.folder / "bad.md").write_text("---\ntype: memo\n---\n", encoding="utf-8")
    result = runner.invoke(args=["load", str(write_entry.folder)])
    assert result.exit_code == 1
    assert "1 created, 0 updated, 0 unchanged" in result.output
    assert "bad.md: 'type' is 'memo'" in result.output
    again = runner.invoke(args=["load", str(write_entry.folder / "a.md")])
    assert again.exit_code == 0 and "0 created, 0 updated, 1 unchanged" in again.output


def test_search_json_matches_the_api(runner, client, write_entry):
    write_entry("a", "คู่มือการจัดเก็บภาษีป้าย", type="manual")
    runner.invoke(args=["load", str(write_entry.folder)])
    result = runner.invoke(args=["search", "ภาษีป้าย", "--json", "--limit", "5"])
    assert result.exit_code == 0
    assert json.loads(result.output) == search(client, "ภาษีป้าย", limit=5)
    plain = runner.invoke(args=["search", "ภาษีป้าย"])
    assert "1 results" in plain.output and "[ภาษีป้าย]" in plain.output
    misspelt = runner.invoke(args=["search", "ภาษีป้ายย"])
    assert "showing results for 'ภาษีป้าย'" in misspelt.output and "1 results" in misspelt.output
    exact = runner.invoke(args=["search", "ภาษีป้ายย", "--exact"]).output
    assert "results for 'ภาษีป้ายย' (some words only)" in exact and "showing" not in exact


def test_reindex_rebuilds_a_lost_index_from_the_database(app, runner, client, write_entry):
    write_entry("a", "คู่มือการลาพักผ่อน")
    runner.invoke(args=["load", str(write_entry.folder)])
    from indexer.registry import EMBEDDED, open_backend

    if app.config["SEARCH_BACKEND"] in EMBEDDED:
        shutil.rmtree(app.config["INDEX_DIR"])
        app.extensions["kmrepo.search"] = open_backend(app.config["SEARCH_BACKEND"], app.config["INDEX_DIR"])
    else:  # an index in the database is lost by emptying it
        app.extensions["kmrepo.search"].rebuild([])
    assert search(client, "ลาพักผ่อน")["total"] == 0
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0 and "indexed 1 entries" in result.output
    assert search(client, "ลาพักผ่อน")["total"] == 1


def test_help_texts(runner):
    """Every command is listed with its summary, and each has help of its own."""
    from kmrepo.cli import cli

    result = runner.invoke(args=["--help"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == set(cli.commands) >= {"load", "reindex", "search", "serve", "create-admin", "purge-access-logs"}
    for name, command in cli.commands.items():
        own = runner.invoke(args=[name, "--help"])
        assert own.exit_code == 0, name
        first_words = " ".join(command.help.split()[:4])  # click wraps long lines
        assert first_words and first_words in " ".join(own.output.split()), name


@pytest.mark.parametrize("backend", BACKENDS)
def test_entries_loaded_into_a_new_instance_are_found_by_the_next_command(tmp_path, write_entry, backend):
    """Each command opens the instance afresh: what `kmrepo load` indexed on a new (or
    outdated) index must still be there for `kmrepo search` and the site."""
    from kmrepo import create_app
    from kmrepo.cli import cli

    write_entry("a", "คู่มือการลาพักผ่อนประจำปี")
    config = {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "fresh"), "SEARCH_BACKEND": backend}
    if backend == "postgres":
        if not POSTGRES:
            pytest.skip("the postgres backend is tested in the PostgreSQL run (python -m tests.postgres)")
        config.update(database_url(tmp_path))
    first = create_app(config)
    assert first.test_cli_runner().invoke(cli, args=["load", str(write_entry.folder)]).exit_code == 0
    second = create_app(config)
    result = second.test_cli_runner().invoke(cli, args=["search", "ลาพักผ่อน"])
    assert "1 results" in result.output
    assert search(second.test_client(), "ลาพักผ่อน")["total"] == 1
