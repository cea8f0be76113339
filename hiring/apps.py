from django.apps import AppConfig


class HiringConfig(AppConfig):
    name = "hiring"

    def ready(self):
        from assessments.signals import attempt_graded

        attempt_graded.connect(_enqueue_rules, dispatch_uid="hiring.attempt_graded")


def _enqueue_rules(sender, attempt_id: int, **kwargs) -> None:
    """Stage rules run in a task: the signal only enqueues (it fires after commit)."""
    from hiring.tasks import attempt_graded

    attempt_graded.delay(attempt_id)
