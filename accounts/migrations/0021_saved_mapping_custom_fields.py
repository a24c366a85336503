"""Keep the `__c` columns that mappings saved before custom fields dropped.

Until the mapping page offered "keep as custom field", confirming a
Salesforce export's mapping there saved its custom `__c` columns as not
imported, so the next file with the same headers dropped them without
asking. Each such column of a saved accounts, deals or people mapping is
kept as a custom field from now on, and the check says so. A saved mapping
holds only the columns it maps, so one saved before this migration cannot
tell that old page's missing choice from a user's skip; it is read as the
old page's, and a column skipped that way shows in the check as kept, where
it can be skipped again. Once migrated, a `__c` column a mapping leaves out
was left out by the user, and stays so.
"""

import re
import unicodedata

from django.db import migrations

# Frozen here: the code a migration runs must not change with the app's.
CUSTOM_FIELD = re.compile(r"__c$", re.IGNORECASE)
KEEPS_CUSTOM_VALUES = {"account", "opportunity", "person"}
EXTRA = "extra"


def header_normalise(header):
    text = unicodedata.normalize("NFKD", header)
    text = "".join(char for char in text if not unicodedata.combining(char))
    return re.sub(r"[\W_]+", "", text.casefold())


def custom_columns_keep(apps, schema_editor):
    SavedMapping = apps.get_model("accounts", "SavedMapping")
    for saved in SavedMapping.objects.order_by("pk").iterator():
        entities = {target[0] for target in saved.mapping.values() if target}
        if len(entities) != 1:
            continue
        entity = entities.pop()
        if entity not in KEEPS_CUSTOM_VALUES:
            continue
        mapping = dict(saved.mapping)
        for header in saved.headers:
            key = header_normalise(header)
            if CUSTOM_FIELD.search(header.strip()) and key and key not in mapping:
                mapping[key] = [entity, EXTRA]
        if mapping != saved.mapping:
            saved.mapping = mapping
            # updated_at is left alone: the user saved nothing new.
            SavedMapping.objects.filter(pk=saved.pk).update(mapping=mapping)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0020_import_job_started_from"),
    ]

    operations = [
        migrations.RunPython(custom_columns_keep, migrations.RunPython.noop),
    ]
