from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from accounts import importing

HEADER_BYTES = 64 * 1024


class CsvFileField(forms.FileField):
    """A CSV upload whose header must match one file of the layout."""

    def __init__(self, *, file_name: str, **kwargs: Any) -> None:
        self.file_name = file_name
        kwargs.setdefault(
            "error_messages",
            {
                "required": f"Choose the {file_name} file.",
                "empty": f"{file_name}: the file is empty.",
            },
        )
        super().__init__(**kwargs)

    def clean(self, data: object, initial: object = None) -> UploadedFile | None:
        upload = super().clean(data, initial)
        if upload is None:
            return upload

        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(
                f"{self.file_name}: {upload.name} is not a .csv file."
            )
        upload.seek(0)
        head = upload.read(HEADER_BYTES)
        upload.seek(0)
        try:
            importing.csv_header_check(content=head, file=self.file_name)
        except importing.ImportFileError as error:
            raise forms.ValidationError(
                f"{self.file_name}: {error.message}."
            ) from error
        return upload


class ImportUploadForm(forms.Form):
    accounts = CsvFileField(file_name=importing.ACCOUNTS, label="accounts.csv")
    products = CsvFileField(file_name=importing.PRODUCTS, label="products.csv")
    sales_teams = CsvFileField(file_name=importing.SALES_TEAMS, label="sales_teams.csv")
    sales_pipeline = CsvFileField(
        file_name=importing.SALES_PIPELINE, label="sales_pipeline.csv"
    )
    keep_good_rows = forms.BooleanField(
        required=False, label="Keep the good rows if some are rejected"
    )

    def files_by_name(self) -> dict[str, UploadedFile]:
        return {
            importing.ACCOUNTS: self.cleaned_data["accounts"],
            importing.PRODUCTS: self.cleaned_data["products"],
            importing.SALES_TEAMS: self.cleaned_data["sales_teams"],
            importing.SALES_PIPELINE: self.cleaned_data["sales_pipeline"],
        }
