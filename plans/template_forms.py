from django import forms


class RevisionForm(forms.Form):
    """The template revision the page showed; an older one is refused."""

    revision = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=150)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    is_active = forms.BooleanField(
        label="Offer it for new pursuits", required=False, initial=True
    )


class TemplateEditForm(TemplateForm, RevisionForm):
    pass


class StageForm(RevisionForm):
    name = forms.CharField(max_length=100)
    our_activities = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    exit_criteria = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    buyer_step = forms.CharField(label="Buyer's step", max_length=200, required=False)


class CheckpointForm(RevisionForm):
    description = forms.CharField(label="Checkpoint", max_length=300)
    required = forms.BooleanField(label="Required to leave the stage", required=False)
