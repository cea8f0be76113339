from functools import cached_property

from django.db.backends.postgresql import base, features


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def max_query_params(self):
        return 2**16 - 1 if self.uses_server_side_binding else None


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
