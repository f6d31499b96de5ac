"""The Hypothesis profiles of the form fuzzers (test_fuzz_forms.py).

``default``: 50 examples per form, for every run of the suite. ``ci``: 500 per form (issue
#11's floor), which CI's PostgreSQL pass selects with ``SHOPGUARD_FUZZ_PROFILE=ci``.
``SHOPGUARD_FUZZ_EXAMPLES=5000`` overrides the count of either to dig deeper locally.
Both are derandomized, so a failure replays exactly, and keep no example database in
the checkout.
"""

import os

from hypothesis import HealthCheck, settings

FUZZ_EXAMPLES = {"default": 50, "ci": 500}

_profile = os.environ.get("SHOPGUARD_FUZZ_PROFILE", "default")
if _profile not in FUZZ_EXAMPLES:
    raise ValueError(f"SHOPGUARD_FUZZ_PROFILE must be one of {sorted(FUZZ_EXAMPLES)}")
for _name, _examples in FUZZ_EXAMPLES.items():
    settings.register_profile(
        f"shopguard-{_name}",
        max_examples=int(os.environ.get("SHOPGUARD_FUZZ_EXAMPLES", _examples)),
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
settings.load_profile(f"shopguard-{_profile}")
