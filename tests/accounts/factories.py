from decimal import Decimal

import factory

from accounts.models import Account, Product, RevenueLine, Team, User


class TeamFactory(factory.django.DjangoModelFactory[Team]):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    region = "Central"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = User.Role.REP
    password = factory.PostGenerationMethodCall("set_password", "password")

    @factory.post_generation
    def save_password(
        obj: User, create: bool, extracted: object, **kwargs: object
    ) -> None:
        if create:
            obj.save()


class AccountFactory(factory.django.DjangoModelFactory[Account]):
    class Meta:
        model = Account
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Account {n}")
    sector = "retail"
    year_established = 2000
    annual_revenue = Decimal("500000000.00")
    annual_revenue_currency = "USD"
    employees = 1000
    country = "United States"


class ProductFactory(factory.django.DjangoModelFactory[Product]):
    class Meta:
        model = Product
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Product {n}")
    series = "GTX"
    list_price = Decimal("1000.00")


class RevenueLineFactory(factory.django.DjangoModelFactory[RevenueLine]):
    class Meta:
        model = RevenueLine

    account = factory.SubFactory(AccountFactory)
    product = factory.SubFactory(ProductFactory)
    quarter_start = factory.Faker("date_between", start_date="-1y", end_date="today")
    amount = Decimal("1000.00")
