from celery import shared_task

from hiring import services


@shared_task(name="hiring.attempt_graded", ignore_result=True)
def attempt_graded(attempt_id: int) -> None:
    services.attempt_graded_apply_rules(attempt_id=attempt_id)
