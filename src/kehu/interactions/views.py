from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from kehu.interactions.selectors import my_tasks as select_my_tasks


@login_required
def my_tasks(request):
    return render(request, "interactions/my_tasks.html", {"tasks": select_my_tasks(user=request.user)})
