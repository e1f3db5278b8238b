from datetime import UTC, date, datetime

from kmrepo.thai_dates import fiscal_year, fiscal_year_bounds, format_thai_date


def test_fiscal_year_runs_october_to_september_named_by_its_end():
    assert fiscal_year(date(2026, 9, 30)) == 2569
    assert fiscal_year(date(2026, 10, 1)) == 2570
    assert fiscal_year_bounds(2570) == (date(2026, 10, 1), date(2027, 9, 30))


def test_fiscal_year_of_a_moment_follows_thai_time():
    # 30 Sep 2026 18:00 UTC is already 1 Oct 2026 01:00 in Thailand.
    assert fiscal_year(datetime(2026, 9, 30, 18, 0, tzinfo=UTC)) == 2570


def test_thai_date_uses_buddhist_era_and_thai_months():
    assert format_thai_date(date(2026, 11, 20)) == "20 พฤศจิกายน 2569"
    assert format_thai_date(date(2026, 11, 20), short=True) == "20 พ.ย. 2569"
