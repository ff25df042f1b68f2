"""Django settings of a project that uses the grading engine and nothing of the portal.

``test_engine_stands_alone`` grades a file under these settings: no ``courseportal`` module may be
imported on the way.
"""

import os

SECRET_KEY = "standalone-engine-test"
INSTALLED_APPS = ["grader"]
USE_I18N = True
USE_TZ = True
SANDBOX = os.environ.get("SANDBOX", "bwrap")
GRADER_CACHE_DIR = os.environ["GRADER_CACHE_DIR"]
