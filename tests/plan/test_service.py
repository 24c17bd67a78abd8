"""The plan of the demo workspace, through the service and through `kinfold plan`."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kinfold.cli import app
from kinfold.errors import KinfoldError
from kinfold.measure.frame import Frame, from_store
from kinfold.plan.scenario import Scenario
from kinfold.plan.service import Outcome, ServiceLevel, make_plan
from kinfold.settings import Settings
from kinfold.workspace import Workspace


@pytest.fixture
def demo_plan_frame(demo_workspace: Workspace) -> Frame:
    frame = from_store(demo_workspace.engine, demo_workspace.settings)
    demo_workspace.close()
    return frame


def test_the_demo_surge_is_seen_and_the_backlog_burns_down(demo_plan_frame: Frame) -> None:
    frame = demo_plan_frame
    (open_items,) = frame.sql("SELECT count(*) FROM items WHERE status = 'open'")[0]
    by = frame.as_of.date() + timedelta(days=120)
    plan = make_plan(frame, by)
    assert plan.backlog_items == open_items > 0 and plan.now.backlog_hours > 0
    assert plan.surges and plan.surges[0].group == "all"  # half the demo arrived lately
    assert plan.surges[0].weeks_of_demand > 4
    assert any("surged" in note for note in plan.notes)
    assert plan.now.staffing.fte > 0 and 0 < plan.now.staffing.shrinkage < 0.5
    assert plan.now.weeks[0].starts <= plan.as_of < plan.now.weeks[0].starts + timedelta(days=7)
    assert plan.now.clearance is not None and plan.now.clearance_earliest is not None
    assert plan.now.clearance_earliest <= plan.now.clearance
    assert plan.now.clearance_latest is None or plan.now.clearance <= plan.now.clearance_latest
    backlog = [week.backlog for week in plan.now.weeks]
    assert backlog[0] < plan.now.backlog_hours and min(backlog) == 0
    assert plan.now.fte_to_clear is not None and plan.now.fte_to_clear > 0
    assert plan.now.fte_service_level > plan.now.fte_next_week > 0
    skills = [need for need in plan.needs if need.kind == "skill"]
    assert skills and sum(n.backlog_hours for n in skills) == pytest.approx(plan.now.backlog_hours)
    teams = [need for need in plan.needs if need.kind == "team"]
    assert sum(n.backlog_hours for n in teams) == pytest.approx(plan.now.backlog_hours)


def test_a_date_in_the_past_and_a_bad_service_level_are_refused(demo_plan_frame: Frame) -> None:
    with pytest.raises(KinfoldError, match="is not after"):
        make_plan(demo_plan_frame, date(2020, 1, 1))
    for given in ("90%:5", "0.9", "1.5:5", "0.9:0", "0.9:five"):
        with pytest.raises(KinfoldError, match="is not a service level"):
            ServiceLevel.parse(given)
    assert ServiceLevel.parse("0.8:3") == ServiceLevel(0.8, 3)


def test_the_command_prints_json_and_writes_the_chart(
    demo_workspace: Workspace, tmp_path: Path
) -> None:
    folder = str(demo_workspace.path)
    demo_workspace.close()
    chart = tmp_path / "burn.svg"
    arguments = ["plan", "-w", folder, "--format", "json", "--chart", str(chart)]
    result = CliRunner().invoke(app, [*arguments, "--service-level", "0.8:3"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["service_level"]["days"] == 3
    assert [s["name"] for s in found["scenarios"]] == ["As now"]
    assert found["backlog"]["items"] > 0 and len(found["demand"]["forecast"]) == 28
    assert found["surges"][0]["in_words"].endswith("expected)")
    assert chart.read_text().lstrip().startswith("<?xml") and "<svg" in chart.read_text()
    png = tmp_path / "burn.png"
    table = CliRunner().invoke(app, ["plan", "-w", folder, "--chart", str(png)])
    assert table.exit_code == 0 and "Cleared by" in table.output
    assert png.read_bytes()[:4] == b"\x89PNG"
    wrong = CliRunner().invoke(app, ["plan", "-w", folder, "--chart", str(tmp_path / "c.gif")])
    assert wrong.exit_code != 0 and "a chart is a .png or .svg file" in wrong.output


def test_the_command_sets_scenarios_beside_the_plan(
    demo_workspace: Workspace, tmp_path: Path
) -> None:
    folder = str(demo_workspace.path)
    demo_workspace.close()
    what_if = tmp_path / "what-if.yaml"
    what_if.write_text("scenarios:\n  - {name: Sickness up, sickness: 10%}\n"
                       "  - {name: Five in, staff: 5}\n")  # fmt: skip
    arguments = ["plan", "-w", folder, "--scenario", str(what_if), "--chart"]
    result = CliRunner().invoke(app, [*arguments, str(tmp_path / "b.svg"), "--format", "json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)["scenarios"]
    assert [s["name"] for s in found] == ["As now", "Sickness up", "Five in"]
    assert found[2]["changes"]["in_words"] == "5 FTE in"
    assert found[2]["staffing"]["fte"] == pytest.approx(found[0]["staffing"]["fte"] + 5)
    assert "Five in: cleared by" in (tmp_path / "b.svg").read_text()  # in the chart's legend
    table = CliRunner().invoke(app, [*arguments, str(tmp_path / "b.png"), "--by", "2027-06-30"])
    assert table.exit_code == 0 and "What if" in table.output and "Five in" in table.output
    what_if.write_text("scenarios:\n  - {name: Oops, demand: lots}\n")
    wrong = CliRunner().invoke(app, [*arguments, str(tmp_path / "b.png")])
    assert wrong.exit_code != 0 and "`demand: lots` is not a number" in wrong.output


def test_scenarios_change_what_they_say_and_nothing_else(demo_plan_frame: Frame) -> None:
    frame = demo_plan_frame
    by = frame.as_of.date() + timedelta(days=120)
    as_now = make_plan(frame, by)  # and the standard times it found
    (kind, open_items), *_ = frame.sql(
        "SELECT item_type, count(*) FROM items WHERE status = 'open' GROUP BY ALL ORDER BY 2 DESC"
    )
    (minutes,) = frame.sql("SELECT minutes FROM standard WHERE item_type = ?", [kind])[0]
    scenarios = [
        Scenario("sick", sickness=0.15),
        Scenario("in", staff=10),
        Scenario("demand", demand=0.5),
        Scenario("overtime", overtime=100),
        Scenario("quicker", standard_minutes={kind: minutes / 2}),
    ]
    plan = make_plan(frame, by, scenarios=scenarios)
    now, sick, staff_in, demand, overtime, quicker = plan.outcomes
    assert [o.scenario.name for o in plan.outcomes] == ["As now", *(s.name for s in scenarios)]
    assert now == as_now.now  # scenarios leave "as now" alone
    # more sickness: fewer hours, later clearance, more FTE needed
    assert sick.staffing.shrinkage == pytest.approx(
        now.staffing.shrinkage - now.staffing.sickness + 0.15
    )
    assert sick.staffing.capacity < now.staffing.capacity
    assert sick.fte_next_week > now.fte_next_week and _behind(sick, now)
    # ten FTE in: capacity up by ten FTE's hours, sooner clearance, the same FTE needed
    assert staff_in.staffing.capacity == pytest.approx(
        now.staffing.capacity + 10 * now.staffing.effective_hours
    )
    assert _behind(now, staff_in)
    assert staff_in.fte_next_week == pytest.approx(now.fte_next_week)
    assert staff_in.service_level_met >= now.service_level_met
    # half as much demand again: next week's FTE x 1.5, the backlog as it is
    assert demand.fte_next_week == pytest.approx(now.fte_next_week * 1.5)
    assert demand.backlog_hours == pytest.approx(now.backlog_hours)
    assert _behind(demand, now)
    # overtime: 100 hours at the target occupancy, fewer rostered FTE needed
    assert overtime.staffing.capacity == pytest.approx(
        now.staffing.capacity + 100 * now.staffing.occupancy
    )
    assert overtime.fte_next_week < now.fte_next_week
    # the largest item type at half its standard time: its backlog hours halve
    assert quicker.backlog_hours == pytest.approx(now.backlog_hours - open_items * minutes / 120)
    assert _behind(now, quicker)
    assert all(0 <= o.service_level_met <= 1 for o in plan.outcomes)


def test_scenarios_that_cannot_be_are_refused(demo_plan_frame: Frame) -> None:
    with pytest.raises(KinfoldError, match="there is no item type 'Parking permit'"):
        make_plan(
            demo_plan_frame, scenarios=[Scenario("x", standard_minutes={"Parking permit": 5})]
        )
    with pytest.raises(KinfoldError, match="leaves fewer than none"):
        make_plan(demo_plan_frame, scenarios=[Scenario("x", staff=-1_000)])


def _behind(first: Outcome, second: Outcome) -> bool:
    """`first`'s backlog is never below `second`'s and clears no sooner."""
    backlogs = zip(first.weeks, second.weeks, strict=True)
    return all(a.backlog >= b.backlog for a, b in backlogs) and (first.clearance or date.max) >= (
        second.clearance or date.max
    )


def test_planning_settings_are_checked() -> None:
    assert Settings.parse({}).plan["contact set-up minutes"] == 10
    given = {"contact set-up minutes": 0, "hours per FTE": 36}
    assert Settings.parse(given).plan["hours per FTE"] == 36
    for name, value, message in [
        ("target occupancy", 1.5, "above zero and at most 1"),
        ("hours per FTE", 0, "above zero"),
        ("contact set-up minutes", -1, "0 or more"),
        ("backlog target hours", "none", "0 or more"),
        ("hours per FTE", True, "above zero"),
    ]:
        with pytest.raises(KinfoldError, match=f"`{name}` should be a number {message}"):
            Settings.parse({name: value})


def test_the_fte_figures_follow_from_the_hours_the_page_explains_them_by(
    demo_plan_frame: Frame,
) -> None:
    """The plan page works each FTE figure out in words from these hours: the figures
    must be exactly what those words say."""
    by = demo_plan_frame.as_of.date() + timedelta(days=70)
    now = make_plan(demo_plan_frame, by, ServiceLevel(0.9, 10)).now
    staffing, weeks = now.staffing, 10 / 5
    hour = staffing.effective_hours
    assert hour == pytest.approx(staffing.hours_per_fte * (1 - staffing.shrinkage)
                                 * staffing.occupancy)  # fmt: skip
    rostered = staffing.overtime_hours
    assert now.fte_next_week == pytest.approx(max(0, now.next_week_hours - rostered) / hour)
    high = (now.backlog_hours + now.next_week_high_hours * weeks) / weeks
    assert now.fte_service_level == pytest.approx(max(0, high - rostered) / hour)
    until = (now.backlog_hours + now.until_hours) / 10  # 70 days: 10 weeks
    assert now.fte_to_clear == pytest.approx(max(0, until - rostered) / hour)
    assert now.next_week_high_hours >= now.next_week_hours > 0 and now.until_hours > 0
