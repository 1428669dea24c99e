"""Code facts of a whole series, from its patches alone."""

from __future__ import annotations

from patchscope.code.model import SeriesFacts
from patchscope.ingest.series import Series


def series_facts(series: Series) -> SeriesFacts:
    raise NotImplementedError
