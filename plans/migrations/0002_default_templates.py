from django.db import migrations

# Two starting points a team copies into pursuits and tailors: a short cycle
# for expanding what a customer already runs, a full one for a new line.
TEMPLATES = [
    (
        "Expansion in an installed account",
        "For selling more of what the customer already uses, or the next "
        "product in the same line, to a buying group that knows us.",
        [
            (
                "Qualify",
                "Confirm the need with the current users; size the expansion.",
                "A named sponsor and a rough size agreed.",
                "Customer recognises the need",
                ["The business owner confirmed the need in a meeting"],
            ),
            (
                "Propose",
                "Build the business case with the sponsor; price the expansion.",
                "Proposal delivered and walked through.",
                "Customer evaluates the options",
                [
                    "The business owner attended the proposal review",
                    "The finance lead reviewed the commercial terms",
                ],
            ),
            (
                "Commit",
                "Negotiate terms; agree the rollout plan.",
                "Verbal commitment and a signature date.",
                "Customer decides and commits budget",
                [
                    "Procurement started the purchase process",
                    "A signature date is in the customer's calendar",
                ],
            ),
            ("Close", "Sign and hand over to delivery.", "Contract signed.", "Customer signs", []),
        ],
    ),
    (
        "New solution to a new buying group",
        "For a product line the account has never bought: a longer cycle "
        "with more people to convince.",
        [
            (
                "Discover",
                "Map the buying group; learn the initiative this serves.",
                "Initiative and buying group named.",
                "Customer becomes aware of a problem",
                ["A stakeholder shared the initiative's goals and owner"],
            ),
            (
                "Qualify",
                "Agree the problem, the budget owner and the decision process.",
                "Budget owner and decision process known.",
                "Customer defines requirements",
                [
                    "The budget owner met us",
                    "The customer shared written requirements",
                ],
            ),
            (
                "Demonstrate",
                "Run the demo or pilot against their requirements.",
                "Pilot success criteria met.",
                "Customer evaluates solutions",
                [
                    "The business owner attended the demo",
                    "IT reviewed the security and integration questions",
                ],
            ),
            (
                "Propose",
                "Deliver the proposal and business case.",
                "Proposal accepted for decision.",
                "Customer builds the internal case",
                ["The finance lead reviewed the commercial terms"],
            ),
            (
                "Negotiate",
                "Settle terms with procurement and legal.",
                "Terms agreed.",
                "Customer negotiates and approves",
                ["Legal returned a marked-up contract"],
            ),
            ("Close", "Sign and hand over to delivery.", "Contract signed.", "Customer signs", []),
        ],
    ),
]


def create_templates(apps, schema_editor):
    SellCycleTemplate = apps.get_model("plans", "SellCycleTemplate")
    TemplateStage = apps.get_model("plans", "TemplateStage")
    TemplateCheckpoint = apps.get_model("plans", "TemplateCheckpoint")
    for name, description, stages in TEMPLATES:
        template, created = SellCycleTemplate.objects.get_or_create(
            name=name, defaults={"description": description}
        )
        if not created:
            continue
        for order, (stage_name, ours, exit_criteria, buyer, checks) in enumerate(
            stages, start=1
        ):
            stage = TemplateStage.objects.create(
                template=template,
                order=order,
                name=stage_name,
                our_activities=ours,
                exit_criteria=exit_criteria,
                buyer_step=buyer,
            )
            for index, description in enumerate(checks):
                TemplateCheckpoint.objects.create(
                    stage=stage, order=index, description=description, required=True
                )


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]

    operations = [migrations.RunPython(create_templates, migrations.RunPython.noop)]
