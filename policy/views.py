from django.shortcuts import render


def current(request):
    """The shop's current privacy policy (filled in by the policy app)."""
    return render(request, "policy/current.html")
