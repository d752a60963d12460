"""Tools that measure Terrain, apart from the runtime (which never imports them): the query
benchmark (bench.py), pages in Chromium (bench_browser.py), imports at scale
(bench_imports.py) and many sessions at once (loadtest.py). Their commands are
`python -m terrain bench` and `python -m terrain loadtest` (terrain/cli/)."""
