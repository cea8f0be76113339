"""Report and analytics routes (staff API)."""

urlpatterns: list = []
