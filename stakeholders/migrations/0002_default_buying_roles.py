"""Seed the buying-role taxonomy and the default roles an account expects."""

from django.db import migrations

ROLES = [
    ("economic-buyer", "Economic buyer", "buying", "Releases the budget."),
    ("technical-buyer", "Technical buyer", "buying", "Judges fit and can veto."),
    ("user-buyer", "User buyer", "buying", "Lives with the solution every day."),
    ("champion", "Coach / champion", "buying", "Sells for us when we are not in the room."),
    ("gatekeeper", "Gatekeeper", "buying", "Controls access to others."),
    ("influencer", "Influencer", "buying", "Shapes the opinion of those who decide."),
    ("decision-maker", "Decision maker", "buying", "Signs off the decision."),
    ("finance", "Finance", "function", "Business function: finance."),
    ("it", "IT", "function", "Business function: information technology."),
    ("operations", "Operations", "function", "Business function: operations."),
    ("procurement", "Procurement", "function", "Business function: purchasing."),
    ("business-owner", "Business owner", "function", "Owns the business outcome."),
]

# The blank sector is the fallback for every sector without its own list.
DEFAULTS = {
    "": [
        "economic-buyer",
        "technical-buyer",
        "user-buyer",
        "champion",
        "decision-maker",
        "finance",
        "it",
        "procurement",
        "business-owner",
    ],
    "software": [
        "economic-buyer",
        "technical-buyer",
        "user-buyer",
        "champion",
        "decision-maker",
        "it",
        "procurement",
    ],
    # The bundled CRM data spells the sector this way.
    "technolgy": [
        "economic-buyer",
        "technical-buyer",
        "user-buyer",
        "champion",
        "decision-maker",
        "it",
        "procurement",
    ],
    "retail": [
        "economic-buyer",
        "user-buyer",
        "champion",
        "decision-maker",
        "finance",
        "operations",
        "procurement",
        "business-owner",
    ],
    "medical": [
        "economic-buyer",
        "technical-buyer",
        "user-buyer",
        "champion",
        "gatekeeper",
        "decision-maker",
        "finance",
        "it",
        "procurement",
    ],
    "finance": [
        "economic-buyer",
        "technical-buyer",
        "champion",
        "decision-maker",
        "finance",
        "it",
        "procurement",
    ],
}


DEFAULTS["technology"] = DEFAULTS["technolgy"]


def seed(apps, schema_editor):
    BuyingRole = apps.get_model("stakeholders", "BuyingRole")
    SectorRoleDefault = apps.get_model("stakeholders", "SectorRoleDefault")
    roles = {}
    for position, (key, name, kind, description) in enumerate(ROLES):
        roles[key], _ = BuyingRole.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "kind": kind,
                "description": description,
                "position": position,
            },
        )
    for sector, keys in DEFAULTS.items():
        for key in keys:
            SectorRoleDefault.objects.get_or_create(sector=sector, role=roles[key])


def unseed(apps, schema_editor):
    apps.get_model("stakeholders", "SectorRoleDefault").objects.all().delete()
    apps.get_model("stakeholders", "BuyingRole").objects.filter(
        key__in=[key for key, *_ in ROLES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("stakeholders", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
