"""`patchscope batch`: every series of an archive, analysed on a process pool or a Dask cluster.

discover (sources -> SeriesTask) -> analyse (SeriesTask -> SeriesResult, in a worker)
-> execute (the executor, chunks, progress) -> store (SQLite) and index (HTML, CSV).
"""
