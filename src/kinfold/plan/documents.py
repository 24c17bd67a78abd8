"""The plan and the policy simulation as JSON-ready data: the same numbers the command
prints, for `kinfold plan --format json`, `kinfold simulate --format json` and the web
app's API."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from kinfold.plan.policies import Simulation
from kinfold.plan.service import Outcome, Plan


def plan_document(found: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data: the same numbers the table shows."""
    demand, now = found.demand, found.now
    return {
        "as_of": found.as_of,
        "backlog": {"items": found.backlog_items, "hours": now.backlog_hours},
        "service_level": asdict(found.service_level),
        "clear_by": found.by,
        "scenarios": [_outcome_document(outcome) for outcome in found.outcomes],
        "needs": [asdict(need) for need in found.needs],
        "demand": {
            "model": demand.model,
            "mase": demand.mase,
            "seasonal_naive_mase": demand.naive_mase,
            "forecast": [
                {"day": day.date(), "mean": mean, "lower": low, "upper": high}
                for day, mean, low, high in zip(
                    demand.mean.index, demand.mean, demand.lower, demand.upper, strict=True
                )
            ],
        },
        "surges": [
            {**asdict(s), "weeks_of_demand": s.weeks_of_demand, "in_words": s.describe()}
            for s in found.surges
        ],
        "notes": found.notes,
    }


def _outcome_document(outcome: Outcome) -> dict[str, Any]:
    staffing = outcome.staffing
    return {
        "name": outcome.scenario.name,
        "changes": {
            **asdict(outcome.scenario),
            "in_words": outcome.scenario.changes(),
        },
        "staffing": {**asdict(staffing), "capacity_hours_a_week": staffing.capacity},
        "backlog_hours": outcome.backlog_hours,
        "clearance": {
            "date": outcome.clearance,
            "earliest": outcome.clearance_earliest,
            "latest": outcome.clearance_latest,
        },
        "fte": {
            "next_week": outcome.fte_next_week,
            "to_clear_by": outcome.fte_to_clear,
            "service_level": outcome.fte_service_level,
        },
        "service_level_met": outcome.service_level_met,
        "weeks": [asdict(week) for week in outcome.weeks],
    }


def simulation_document(found: Simulation) -> dict[str, Any]:
    """The simulation as JSON-ready data: its parameters and each policy's results."""
    return {
        "parameters": {
            **asdict(found.parameters),
            "workers": found.parameters.workers,
            "team": found.team,
        },
        "items_waiting_at_start": found.waiting,
        "items_arriving": found.arriving,
        "policies": [
            {
                "policy": result.policy,
                "items_arrived": len(result.arrived),
                "items_completed": len(result.completed),
                "items_still_open": result.still_open,
                "backlog_cleared_after_days": result.cleared_day,
                "people": result.people,
                "people_with_harm_horizon": result.with_horizon,
                "harm_horizon_passed": result.horizon_passed,
                "harm_horizon_passed_before_start": result.passed_at_start,
                "share_harm_horizon_passed": result.share_passed,
                "contacts": result.contacts,
                "touches_per_person": result.touches_per_person,
                "hours_worked": result.hours_worked,
            }
            for result in found.results
        ],
        "notes": found.notes,
    }
