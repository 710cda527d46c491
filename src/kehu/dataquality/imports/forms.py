"""Forms of the import pages: the upload and the column mapping."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.dataquality.imports.mapping import Target
from kehu.dataquality.imports.models import ImportMode
from kehu.dataquality.imports.reading import SUPPORTED_SUFFIXES


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("Excel (.xlsx) or CSV (UTF-8 or GBK), first row = column names."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SUPPORTED_SUFFIXES)}),
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("Mode"), choices=ImportMode.choices, initial=ImportMode.CREATE
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in SUPPORTED_SUFFIXES:
            raise forms.ValidationError(
                _("Only .xlsx and .csv files can be imported, not %(name)s.")
                % {"name": upload.name}
            )
        if upload.size > settings.KEHU_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)d MB.")
                % {"limit": settings.KEHU_IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        if not upload.size:
            raise forms.ValidationError(_("The file is empty."))
        return upload


class MappingForm(forms.Form):
    """One drop-down per column of the file: which field it fills, or "do not import"."""

    mode = forms.ChoiceField(label=gettext_lazy("Mode"), choices=ImportMode.choices)

    def __init__(self, *args, headers: list[str], targets: list[Target], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = [("", _("— do not import —"))] + [
            (t.key, f"{t.label} *" if t.required else str(t.label)) for t in targets
        ]
        for index, header in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False
            )

    def column_fields(self):
        return [self[f"column_{index}"] for index in range(len(self.headers))]

    def mapping(self) -> dict[str, str]:
        return {
            header: self.cleaned_data[f"column_{index}"]
            for index, header in enumerate(self.headers)
            if self.cleaned_data.get(f"column_{index}")
        }

    @staticmethod
    def initial_for(headers: list[str], mapping: dict[str, str], mode: str) -> dict:
        initial = {f"column_{i}": mapping.get(h, "") for i, h in enumerate(headers)}
        initial["mode"] = mode
        return initial
