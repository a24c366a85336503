from datetime import UTC

import factory

from stakeholders.models import Activity, BuyingRole, InfluenceLink, Stakeholder
from tests.accounts.factories import AccountFactory


class BuyingRoleFactory(factory.django.DjangoModelFactory[BuyingRole]):
    class Meta:
        model = BuyingRole
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"role-{n}")
    name = factory.LazyAttribute(lambda role: role.key.replace("-", " ").title())


class StakeholderFactory(factory.django.DjangoModelFactory[Stakeholder]):
    class Meta:
        model = Stakeholder

    account = factory.SubFactory(AccountFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    title = "Analyst"
    seniority = Stakeholder.Seniority.STAFF
    sentiment = Stakeholder.Sentiment.NEUTRAL
    influence = Stakeholder.Influence.MODERATE


class InfluenceLinkFactory(factory.django.DjangoModelFactory[InfluenceLink]):
    class Meta:
        model = InfluenceLink

    source = factory.SubFactory(StakeholderFactory)
    target = factory.SubFactory(
        StakeholderFactory, account=factory.SelfAttribute("..source.account")
    )
    account = factory.SelfAttribute("source.account")


class ActivityFactory(factory.django.DjangoModelFactory[Activity]):
    class Meta:
        model = Activity
        skip_postgeneration_save = True

    account = factory.SubFactory(AccountFactory)
    occurred_at = factory.Faker("date_time_this_year", tzinfo=UTC)

    @factory.post_generation
    def stakeholders(
        obj: Activity, create: bool, extracted: object, **kwargs: object
    ) -> None:
        if create and extracted:
            obj.stakeholders.set(extracted)  # type: ignore[arg-type]
