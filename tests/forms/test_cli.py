"""The ``survey forms`` commands, run as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import forms

ROOT = Path(__file__).resolve().parents[2]


def survey(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the ``survey`` command line in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "survey.cli", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_library_checks_clean() -> None:
    """`survey forms check forms/library/*.toml` exits 0 and prints nothing."""
    library = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "forms" / "library").glob("*.toml"))
    assert len(library) >= 8
    done = survey("forms", "check", *library)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_broken_files_print_path_where_problem(tmp_path: Path) -> None:
    """Broken files make the check print one `PATH: WHERE: PROBLEM` line per problem and exit 1."""
    syntax = tmp_path / "syntax.toml"
    syntax.write_text('id = "x"\ntitle = {zh = "x"\n', encoding="utf-8")
    logic = tmp_path / "logic.toml"
    logic.write_text(
        'id = "x"\ntitle = {zh = "x"}\n[[questions]]\ntype = "text"\nname = "a"\nrelevant = "${b} = 1"\n',
        encoding="utf-8",
    )
    good = tmp_path / "good.toml"
    good.write_text(
        'id = "x"\ntitle = {zh = "x"}\n[[questions]]\ntype = "text"\nname = "a"\n', encoding="utf-8"
    )
    done = survey("forms", "check", str(syntax), str(logic), str(good))
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"{syntax}: line 2, column 18: Unclosed inline table",
        f"{logic}: question a, relevant: unknown question ${{b}} in '${{b}} = 1'",
    ]


def test_unknown_extension_and_missing_file(tmp_path: Path) -> None:
    """A file of an unknown kind or one that does not exist is a problem, not a crash."""
    done = survey("forms", "check", str(tmp_path / "form.docx"), str(tmp_path / "gone.toml"))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].endswith("form.docx: file: unknown form format '.docx' (use .toml, .json or .xlsx)")
    assert "gone.toml: file:" in lines[1]


def test_export_then_import_gives_the_same_form(tmp_path: Path) -> None:
    """export-xlsform then import-xlsform turns a library form back into the same form."""
    source = ROOT / "forms" / "library" / "household_visit.toml"
    xlsx = tmp_path / "household.xlsx"
    back = tmp_path / "household.toml"
    assert survey("forms", "export-xlsform", str(source), "-o", str(xlsx)).returncode == 0
    done = survey("forms", "import-xlsform", str(xlsx), "-o", str(back))
    assert done.returncode == 0, done.stdout + done.stderr
    assert forms.load(back) == forms.load(source)


def test_import_reports_what_it_cannot_carry(tmp_path: Path, shared_data: Path) -> None:
    """Importing a real Kobo form writes the TOML and lists unsupported parts as warnings on stderr."""
    out = tmp_path / "talafar.toml"
    done = survey(
        "forms", "import-xlsform", str(shared_data / "reach_iraq_talafar" / "form.xlsx"), "-o", str(out)
    )
    assert done.returncode == 0, done.stdout
    assert "survey sheet, row" in done.stderr
    assert "warning:" in done.stderr
    assert forms.load(out).id
