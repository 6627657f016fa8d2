"""The engine: everything that remembers, forks or reads git for speed.

The analyses (`diff`, `audit`, `explain`, `reasons`) are functions of values: an
`Inventory` is frozen and carries nothing but what a revision's CI runs.  What makes
them fast lives here, apart: what is kept about a finished inventory (`store`).
"""
