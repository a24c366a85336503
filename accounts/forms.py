from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q

from accounts import importing
from accounts.currency_codes import MOST_MINOR_DIGITS, amount_kept, decimals_given
from accounts.day_text import DAY_FORMAT_HELP, DayTextError, day_from_text
from accounts.models import AccountTeamMember, Opportunity, Product, User
from accounts.numbers import zero_unsigned
from accounts.services import ACCOUNT_RENAME_REFUSED

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


class PersonChoiceField(forms.ModelChoiceField):
    """A choice of users, each shown by name."""

    def label_from_instance(self, obj: Any) -> str:
        return cast(User, obj).display_name


class DayField(forms.DateField):
    """A date typed as YYYY-MM-DD; one with slashes is refused, never guessed."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", DAY_FORMAT_HELP)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value
        try:
            return day_from_text(str(value))
        except DayTextError as error:
            raise forms.ValidationError(error.message, code="invalid") from error


MISSING_VERSION = (
    "This form is missing its version, so nothing was saved: reload the deal "
    "and make your change again. The values you typed are kept below."
)

MISSING_KEY = (
    "This form is missing its one-time key, so nothing was saved: reload the "
    "New deal page and add the deal again. The values you typed are kept below."
)

KEY_USED_ELSEWHERE = (
    "This form's one-time key already added a deal to another account, so "
    "nothing was saved: reload the New deal page and add the deal again. The "
    "values you typed are kept below."
)


class DealForm(forms.Form):
    """A deal's values as a person edits them; the service checks the rules.

    The choices are the catalogue and the account's team, each with the
    deal's current product or owner, so an imported value stays choosable.
    """

    # Blank is a deal without a name, as one added by hand starts.
    name = forms.CharField(max_length=200, required=False)
    product = forms.ModelChoiceField(queryset=Product.objects.none())
    stage = forms.ChoiceField(choices=Opportunity.Stage.choices)
    # No digit limit of its own: the deal's field says what is too large,
    # in the words the API and the import use.
    # Nor a decimal limit: the deal refuses more decimals than its currency
    # has (12.345 KWD is kept, 12.345 USD refused).
    close_value = forms.DecimalField(label="Amount", required=False)
    currency = forms.CharField(max_length=3)
    engaged_on = DayField(label="Engaged on", required=False)
    closed_on = DayField(label="Close date", required=False)
    owner = PersonChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody"
    )
    # The deal's ETag when the form was shown: a stale form is refused.
    version = forms.CharField(
        widget=forms.HiddenInput, error_messages={"required": MISSING_VERSION}
    )
    # A new deal's form carries a one-time key instead: sent twice, it adds
    # one deal.
    creation_key = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"required": MISSING_KEY, "invalid": MISSING_KEY},
    )

    def __init__(self, *args: Any, deal: Opportunity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = cast(dict[str, forms.Field], self.fields)
        product = cast(forms.ModelChoiceField, fields["product"])
        product.queryset = Product.objects.filter(
            Q(is_placeholder=False) | Q(pk=deal.product_id)
        ).order_by("name", "pk")
        owner = cast(forms.ModelChoiceField, fields["owner"])
        # A subquery, not a join: one row per person whatever their other
        # accounts.
        team = AccountTeamMember.objects.filter(account_id=cast(int, deal.account_id))
        owner.queryset = User.objects.filter(
            Q(pk__in=team.values("user_id")) | Q(pk=deal.owner_id or 0)
        ).order_by("first_name", "last_name", "username", "pk")
        if deal.pk is None:
            # A new deal has no version a stale form could miss.
            del fields["version"]
        else:
            del fields["creation_key"]

    def clean_close_value(self) -> Decimal | None:
        # Read back to the cent, so "48000" and "48000.00" are one value
        # and an unchanged amount is not recorded as an edit.
        value = self.cleaned_data["close_value"]
        if value is None:
            return None
        try:
            if decimals_given(value) > MOST_MINOR_DIGITS:
                # Never rounded: the deal refuses it with its reason.
                return value
            return zero_unsigned(amount_kept(value))
        except InvalidOperation:
            # Too large to round; the deal refuses it with its reason.
            return value

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).strip().upper()

    @property
    def values(self) -> dict[str, Any]:
        """Return the deal's fields as cleaned, without the form's own keys.

        A form without a name field at all (a page opened before the name
        could be changed, then sent) leaves the name as it is, not blank.
        """
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("version", "creation_key")
            and (name != "name" or name in self.data)
        }

    @property
    def hidden_errors(self) -> list[str]:
        """Return why the form's hidden fields were refused, to say at the top."""
        return [str(error) for field in self.hidden_fields() for error in field.errors]


MISSING_ACCOUNT_VERSION = (
    "This form is missing its version, so nothing was saved: reload the "
    "account and make your change again. The values you typed are kept below."
)


class AccountForm(forms.Form):
    """An account's name and firmographics as a person edits them.

    The bounds are the API's; the service checks the rest (a name another
    account has, a currency without a revenue) and says why by field.
    """

    name = forms.CharField(max_length=200)
    sector = forms.CharField(max_length=100, required=False)
    country = forms.CharField(max_length=100, required=False)
    year_established = forms.IntegerField(
        label="Established", min_value=1800, max_value=2100, required=False
    )
    employees = forms.IntegerField(min_value=0, max_value=10_000_000, required=False)
    # No digit limit of its own: the account's field says what is too large.
    annual_revenue = forms.DecimalField(
        label="Company revenue",
        min_value=0,
        required=False,
        help_text="The amount exactly as the company reports it.",
    )
    annual_revenue_currency = forms.CharField(
        label="Revenue currency",
        max_length=3,
        required=False,
        help_text="Its ISO code, such as USD or EUR.",
    )
    # The account's ETag when the form was shown: a stale form is refused.
    version = forms.CharField(
        widget=forms.HiddenInput, error_messages={"required": MISSING_ACCOUNT_VERSION}
    )

    def __init__(self, *args: Any, can_rename: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_rename:
            # A disabled field keeps the stored name whatever is posted.
            self.fields["name"].disabled = True
            self.fields["name"].help_text = ACCOUNT_RENAME_REFUSED

    def clean_annual_revenue_currency(self) -> str:
        return str(self.cleaned_data["annual_revenue_currency"]).strip().upper()

    @property
    def values(self) -> dict[str, Any]:
        """Return the account's fields as cleaned, without the form's version."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name != "version"
        }

    @property
    def hidden_errors(self) -> list[str]:
        """Return why the form's hidden fields were refused, to say at the top."""
        return [str(error) for field in self.hidden_fields() for error in field.errors]
