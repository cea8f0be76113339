import os
import sys

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from prep.celery import app as celery_app, freeze_startup_heap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prep.settings")

application = get_wsgi_application()

# Import every view now, as each gunicorn worker starts, rather than in its first request: that
# first request took ~0.4 s of CPU longer (the URLconf and everything it imports; one measurement
# on the 2-core dev VM), holding the GIL while the requests on the worker's other threads waited.
get_resolver().url_patterns
# Likewise the Celery task modules, which views import only where they enqueue: under
# bench/load.py the first start in each worker imported assessments.tasks (and the judge) while
# the starts on its other threads waited for the import. (Forced discovery only imports them;
# loader.import_default_modules() would also run Django's checks in every worker, through
# Celery's Django fix-up.)
celery_app.autodiscover_tasks(force=True)

# The web tier runs requests in threads (gunicorn --threads) that mostly wait on PostgreSQL and
# Redis. Each answer that comes back needs the GIL, which a thread busy serializing gives up
# only every switch interval (5 ms by default), once per round trip. At 1 ms, bench/load.py
# (200 candidates) measured autosave p95 at 70 ms instead of 132 ms, with less web CPU, not
# more. At 0.5 ms (32 threads; four 80 s runs alternating 1, 0.5, 0.5, 1 ms, the VM slow):
# Submit p50 66 and 73 ms against 86 and 90 ms, autosave p95 57 and 70 against 82 and 89 ms,
# web CPU 45-46 against 48-49 core-seconds. Only the web process imports this module; grading
# workers keep Python's default.
if settings.PREP_WEB_SWITCH_INTERVAL_MS > 0:
    sys.setswitchinterval(settings.PREP_WEB_SWITCH_INTERVAL_MS / 1000)

# Everything imported so far lives as long as the process. Frozen, the garbage collector no longer
# walks it: a full collection walked these ~130k objects while holding the GIL, and every thread
# of the process waited (60-160 ms each, a few times a minute, in bench/load.py's ramp on the
# 2-core VM). Collecting first leaves no garbage in the frozen heap.
freeze_startup_heap()
