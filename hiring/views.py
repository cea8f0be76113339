from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from hiring.selectors import candidate_progress


@login_required
def progress(request):
    return render(request, "hiring/progress.html", {"progress": candidate_progress(candidate=request.user)})
