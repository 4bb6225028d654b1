"""Every XForm we serve passes ODK Validate, the checker ODK ships (a Java program inside pyxform).

The XForm checked is the one ODK Collect downloads: the library form made into an XForm by
:func:`survey.domain.openrosa.xform`, with the "other, specify" boxes added for Collect. CI has
Java; without it these tests fail (they are never skipped), saying what to install.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import msgspec
import pytest
import pyxform

import forms
from survey.domain import openrosa
from survey.store.models import FormVersion
from tests.conftest import LIBRARY
from tests.survey.test_openrosa_submission import EVERY_TYPE_TOML

ODK_VALIDATE = Path(pyxform.__file__).parent / "validators" / "odk_validate" / "bin" / "ODK_Validate.jar"
LIBRARY_FILES = sorted(LIBRARY.glob("*.toml"))


def served(form: forms.Form) -> bytes:
    """The XForm bytes the server sends for a published version of ``form``."""
    definition = msgspec.json.encode(form).decode()
    version = FormVersion(
        form_id=form.id,
        version=form.version,
        definition=definition,
        hash=hashlib.sha256(definition.encode()).hexdigest(),
    )
    return openrosa.xform(version).data


def odk_validate(xform: bytes, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """ODK Validate's verdict on an XForm: exit 0 and "Xform is valid!" when it is."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("ODK Validate needs Java (17 or newer) on PATH: apt-get install openjdk-17-jre-headless")
    assert ODK_VALIDATE.is_file(), f"pyxform no longer ships ODK Validate at {ODK_VALIDATE}"
    path = tmp_path / "form.xml"
    path.write_bytes(xform)
    command = [java, "-Djava.awt.headless=true", "-jar", str(ODK_VALIDATE), str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=[p.stem for p in LIBRARY_FILES])
def test_every_library_form_passes_odk_validate(tmp_path: Path, path: Path) -> None:
    """The XForm of each library form, as Collect downloads it, is valid for ODK Validate."""
    result = odk_validate(served(forms.load(path)), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Xform is valid" in result.stdout + result.stderr


def test_the_every_type_form_passes_odk_validate(tmp_path: Path) -> None:
    """The form with every question type, groups and a counted repeat is valid for ODK Validate."""
    result = odk_validate(served(forms.loads(EVERY_TYPE_TOML)), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_odk_validate_rejects_a_broken_xform(tmp_path: Path) -> None:
    """The check can fail: an XForm calling a function XPath lacks is refused."""
    xform = served(forms.loads(EVERY_TYPE_TOML))
    broken = xform.replace(b'calculate=" /data/person/age  + 1"', b'calculate="no_such_function(1)"')
    assert broken != xform
    result = odk_validate(broken, tmp_path)
    assert result.returncode != 0
    assert "Invalid" in result.stdout + result.stderr
