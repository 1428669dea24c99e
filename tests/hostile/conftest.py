"""The fake lore server of the ingest tests, for the gzip bomb served through the CLI."""

from tests.ingest.test_lore import fake_lore  # noqa: F401  (a fixture, used by name)
