"""A route group module that fails on import (tests/e2e/test_local_gateway_inprocess.py): the
local server must refuse to start, loudly, rather than serve without it."""

import lectern.this_module_does_not_exist  # noqa: F401
