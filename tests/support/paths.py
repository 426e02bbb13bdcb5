"""Where the repository and the tests are, whatever folder a test file sits in."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
REPO = TESTS.parent
