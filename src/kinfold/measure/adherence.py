"""Process adherence: does each completed item's work fit its item type's process model?

A process model names, per item type, the steps that must happen (`required`), the order
some of them come in (`order`: pairs, the first before the second), and the other steps
that may happen (`steps`). A team writes it in kinfold.yaml:

    process models:
      Housing Benefit new claim:
        required: [Assess, Decision]
        order: [[Assess, Decision]]
        steps: [Request evidence]

An item type with no written model gets one discovered from its completed items: the
steps done in at least 90% of them are required; one required step comes before another
when it first happens before it in at least 90% of the items that have both; steps done
in at least 5% of items are usual. An item conforms when its work has every required
step, the first time of each step keeps the order, and no unusual step; otherwise its
deviations are named ("missing Decision", "Decision before Assess", "unusual step X").
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from kinfold.errors import KinfoldError
from kinfold.measure.frame import Frame

REQUIRED_SHARE = 0.9
ORDER_SHARE = 0.9
USUAL_SHARE = 0.05


def conformance(frame: Frame) -> None:
    """Make the tables `model_steps` (item type, activity, required, usual), `model_order`
    (item type, first, next) and `conformance` (item id, conforming, deviations)."""
    db = frame.db
    steps, order = _written(frame.settings.get("process models") or {})
    db.register("written_steps", steps)
    db.register("written_order", order)
    db.execute("""
        CREATE OR REPLACE TABLE firsts AS
        SELECT w.item_id, i.item_type, w.activity, min(w.completed_at) AS first_at
        FROM work w JOIN items i USING (item_id)
        WHERE i.closed_at IS NOT NULL AND w.lifecycle = 'complete'
        GROUP BY ALL
    """)
    db.execute(f"""
        CREATE OR REPLACE TABLE model_steps AS
        WITH done AS (SELECT item_type, count(*) AS n FROM items
                      WHERE closed_at IS NOT NULL GROUP BY item_type),
        seen AS (SELECT item_type, activity, count(*) AS n FROM firsts GROUP BY ALL)
        SELECT s.item_type, s.activity, s.n >= {REQUIRED_SHARE} * d.n AS required,
               s.n >= {USUAL_SHARE} * d.n AS usual
        FROM seen s JOIN done d USING (item_type)
        WHERE s.item_type NOT IN (SELECT item_type FROM written_steps)
        UNION ALL
        SELECT item_type, activity, required, true FROM written_steps
    """)
    db.execute(f"""
        CREATE OR REPLACE TABLE model_order AS
        WITH required AS (SELECT item_type, activity FROM model_steps WHERE required),
        pairs AS (
            SELECT a.item_type, a.activity AS first, b.activity AS next,
                   count(*) FILTER (WHERE a.first_at < b.first_at) AS kept, count(*) AS n
            FROM firsts a JOIN firsts b ON a.item_id = b.item_id AND a.activity <> b.activity
            WHERE (a.item_type, a.activity) IN (SELECT * FROM required)
              AND (b.item_type, b.activity) IN (SELECT * FROM required)
              AND a.item_type NOT IN (SELECT item_type FROM written_steps)
            GROUP BY ALL)
        SELECT item_type, first, next FROM pairs WHERE kept >= {ORDER_SHARE} * n
        UNION ALL
        SELECT item_type, first, next FROM written_order
    """)
    db.execute("""
        CREATE OR REPLACE TABLE conformance AS
        WITH done AS (SELECT item_id, item_type FROM items WHERE closed_at IS NOT NULL),
        missing AS (
            SELECT d.item_id, 'missing ' || m.activity AS deviation
            FROM done d JOIN model_steps m ON m.item_type = d.item_type AND m.required
            ANTI JOIN firsts f ON f.item_id = d.item_id AND f.activity = m.activity),
        swapped AS (
            SELECT a.item_id, b.activity || ' before ' || a.activity AS deviation
            FROM model_order o
            JOIN firsts a ON a.item_type = o.item_type AND a.activity = o.first
            JOIN firsts b ON b.item_id = a.item_id AND b.activity = o.next
            WHERE b.first_at < a.first_at),
        unusual AS (
            SELECT f.item_id, 'unusual step ' || f.activity AS deviation
            FROM firsts f ANTI JOIN model_steps m
              ON m.item_type = f.item_type AND m.activity = f.activity AND m.usual),
        deviations AS (SELECT * FROM missing UNION ALL SELECT * FROM swapped
                       UNION ALL SELECT * FROM unusual)
        SELECT d.item_id, count(v.deviation) = 0 AS conforming,
               string_agg(v.deviation, '; ' ORDER BY v.deviation) AS deviations
        FROM done d LEFT JOIN deviations v USING (item_id)
        GROUP BY d.item_id
    """)
    db.unregister("written_steps")
    db.unregister("written_order")


def _written(models: Any) -> tuple[pa.Table, pa.Table]:
    """The models of kinfold.yaml's `process models`, checked."""
    hint = ("For example:  process models: {Housing Benefit new claim: "
            "{required: [Assess, Decision], order: [[Assess, Decision]]}}")  # fmt: skip
    if not isinstance(models, dict):
        raise KinfoldError("kinfold.yaml: `process models` names item types.", hint)
    steps: list[dict[str, Any]] = []
    order: list[dict[str, Any]] = []
    for item_type, model in models.items():
        if not isinstance(model, dict) or set(model) - {"required", "order", "steps"}:
            raise KinfoldError(
                f"kinfold.yaml: the process model of '{item_type}' has `required`, `order` "
                "and `steps`.", hint)  # fmt: skip
        required = [str(step) for step in model.get("required") or []]
        others = [str(step) for step in model.get("steps") or [] if step not in required]
        for pair in model.get("order") or []:
            if not (isinstance(pair, list) and len(pair) == 2 and set(map(str, pair)) <= {
                    *required, *others}):  # fmt: skip
                raise KinfoldError(
                    f"kinfold.yaml: in the process model of '{item_type}', order {pair} "
                    "should be two of its steps, the first before the second.", hint)  # fmt: skip
            order.append({"item_type": str(item_type), "first": str(pair[0]),
                          "next": str(pair[1])})  # fmt: skip
        steps += [{"item_type": str(item_type), "activity": step, "required": step in required}
                  for step in (*required, *others)]  # fmt: skip
    steps_schema = pa.schema([("item_type", pa.string()), ("activity", pa.string()),
                              ("required", pa.bool_())])  # fmt: skip
    order_schema = pa.schema([("item_type", pa.string()), ("first", pa.string()),
                              ("next", pa.string())])  # fmt: skip
    return (pa.Table.from_pylist(steps, steps_schema), pa.Table.from_pylist(order, order_schema))
