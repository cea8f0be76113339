"""Django's Redis cache, with one redis.Redis per connection pool instead of one per call.

Django's RedisCacheClient.get_client() makes a new redis.Redis for every cache operation, and
each builds its table of reply parsers (~170 entries): as much CPU as a whole PING on a kept
client (bench/web.py, "Redis calls"), on every request that touches the cache (the rate limits
of every Run, Submit and sign-in). A client is safe to share: each command takes a connection from its pool
and gives it back."""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _ClientPerPool(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # pool -> its client (the pools themselves live as long as this object)

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ClientPerPool
