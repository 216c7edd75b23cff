"""The clock: RFC 3339 timestamps read the same on every supported Python."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mka1_mock.clock import format_timestamp, parse_timestamp


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        pytest.param("2026-03-15T10:30:00Z", "2026-03-15T10:30:00Z", id="plain"),
        pytest.param("2026-03-15t10:30:00z", "2026-03-15T10:30:00Z", id="lower-case"),
        # Python 3.10's fromisoformat takes only 3 or 6 fraction digits.
        pytest.param("2955-11-19T03:23:32.25+10:46", "2955-11-18T16:37:32Z", id="two-digits"),
        pytest.param("2026-03-15T10:30:00.1234567891Z", "2026-03-15T10:30:00Z", id="ten-digits"),
        pytest.param("2026-03-15T10:30:00-23:59", "2026-03-16T10:29:00Z", id="far-west"),
        pytest.param("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z", id="year-1"),
        pytest.param("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z", id="year-9999"),
    ],
)
def test_parse_timestamp_reads_rfc3339_as_whole_seconds_utc(text: str, utc: str) -> None:
    moment = parse_timestamp(text)
    assert moment.tzinfo == timezone.utc
    assert format_timestamp(moment) == utc


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2026-03-15 10:30:00Z", id="space"),
        pytest.param("2026-03-15T10:30:00", id="no-zone"),
        pytest.param("2026-03-15T10:30Z", id="no-seconds"),
        pytest.param("2026-02-30T10:30:00Z", id="no-such-day"),
        pytest.param("2026-03-15T10:30:60Z", id="leap-second"),
        pytest.param("2026-03-15T24:00:00Z", id="hour-24"),
        pytest.param("2026-03-15T10:30:00+24:00", id="offset-of-a-day"),
        pytest.param("٢٠٢٦-03-15T10:30:00Z", id="non-ascii-digits"),
    ],
)
def test_parse_timestamp_refuses_what_is_not_rfc3339(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


@pytest.mark.parametrize(
    "text",
    ["0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01"],
    ids=["before-1", "after-9999"],
)
def test_parse_timestamp_outside_the_years_1_to_9999_utc_overflows(text: str) -> None:
    with pytest.raises(OverflowError):
        parse_timestamp(text)


def test_format_timestamp_pads_the_year() -> None:
    assert format_timestamp(datetime(999, 1, 2, 3, 4, 5, tzinfo=timezone.utc)) == (
        "0999-01-02T03:04:05Z"
    )
