"""Per-series stage modules: what one series changes in the model, patch by patch.

A module here is named by a manifest's `model` key and has `stages(series) -> list[Stage]`
(stage 0, the base tree, then one stage per patch). Another version of a series, or
another series touching these paths, is a new module, never an edit of the base model.
"""
