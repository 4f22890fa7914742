"""The project's URLs plus one view that fails, with a credential in a local variable."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from workspace_admin.urls import urlpatterns as project_urlpatterns


@login_not_required
def boom(request):
    sk = settings.WORKSPACE_SK  # what a signing helper holds when it fails
    database_url = f"postgres://app:{settings.DATABASES['default'].get('PASSWORD')}@db/x"
    raise RuntimeError(f"signing failed for {len(sk)} chars, {len(database_url)}")


urlpatterns = [path("boom/", boom), *project_urlpatterns]
