"""Events other apps may react to (hiring builds on assessments, never the reverse).
Sent after the transaction commits; receivers must only enqueue work, never write."""

from django.dispatch import Signal

# kwargs: attempt_id
attempt_graded = Signal()
