
app_name = "stakeholders_api"

urlpatterns: list = []
