
app_name = "plans_api"

urlpatterns: list = []
