"""Tanfang application: the litestar app, storage, sync, accounts and the `survey` command line."""

__all__: list[str] = []
