from django.urls import path

from stakeholders import apis, role_apis

app_name = "stakeholders_api"

urlpatterns = [
    path("roles/", apis.BuyingRoleListApi.as_view(), name="role_list"),
    path("roles/create/", role_apis.BuyingRoleCreateApi.as_view(), name="role_create"),
    path(
        "roles/<int:pk>/", role_apis.BuyingRoleDetailApi.as_view(), name="role_detail"
    ),
    path("findings/", apis.FindingRollupApi.as_view(), name="finding_rollup"),
    path(
        "accounts/<int:account_pk>/people/",
        apis.StakeholderListApi.as_view(),
        name="list",
    ),
    path(
        "accounts/<int:account_pk>/people/create/",
        apis.StakeholderCreateApi.as_view(),
        name="create",
    ),
    path(
        "accounts/<int:account_pk>/owners/",
        apis.OwnerListApi.as_view(),
        name="owner_list",
    ),
    path(
        "accounts/<int:account_pk>/expected-roles/",
        apis.ExpectedRoleApi.as_view(),
        name="expected_roles",
    ),
    path(
        "accounts/<int:account_pk>/links/",
        apis.InfluenceLinkListApi.as_view(),
        name="link_list",
    ),
    path(
        "accounts/<int:account_pk>/links/create/",
        apis.InfluenceLinkCreateApi.as_view(),
        name="link_create",
    ),
    path(
        "accounts/<int:account_pk>/activities/",
        apis.ActivityListApi.as_view(),
        name="activity_list",
    ),
    path(
        "accounts/<int:account_pk>/activities/create/",
        apis.ActivityCreateApi.as_view(),
        name="activity_create",
    ),
    path(
        "accounts/<int:account_pk>/findings/",
        apis.FindingListApi.as_view(),
        name="finding_list",
    ),
    path(
        "accounts/<int:account_pk>/board/",
        apis.BoardApi.as_view(),
        name="board",
    ),
    path("people/<int:pk>/", apis.StakeholderDetailApi.as_view(), name="detail"),
    path("people/<int:pk>/leave/", apis.StakeholderLeaveApi.as_view(), name="leave"),
    path("people/<int:pk>/rejoin/", apis.StakeholderRejoinApi.as_view(), name="rejoin"),
    path("people/<int:pk>/erase/", apis.StakeholderEraseApi.as_view(), name="erase"),
    path("people/<int:pk>/owner/", apis.StakeholderOwnerApi.as_view(), name="owner"),
    path("links/<int:pk>/", apis.InfluenceLinkDetailApi.as_view(), name="link_detail"),
]
