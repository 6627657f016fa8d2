"""The engine: everything that remembers, forks or reads git for speed.

The analyses (`diff`, `audit`, `explain`, `reasons`) are functions of values: an
`Inventory` is frozen and carries nothing but what a revision's CI runs.  What makes
them fast lives here, apart: the session that opens a repository (`session`), the
building of inventories (`build`), outcomes reused by the answers they rest on
(`memo`), the open world's implementation (`world`), the history walk (`walk`, over the
commits `commits` reads from git), what is
kept about an inventory while it lives (`store`), what is stored and how (`persist`,
`cache`), the outputs a repeated command is answered from (`stored`: `cli.main` reads it
without loading the rest) and the process pool (`parallel`).  The analyses reach it through
`world.open_world` and `store.derived` only.
"""
