# The policy tests' fixtures: requests are made against the published policy.
from tests.policy.conftest import no_second_factor, version1  # noqa: F401
