from django.urls import path

from accounts import apis

app_name = "accounts_api"

urlpatterns = [
    path("", apis.AccountListApi.as_view(), name="list"),
    path("<int:pk>/", apis.AccountDetailApi.as_view(), name="detail"),
    path(
        "<int:account_pk>/revenue/",
        apis.AccountRevenueListApi.as_view(),
        name="revenue_list",
    ),
    path("products/", apis.ProductListApi.as_view(), name="product_list"),
    path("tokens/", apis.ApiTokenListApi.as_view(), name="token_list"),
    path("tokens/create/", apis.ApiTokenCreateApi.as_view(), name="token_create"),
    path(
        "tokens/<int:pk>/revoke/",
        apis.ApiTokenRevokeApi.as_view(),
        name="token_revoke",
    ),
]
