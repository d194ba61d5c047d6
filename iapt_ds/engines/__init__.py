"""Engines other than the pure-Python reference: each runs the same stages
(:data:`iapt_ds.pipeline.STAGES`) over the same :class:`~iapt_ds.ledger.Ledger`, and must agree
with the Python engine finding for finding (``tests/test_engine_*.py``).

* :mod:`iapt_ds.engines.duckdb` — ``validate(..., engine="duckdb")``: CSV folders read by DuckDB,
  the row rules, uniqueness and the cascade as the kinds' SQL (:meth:`~iapt_ds.checks.base.Kind.sql`)
  in embedded DuckDB (``pip install 'iapt-ds[duckdb]'``).
* :mod:`iapt_ds.engines.spark` — ``validate(..., engine="spark")``: the same SQL, in Spark's
  dialect, on a Spark session (``pip install 'iapt-ds[spark]'``).

The loop over the tables and rules, the Python fallback and the cascade are shared
(:mod:`iapt_ds.engines._sql`).
"""

__all__: list[str] = []
