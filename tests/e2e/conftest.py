from tests.cluster import cluster_settings  # noqa: F401 (fixture)
