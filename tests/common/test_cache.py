"""The cache: Django's Redis cache, with one client per connection pool."""

import threading
import uuid

from django.core.cache import cache


def test_cache_calls_in_a_thread_share_one_client_and_still_read_what_they_wrote(redis_clients_made):
    seen = []

    def use():
        key = f"shared-{uuid.uuid4().hex}"
        for n in range(10):
            cache.set(key, n)
            seen.append(cache.get(key))

    thread = threading.Thread(target=use)  # a thread of its own: its own cache object and pool
    thread.start()
    thread.join()

    assert seen == list(range(10))
    assert len(redis_clients_made) == 1
