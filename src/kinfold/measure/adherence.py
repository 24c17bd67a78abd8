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

import pyarrow as pa

from kinfold.measure.frame import Frame
from kinfold.settings import ProcessModel

REQUIRED_SHARE = 0.9
ORDER_SHARE = 0.9
USUAL_SHARE = 0.05


def conformance(frame: Frame) -> None:
    """From each item's `steps` (activities by their `activity_codes`), make the tables
    `model_steps` (item type, activity, required, usual), `model_order` (item type, first,
    next) and `conformance` (item id, conforming, deviations).

    Items are checked by variant: the items of a type whose steps first happen in the same
    order (ties kept as ties) share one, so a model is found and checked once per variant,
    not once per item. A variant is known by the sum of a 64-bit hash of each (step, place)
    pair of its trace."""
    db = frame.db
    steps, order = _written(frame.settings.process_models)
    db.register("written_steps", steps)
    db.register("written_order", order)
    db.execute("""
        CREATE OR REPLACE TEMP TABLE places AS
        SELECT item_id, code, dense_rank() OVER (PARTITION BY item_id ORDER BY first_at) AS place
        FROM steps
    """)
    db.execute("""
        CREATE OR REPLACE TEMP TABLE traces AS
        SELECT i.item_id, i.item_type, coalesce(p.variant, 0) AS variant
        FROM items i LEFT JOIN (SELECT item_id, sum(hash(code, place)) AS variant
                                FROM places GROUP BY item_id) p USING (item_id)
        WHERE i.closed_at IS NOT NULL
    """)
    db.execute("""
        CREATE OR REPLACE TEMP TABLE variants AS
        WITH counted AS (SELECT item_type, variant, count(*) AS n, min(item_id) AS example
                         FROM traces GROUP BY ALL)
        SELECT c.item_type, c.variant, c.n, a.activity, p.place
        FROM counted c LEFT JOIN places p ON p.item_id = c.example
        LEFT JOIN activity_codes a USING (code)
    """)
    db.execute(f"""
        CREATE OR REPLACE TABLE model_steps AS
        WITH done AS (SELECT item_type, count(*) AS n FROM traces GROUP BY item_type),
        seen AS (SELECT item_type, activity, sum(n) AS n FROM variants
                 WHERE activity IS NOT NULL GROUP BY ALL)
        SELECT s.item_type, s.activity, s.n >= {REQUIRED_SHARE} * d.n AS required,
               s.n >= {USUAL_SHARE} * d.n AS usual
        FROM seen s JOIN done d USING (item_type)
        WHERE s.item_type NOT IN (SELECT item_type FROM written_steps)
        UNION ALL
        SELECT item_type, activity, required, true FROM written_steps
    """)
    db.execute(f"""
        CREATE OR REPLACE TABLE model_order AS
        WITH required AS (
            SELECT v.* FROM variants v SEMI JOIN model_steps m
              ON m.item_type = v.item_type AND m.activity = v.activity AND m.required
            WHERE v.item_type NOT IN (SELECT item_type FROM written_steps)),
        pairs AS (
            SELECT a.item_type, a.activity AS first, b.activity AS next,
                   sum(a.n) FILTER (WHERE a.place < b.place) AS kept, sum(a.n) AS n
            FROM required a JOIN required b ON a.item_type = b.item_type
                 AND a.variant = b.variant AND a.activity <> b.activity
            GROUP BY ALL)
        SELECT item_type, first, next FROM pairs WHERE kept >= {ORDER_SHARE} * n
        UNION ALL
        SELECT item_type, first, next FROM written_order
    """)
    db.execute("""
        CREATE OR REPLACE TABLE conformance AS
        WITH found AS (SELECT DISTINCT item_type, variant FROM variants),
        missing AS (
            SELECT f.item_type, f.variant, 'missing ' || m.activity AS deviation
            FROM found f JOIN model_steps m ON m.item_type = f.item_type AND m.required
            ANTI JOIN variants v ON v.item_type = f.item_type AND v.variant = f.variant
                                AND v.activity = m.activity),
        swapped AS (
            SELECT a.item_type, a.variant, b.activity || ' before ' || a.activity AS deviation
            FROM model_order o
            JOIN variants a ON a.item_type = o.item_type AND a.activity = o.first
            JOIN variants b ON b.item_type = a.item_type AND b.variant = a.variant
                           AND b.activity = o.next
            WHERE b.place < a.place),
        unusual AS (
            SELECT v.item_type, v.variant, 'unusual step ' || v.activity AS deviation
            FROM variants v ANTI JOIN model_steps m
              ON m.item_type = v.item_type AND m.activity = v.activity AND m.usual
            WHERE v.activity IS NOT NULL),
        deviations AS (SELECT * FROM missing UNION ALL SELECT * FROM swapped
                       UNION ALL SELECT * FROM unusual),
        judged AS (
            SELECT f.item_type, f.variant, count(d.deviation) = 0 AS conforming,
                   string_agg(d.deviation, '; ' ORDER BY d.deviation) AS deviations
            FROM found f LEFT JOIN deviations d USING (item_type, variant)
            GROUP BY ALL)
        SELECT t.item_id, j.conforming, j.deviations
        FROM traces t JOIN judged j USING (item_type, variant)
    """)
    db.unregister("written_steps")
    db.unregister("written_order")


def _written(models: dict[str, ProcessModel]) -> tuple[pa.Table, pa.Table]:
    """The models of kinfold.yaml's `process models`, as the tables of steps and order."""
    steps = [{"item_type": item_type, "activity": step, "required": step in model.required}
             for item_type, model in models.items()
             for step in (*model.required, *model.steps)]  # fmt: skip
    order = [{"item_type": item_type, "first": first, "next": then}
             for item_type, model in models.items() for first, then in model.order]  # fmt: skip
    steps_schema = pa.schema([("item_type", pa.string()), ("activity", pa.string()),
                              ("required", pa.bool_())])  # fmt: skip
    order_schema = pa.schema([("item_type", pa.string()), ("first", pa.string()),
                              ("next", pa.string())])  # fmt: skip
    return (pa.Table.from_pylist(steps, steps_schema), pa.Table.from_pylist(order, order_schema))
