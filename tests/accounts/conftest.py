from tests.portal.conftest import compiled_translations  # noqa: F401 (the shared fixture)
