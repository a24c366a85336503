from django.urls import path

from accounts import apis, directory_apis, wizard_apis

app_name = "accounts_api"

urlpatterns = [
    path("", apis.AccountListApi.as_view(), name="list"),
    path("<int:pk>/", apis.AccountDetailApi.as_view(), name="detail"),
    path(
        "<int:account_pk>/revenue/",
        apis.AccountRevenueListApi.as_view(),
        name="revenue_list",
    ),
    path(
        "<int:account_pk>/deals/",
        apis.AccountDealListApi.as_view(),
        name="deal_list",
    ),
    path(
        "<int:account_pk>/deals/create/",
        apis.DealCreateApi.as_view(),
        name="deal_create",
    ),
    path("deals/<int:pk>/", apis.DealDetailApi.as_view(), name="deal_detail"),
    path(
        "<int:account_pk>/whitespace/",
        apis.AccountWhitespaceApi.as_view(),
        name="whitespace",
    ),
    path("audit/", apis.AuditEventListApi.as_view(), name="audit_list"),
    path("products/", apis.ProductListApi.as_view(), name="product_list"),
    path(
        "products/create/",
        directory_apis.ProductCreateApi.as_view(),
        name="product_create",
    ),
    path(
        "products/<int:pk>/",
        directory_apis.ProductDetailApi.as_view(),
        name="product_detail",
    ),
    path("users/", directory_apis.UserListApi.as_view(), name="user_list"),
    path("users/create/", directory_apis.UserCreateApi.as_view(), name="user_create"),
    path("users/<int:pk>/", directory_apis.UserDetailApi.as_view(), name="user_detail"),
    path("teams/", directory_apis.TeamListApi.as_view(), name="team_list"),
    path("teams/create/", directory_apis.TeamCreateApi.as_view(), name="team_create"),
    path("teams/<int:pk>/", directory_apis.TeamDetailApi.as_view(), name="team_detail"),
    path("imports/", wizard_apis.WizardImportListApi.as_view(), name="import_list"),
    path(
        "imports/<int:pk>/",
        wizard_apis.WizardImportDetailApi.as_view(),
        name="import_detail",
    ),
    path(
        "imports/<int:pk>/report.csv",
        wizard_apis.WizardImportReportCsvApi.as_view(),
        name="import_report_csv",
    ),
    path(
        "imports/<int:pk>/changes.csv",
        wizard_apis.WizardImportChangesCsvApi.as_view(),
        name="import_changes_csv",
    ),
    path(
        "imports/<int:pk>/mapping/",
        wizard_apis.WizardImportMappingApi.as_view(),
        name="import_mapping",
    ),
    path(
        "imports/<int:pk>/check/",
        wizard_apis.WizardImportCheckApi.as_view(),
        name="import_check",
    ),
    path(
        "imports/<int:pk>/answer/",
        wizard_apis.WizardImportAnswerApi.as_view(),
        name="import_answer",
    ),
    path(
        "imports/<int:pk>/sheet/",
        wizard_apis.WizardImportSheetApi.as_view(),
        name="import_sheet",
    ),
    path(
        "imports/<int:pk>/header/",
        wizard_apis.WizardImportHeaderApi.as_view(),
        name="import_header",
    ),
    path(
        "imports/<int:pk>/delimiter/",
        wizard_apis.WizardImportDelimiterApi.as_view(),
        name="import_delimiter",
    ),
    path(
        "imports/<int:pk>/number-format/",
        wizard_apis.WizardImportNumberFormatApi.as_view(),
        name="import_number_format",
    ),
    path(
        "imports/<int:pk>/start/",
        wizard_apis.WizardImportStartApi.as_view(),
        name="import_start",
    ),
    path(
        "imports/<int:pk>/undo/",
        wizard_apis.WizardImportUndoApi.as_view(),
        name="import_undo",
    ),
    path(
        "imports/<int:pk>/undo.csv",
        wizard_apis.WizardImportUndoCsvApi.as_view(),
        name="import_undo_csv",
    ),
    path(
        "imports/<int:pk>/reopen/",
        wizard_apis.WizardImportReopenApi.as_view(),
        name="import_reopen",
    ),
    path(
        "imports/<int:pk>/discard/",
        wizard_apis.WizardImportDiscardApi.as_view(),
        name="import_discard",
    ),
    path("tokens/", apis.ApiTokenListApi.as_view(), name="token_list"),
    path("tokens/create/", apis.ApiTokenCreateApi.as_view(), name="token_create"),
    path(
        "tokens/<int:pk>/revoke/",
        apis.ApiTokenRevokeApi.as_view(),
        name="token_revoke",
    ),
]
