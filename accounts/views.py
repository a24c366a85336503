from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from accounts.sections import account_section_render_context
from accounts.selectors import account_get_for_user, account_overview_for_user


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=pk)
    overview = account_overview_for_user(user=request.user, account=account)
    # Each app's section renders its own template with its own context, so
    # no section sees another's variables.
    sections = [
        (
            section,
            render_to_string(
                section.template,
                {**context, "account": account, "section": section},
                request=request,
            ),
        )
        for section, context in account_section_render_context(
            user=request.user, account=account
        )
    ]

    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "overview": overview,
            "sections": sections,
            "revenue_chart": overview.revenue_by_quarter,
        },
    )
