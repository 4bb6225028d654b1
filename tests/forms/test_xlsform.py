"""XLSForm import and export: exact round trips, pyxform conversion, real instruments, bad workbooks."""

from __future__ import annotations

import io
import textwrap
import zipfile
from collections import Counter
from pathlib import Path

import msgspec
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from pyxform.xls2xform import convert
from strategies import forms

from forms.errors import DefinitionError
from forms.model import Form, Group, Likert, Repeat, SelectOne
from forms.xlsform import read_xlsform, write_xlsform

LIBRARY = Path(__file__).parents[2] / "forms" / "library"


def make_form(text: str) -> Form:
    """A form from inline TOML, decoded by the model alone (no compiler)."""
    return msgspec.toml.decode(textwrap.dedent(text).encode(), type=Form)


def workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    """An .xlsx whose sheets hold the given rows (the first row is the header)."""
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_rows(data: bytes, title: str) -> list[dict[str, object]]:
    """The rows of one sheet of a written workbook, as header → value."""
    sheet = openpyxl.load_workbook(io.BytesIO(data))[title]
    header, *rows = sheet.iter_rows(values_only=True)
    return [{h: v for h, v in zip(header, row, strict=True) if v is not None} for row in rows]


def leaves(questions: tuple) -> list:
    """Every question that is not a group or repeat, depth first."""
    found = []
    for q in questions:
        found.extend(leaves(q.questions) if isinstance(q, Group | Repeat) else [q])
    return found


def containers(questions: tuple) -> list:
    """Every group and repeat, depth first."""
    found = []
    for q in questions:
        if isinstance(q, Group | Repeat):
            found += [q, *containers(q.questions)]
    return found


def messages(problems: list) -> list[tuple[str, str]]:
    return [(p.where, p.message) for p in problems]


# ------------------------------------------------------------------------------------ inline forms

EVERY_TYPE = """
id = "every_type"
title = {zh = "全部题型", en = "Every type"}
version = "3"
population = "older people"
description = {zh = "说明", en = 'About "this" form'}

[[questions]]
type = "text"
name = "full_name"
label = {zh = "姓名", en = "Name"}
hint = {en = "As on the ID card"}
required = true
required_message = {zh = "必填", en = "Required"}
pii = true

[[questions]]
type = "integer"
name = "age"
label = {zh = "年龄", en = "Age"}
minimum = 0
maximum = 120
segment = true

[[questions]]
type = "decimal"
name = "income"
label = {zh = "收入", en = "Income"}
minimum = 0.5
constraint = ". != 99.5"
constraint_message = {en = "99.5 is a code, not an income"}

[[questions]]
type = "select_one"
name = "sex"
label = {zh = "性别", en = "Sex"}
choices = "sex"
appearance = "minimal"
segment = true

[[questions]]
type = "select_multiple"
name = "needs"
label = {zh = "需要", en = "Needs"}
choices = "needs"
constraint = "count-selected(.) <= 3"

[[questions]]
type = "likert"
name = "lonely"
label = {zh = "我感到孤独", en = "I feel lonely"}
choices = "agree"
scale = "ucla"

[[questions]]
type = "likert"
name = "close"
label = {zh = "我有亲近的人", en = "I have people close to me"}
choices = "agree"
scale = "ucla"
reverse = true
appearance = "horizontal"

[[questions]]
type = "rank"
name = "priorities"
label = {zh = "最需要的三项", en = "Top three needs"}
choices = "needs"
top = 3

[[questions]]
type = "date"
name = "visit_date"
label = {zh = "日期", en = "Date"}

[[questions]]
type = "time"
name = "visit_time"
label = {zh = "时间", en = "Time"}
default = "09:00"

[[questions]]
type = "geopoint"
name = "home"
label = {zh = "位置", en = "Location"}
pii = true

[[questions]]
type = "note"
name = "intro"
label = {zh = "谢谢", en = "Thank you"}

[[questions]]
type = "calculate"
name = "age_next_year"
calculation = "${age} + 1"

[[questions]]
type = "consent"
name = "agree_to_talk"
label = {zh = "您同意吗？", en = "Do you agree?"}
required = true

[[questions]]
type = "decimal"
name = "sample_weight"
label = {en = "Weight"}
weight = true
relevant = "${agree_to_talk} = 'yes'"

[[questions]]
type = "select_one"
name = "plain_agree"
label = {en = "A select_one that only looks like a likert item"}
choices = "agree"
appearance = "likert"

[choices]
sex = [
  {name = "male", label = {zh = "男", en = "Male"}},
  {name = "female", label = {zh = "女", en = "Female"}},
]
needs = [
  {name = "care", label = {zh = "照护", en = "Care"}},
  {name = "food", label = {zh = "食物", en = "Food"}},
  {name = "none", label = {zh = "都不需要", en = "None"}, exclusive = true},
  {name = "other", label = {zh = "其他", en = "Other"}, other = true},
]
agree = [
  {name = "1", label = {zh = "从不", en = "Never"}, value = 1},
  {name = "2", label = {zh = "有时", en = "Sometimes"}, value = 2},
  {name = "3", label = {zh = "经常", en = "Often"}, value = 3.5},
]
"""

NESTED = """
id = "household"
title = {zh = "入户探访"}
default_language = "zh"
languages = {zh = "中文"}

[[questions]]
type = "integer"
name = "size"
label = {zh = "几口人"}
minimum = 1

[[questions]]
type = "group"
name = "household"
label = {zh = "家庭"}
relevant = "${size} > 0"
appearance = "field-list"

[[questions.questions]]
type = "repeat"
name = "members"
label = {zh = "成员"}
repeat_count = "${size}"

[[questions.questions.questions]]
type = "text"
name = "member_name"
label = {zh = "姓名"}
pii = true

[[questions.questions.questions]]
type = "repeat"
name = "jobs"
label = {zh = "工作"}

[[questions.questions.questions.questions]]
type = "text"
name = "job"
label = {zh = "工作名称"}

[[questions.questions.questions]]
type = "group"
name = "health"
label = {zh = "健康"}

[[questions.questions.questions.questions]]
type = "select_one"
name = "chronic"
label = {zh = "慢性病"}
choices = "yes_no"

[[questions]]
type = "group"
name = "empty_section"
label = {zh = "空"}

[choices]
yes_no = [{name = "yes", label = {zh = "是"}}, {name = "no", label = {zh = "否"}}]
"""

CASCADE = """
id = "cascade"
title = {en = "Cascading selects"}
default_language = "en"
languages = {en = "English", zh = "中文"}

[[questions]]
type = "select_one"
name = "district"
label = {en = "District", zh = "区"}
choices = "districts"

[[questions]]
type = "select_one"
name = "village"
label = {en = "Village", zh = "村"}
choices = "villages"
choice_filter = "district = ${district}"

[[questions]]
type = "select_multiple"
name = "services"
label = {en = "Services"}
choices = "services"
choice_filter = "name != 'none'"

[choices]
districts = [{name = "1", label = {en = "Guicheng"}}, {name = "2", label = {en = "Xiqiao"}}]
villages = [
  {name = "a", label = {en = "A"}, filters = {district = "1"}},
  {name = "b", label = {en = "B"}, filters = {district = "2", kind = "rural"}},
]
services = [
  {name = "visits", label = {en = "Visits"}},
  {name = "none", label = {en = "None"}, exclusive = true},
  {name = "other", label = {en = "Other"}, other = true},
]
empty = []
"""

RANGES = """
id = "ranges"
title = {zh = "范围"}

[[questions]]
type = "integer"
name = "only_min"
label = {zh = "下限"}
minimum = -5

[[questions]]
type = "integer"
name = "only_max"
label = {zh = "上限"}
maximum = 10
constraint = ". != 7"

[[questions]]
type = "integer"
name = "both"
label = {zh = "两者"}
minimum = 1
maximum = 5

[[questions]]
type = "decimal"
name = "fraction"
label = {zh = "小数"}
minimum = 0.001
maximum = 1e6
constraint = ". != 0.5 or ${both} > 2"

[[questions]]
type = "integer"
name = "unbounded"
label = {zh = "无限制"}
constraint = ". > ${both}"
"""

INDICATORS = """
id = "loneliness"
title = {zh = "孤独感", en = "Loneliness"}

[[questions]]
type = "integer"
name = "ucla3_total"
label = {zh = "UCLA-3 总分", en = "UCLA-3 total"}
minimum = 3
maximum = 9

[[questions]]
type = "integer"
name = "age"
label = {zh = "年龄", en = "Age"}

[[indicators]]
name = "lonely"
label = {zh = "孤独", en = "Lonely"}
flag = "${ucla3_total} >= 6"
domain = "social connection"
bradshaw = ["felt", "normative"]
population = "${age} >= 60"

[[indicators.severity]]
level = 4
when = "${ucla3_total} >= 8"
label = {zh = "严重", en = "Severe"}

[[indicators.severity]]
level = 3
when = "${ucla3_total} >= 6"

[[indicators]]
name = "self_harm"
flag = "${ucla3_total} = 9"
safety = true
"""

INTERVIEW = """
id = "stakeholders"
title = {zh = "利益相关方访谈", en = "Stakeholder interview"}
kind = "interview"
default_language = "en"

[[topics]]
name = "needs"
label = {zh = "需求", en = "Needs"}
prompts = [{zh = "您看到的主要需求是什么？", en = "What needs do you see?"}, {en = "Anything else?"}]
probes = [{zh = "能举个例子吗？", en = "Can you give an example?"}]
minutes = 15
notes = {en = "Let them talk."}
codes = ["loneliness", "care"]

[[topics]]
name = "closing"
label = {en = "Closing"}

[[roster]]
type = "text"
name = "code"
label = {zh = "代号", en = "Code"}

[[roster]]
type = "select_one"
name = "role"
label = {zh = "身份", en = "Role"}
choices = "roles"
segment = true

[[roster]]
type = "consent"
name = "recorded"
label = {zh = "同意录音", en = "Agrees to recording"}

[[codebook]]
code = "loneliness"
label = {zh = "孤独", en = "Loneliness"}
definition = {en = "Feeling alone; few contacts."}
domain = "social connection"
keywords = ["孤单", "no one to talk to", "alone"]

[[codebook]]
code = "care"
label = {en = "Care"}
parent = "loneliness"

[choices]
roles = [{name = "teacher", label = {zh = "教师", en = "Teacher"}}, {name = "staff", label = {en = "Staff"}}]
"""

FOCUS_GROUP = """
id = "residents"
title = {zh = "居民焦点小组"}
kind = "focus_group"
default_language = "zh"
languages = {zh = "中文"}

[[questions]]
type = "integer"
name = "participants"
label = {zh = "人数"}

[[topics]]
name = "community"
label = {zh = "社区"}
prompts = [{zh = "社区里有什么变化？"}]
"""

INLINE = {
    "every type": EVERY_TYPE,
    "groups and nested repeats": NESTED,
    "choice filters": CASCADE,
    "ranges": RANGES,
    "indicators": INDICATORS,
    "interview": INTERVIEW,
    "focus group": FOCUS_GROUP,
}


class TestRoundTrip:
    @pytest.mark.parametrize("text", INLINE.values(), ids=INLINE.keys())
    def test_inline_forms_come_back_equal_without_warnings(self, text: str) -> None:
        """Writing a form and reading it back gives the same form and no warnings."""
        form = make_form(text)
        back, warnings = read_xlsform(write_xlsform(form))
        assert warnings == []
        assert back == form

    def test_consent_is_a_yes_no_select_one_marked_as_consent(self) -> None:
        """A consent question is written as select_one of an added yes/no list that reading removes."""
        data = write_xlsform(make_form(EVERY_TYPE))
        row = next(r for r in sheet_rows(data, "survey") if r["name"] == "agree_to_talk")
        assert (row["type"], row["tanfang_type"]) == ("select_one tanfang_consent", "consent")
        options = [r for r in sheet_rows(data, "choices") if r["list_name"] == "tanfang_consent"]
        assert [(o["name"], o["label::中文 (zh)"], o["label::English (en)"]) for o in options] == [
            ("yes", "是", "Yes"),
            ("no", "否", "No"),
        ]
        assert "tanfang_consent" not in read_xlsform(data)[0].choices

    def test_likert_is_a_select_one_with_the_likert_appearance_and_scores(self) -> None:
        """A likert item is written as select_one with appearance likert and its points' scores."""
        data = write_xlsform(make_form(EVERY_TYPE))
        rows = {r["name"]: r for r in sheet_rows(data, "survey")}
        assert (rows["lonely"]["type"], rows["lonely"]["appearance"]) == ("select_one agree", "likert")
        assert rows["close"]["appearance"] == "likert horizontal"
        assert "tanfang_type" not in rows["lonely"]
        assert rows["plain_agree"]["tanfang_type"] == "select_one"
        assert [r["score"] for r in sheet_rows(data, "choices") if r["list_name"] == "agree"] == [1, 2, 3.5]

    def test_ranges_are_enforced_through_the_constraint_column(self) -> None:
        """Minimum and maximum are written as a constraint prefix that ODK enforces, before the user's own."""
        rows = {r["name"]: r for r in sheet_rows(write_xlsform(make_form(RANGES)), "survey")}
        assert rows["only_min"]["constraint"] == ". >= -5"
        assert rows["only_max"]["constraint"] == ". <= 10 and (. != 7)"
        assert rows["both"]["constraint"] == ". >= 1 and . <= 5"
        assert rows["fraction"]["constraint"] == ". >= 0.001 and . <= 1000000 and (. != 0.5 or ${both} > 2)"
        assert rows["unbounded"]["constraint"] == ". > ${both}"

    def test_an_outline_without_questions_gets_a_placeholder_note(self) -> None:
        """A form with no survey questions is written with one note, which reading drops again."""
        form = make_form(INTERVIEW)
        data = write_xlsform(form)
        assert [(r["type"], r["tanfang_type"]) for r in sheet_rows(data, "survey")] == [
            ("note", "placeholder")
        ]
        assert read_xlsform(data)[0].questions == ()

    def test_metadata_lives_in_settings_and_the_tanfang_sheet(self) -> None:
        """Settings carry the default title, id, version and default language; the tanfang sheet the rest."""
        data = write_xlsform(make_form(EVERY_TYPE))
        assert sheet_rows(data, "settings") == [
            {
                "form_title": "全部题型",
                "form_id": "every_type",
                "version": "3",
                "default_language": "中文 (zh)",
            }
        ]
        assert [(r["key"], r.get("language"), r["value"]) for r in sheet_rows(data, "tanfang")] == [
            ("kind", None, "questionnaire"),
            ("population", None, "older people"),
            ("language", "zh", "中文"),
            ("language", "en", "English"),
            ("title", "en", "Every type"),
            ("description", "zh", "说明"),
            ("description", "en", 'About "this" form'),
        ]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(forms())
    def test_random_forms_round_trip_through_xlsform(self, form: Form) -> None:
        """Any valid form comes back from its XLSForm equal and without warnings."""
        back, warnings = read_xlsform(write_xlsform(form))
        assert warnings == []
        assert back == form

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(forms())
    def test_random_forms_round_trip_through_json(self, form: Form) -> None:
        """Any valid form comes back from JSON equal."""
        assert msgspec.json.decode(msgspec.json.encode(form), type=Form) == form

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(forms())
    def test_random_forms_round_trip_through_toml(self, form: Form) -> None:
        """Any valid form comes back from TOML equal."""
        assert msgspec.toml.decode(msgspec.toml.encode(form), type=Form) == form


# ------------------------------------------------------------------------------------------ pyxform

LIBRARY_FILES = sorted(LIBRARY.glob("*.toml"))


def converts(tmp_path: Path, form: Form) -> str:
    """The XForm pyxform makes from the form's export."""
    path = tmp_path / f"{form.id}.xlsx"
    path.write_bytes(write_xlsform(form))
    return convert(xlsform=path).xform


class TestPyxform:
    @pytest.mark.parametrize("text", INLINE.values(), ids=INLINE.keys())
    def test_inline_exports_convert(self, tmp_path: Path, text: str) -> None:
        """pyxform turns every inline form's export into an XForm."""
        assert "<h:html" in converts(tmp_path, make_form(text))

    @pytest.mark.parametrize("path", LIBRARY_FILES, ids=[p.stem for p in LIBRARY_FILES])
    def test_library_exports_convert(self, tmp_path: Path, path: Path) -> None:
        """pyxform turns every library form's export into an XForm."""
        form = msgspec.toml.decode(path.read_bytes(), type=Form)
        assert "<h:html" in converts(tmp_path, form)

    @pytest.mark.parametrize("path", LIBRARY_FILES, ids=[p.stem for p in LIBRARY_FILES])
    def test_library_forms_round_trip(self, path: Path) -> None:
        """Every library form comes back from its XLSForm equal and without warnings."""
        form = msgspec.toml.decode(path.read_bytes(), type=Form)
        assert read_xlsform(write_xlsform(form)) == (form, [])


# ------------------------------------------------------------------------------- foreign workbooks

SETTINGS = [["form_title", "form_id"], ["T", "t"]]


def read_survey(rows: list[list[object]], choices: list[list[object]] | None = None, **extra: list) -> tuple:
    """A form (and warnings) from survey rows, optional choices and other sheets."""
    sheets: dict[str, list[list[object]]] = {"survey": rows, "settings": SETTINGS}
    if choices is not None:
        sheets["choices"] = choices
    sheets.update(extra)
    return read_xlsform(workbook(sheets))


class TestImport:
    def test_a_plain_label_column_is_in_the_settings_default_language(self) -> None:
        """A label column without a language holds the default language that settings name."""
        rows = [["type", "name", "label", "label::French (fr)"], ["text", "a", "Name", "Nom"]]
        settings = [["form_id", "default_language"], ["t", "English (en)"]]
        form, _ = read_xlsform(workbook({"survey": rows, "settings": settings}))
        assert form.questions[0].label == {"en": "Name", "fr": "Nom"}
        assert (form.languages, form.default_language) == ({"en": "English", "fr": "French"}, "en")

    def test_a_plain_label_column_without_settings_is_the_default_code(self) -> None:
        """Without a default_language setting a plain label column is the language "default"."""
        form, _ = read_survey([["type", "name", "label"], ["text", "a", "Name"]])
        assert (form.questions[0].label, form.languages) == ({"default": "Name"}, {"default": "default"})

    def test_a_language_without_a_code_is_its_own_code(self) -> None:
        """``label::english`` is the language code ``english``, named as written."""
        form, _ = read_survey([["type", "name", "label::english"], ["text", "a", "Name"]])
        assert (form.questions[0].label, form.languages) == ({"english": "Name"}, {"english": "english"})

    def test_gps_and_spaced_group_types_are_understood(self) -> None:
        """``gps`` is a geopoint and ``begin group``/``end group`` nest like begin_group/end_group."""
        rows = [
            ["type", "name", "label"],
            ["begin group", "g", "G"],
            ["gps", "where", "Where"],
            ["end group", "", ""],
        ]
        form, warnings = read_survey(rows)
        assert warnings == []
        assert type(form.questions[0].questions[0]).__name__ == "Geopoint"

    def test_or_other_adds_an_other_choice(self) -> None:
        """``select_one list or_other`` adds an "other, specify" option to a list that lacks one."""
        rows = [
            ["type", "name", "label"],
            ["select_one yn or_other", "a", "A"],
            ["select_multiple yn2 or_other", "b", "B"],
        ]
        choices = [
            ["list_name", "name", "label"],
            ["yn", "yes", "Yes"],
            ["yn2", "x", "X"],
            ["yn2", "other", "Else"],
        ]
        form, _ = read_survey(rows, choices)
        assert [(c.name, c.label, c.other) for c in form.choices["yn"]] == [
            ("yes", {"default": "Yes"}, False),
            ("other", {"default": "Other"}, True),
        ]
        assert [(c.name, c.label, c.other) for c in form.choices["yn2"]][-1] == (
            "other",
            {"default": "Else"},
            True,
        )

    def test_required_accepts_yes_no_aliases_and_expressions(self) -> None:
        """``required`` reads yes/true()/TRUE/True as true, no/false()/blank as false, anything else as an expression."""
        values = ["yes", "true()", "TRUE", True, "no", "false()", False, None, "${a} > 1"]
        rows = [["type", "name", "label", "required"], ["integer", "a", "A", None]]
        rows += [["text", f"q{i}", "Q", v] for i, v in enumerate(values)]
        form, _ = read_survey(rows)
        assert [q.required for q in form.questions[1:]] == [True] * 4 + [False] * 4 + ["${a} > 1"]

    def test_likert_needs_the_appearance_and_a_score_for_every_option(self) -> None:
        """A select_one is a likert item only with the likert appearance and a score on every option."""
        rows = [
            ["type", "name", "label", "appearance"],
            ["select_one s", "a", "A", "likert"],
            ["select_one half", "b", "B", "likert"],
            ["select_one s", "c", "C", "horizontal likert"],
        ]
        choices = [
            ["list_name", "name", "label", "score"],
            ["s", "1", "One", 1],
            ["s", "2", "Two", 2],
            ["half", "1", "One", 1],
            ["half", "2", "Two", None],
        ]
        a, b, c = read_survey(rows, choices)[0].questions
        assert (type(a), a.appearance) == (Likert, None)
        assert (type(b), b.appearance) == (SelectOne, "likert")
        assert (type(c), c.appearance) == (Likert, "horizontal likert")

    def test_filter_columns_hold_text_even_when_excel_wrote_numbers(self) -> None:
        """Every other choices column is a filter, and a number such as 1.0 comes back as "1"."""
        choices = [["list_name", "name", "label", "district"], ["v", 1.0, "A", 1.0], ["v", 2, "B", 2.5]]
        rows = [["type", "name", "label", "choice_filter"], ["select_one v", "a", "A", "district = '1'"]]
        form, _ = read_survey(rows, choices)
        assert [(c.name, c.filters) for c in form.choices["v"]] == [
            ("1", {"district": "1"}),
            ("2", {"district": "2.5"}),
        ]

    def test_unknown_columns_and_sheets_are_warned_once(self) -> None:
        """An unknown column or sheet gives one warning naming it, however many rows it has."""
        rows = [
            ["type", "name", "label", "priority", None],
            ["text", "a", "A", 1, None],
            ["text", "b", "B", 2, "x"],
        ]
        choices = [["list_name", "name", "label", "media::image"], ["l", "x", "X", "x.png"]]
        _, warnings = read_survey(rows, choices, README=[["about"], ["text"]])
        assert messages(warnings) == [
            ("README sheet", "sheet is not part of XLSForm or Tanfang; ignored"),
            ("choices sheet, column media::image", "column is not part of XLSForm or Tanfang; ignored"),
            ("survey sheet, column priority", "column is not part of XLSForm or Tanfang; ignored"),
            ("survey sheet, column E", "column has no header; its values are ignored"),
        ]

    def test_unsupported_types_are_skipped_with_a_warning(self) -> None:
        """An unsupported question type is skipped with a warning naming its row, and the rest imports."""
        rows = [
            ["type", "name", "label", "parameters"],
            ["start", "start", None, None],
            ["range", "r", "R", "start=1 end=5"],
            ["text", "a", "A", None],
            ["image", "photo", "Photo", None],
        ]
        form, warnings = read_survey(rows)
        assert [q.name for q in form.questions] == ["a"]
        assert messages(warnings) == [
            ("survey sheet, row 2, column type", "question type 'start' is not supported; row skipped"),
            ("survey sheet, row 3, column type", "question type 'range' is not supported; row skipped"),
            ("survey sheet, row 5, column type", "question type 'image' is not supported; row skipped"),
        ]

    def test_expressions_we_cannot_run_are_dropped_with_their_column(self) -> None:
        """An expression that does not parse, calls an unknown function or reads a skipped question is dropped."""
        rows = [
            ["type", "name", "label", "relevant", "calculation"],
            ["today", "d", None, None, None],
            ["integer", "a", "A", "${x} > 1e5", None],
            ["text", "b", "B", "once(${a})", None],
            ["calculate", "c", None, None, "${d}"],
            ["text", "e", "E", "${c} = 1", None],
        ]
        form, warnings = read_survey(rows)
        assert [(q.name, q.relevant) for q in form.questions] == [("a", None), ("b", None), ("e", None)]
        assert messages(warnings)[1:] == [
            (
                "survey sheet, row 3, column relevant",
                "cannot use '${x} > 1e5': bad number '1e5' at column 8; the relevant is dropped",
            ),
            (
                "survey sheet, row 4, column relevant",
                "cannot use 'once(${a})': unknown function 'once' at column 1; the relevant is dropped",
            ),
            (
                "survey sheet, row 5, column calculation",
                "cannot use '${d}': ${d} was skipped; the calculation is dropped",
            ),
            ("survey sheet, row 5, column type", "calculate has no calculation; row skipped"),
            (
                "survey sheet, row 6, column relevant",
                "cannot use '${c} = 1': ${c} was skipped; the relevant is dropped",
            ),
        ]

    def test_cells_a_type_has_no_place_for_are_warned(self) -> None:
        """A cell in a column the question's type lacks (``top`` on a text) is ignored with a warning."""
        rows = [
            ["type", "name", "label", "top", "required"],
            ["text", "a", "A", 3, None],
            ["note", "n", "N", None, "yes"],
        ]
        _, warnings = read_survey(rows)
        assert messages(warnings) == [
            ("survey sheet, row 2, column top", "a text has no top; ignored"),
            ("survey sheet, row 3, column required", "a note has no answer to require; required is dropped"),
        ]

    def test_a_row_with_text_but_no_type_is_skipped_with_a_warning(self) -> None:
        """A row with a label but neither type nor name is skipped with a warning naming the row."""
        rows = [["type", "name", "label"], ["text", "a", "A"], [None, None, "Section heading"]]
        form, warnings = read_survey(rows)
        assert len(form.questions) == 1
        assert messages(warnings) == [
            ("survey sheet, row 3, column type", "row has text but no type; skipped")
        ]


# ----------------------------------------------------------------------------------- bad workbooks


def errors_of(data: bytes) -> list[tuple[str, str]]:
    """The (where, message) of every error reading the workbook raises."""
    with pytest.raises(DefinitionError) as caught:
        read_xlsform(data)
    return messages(list(caught.value.errors))


class TestBadWorkbooks:
    def test_random_bytes_are_not_a_workbook(self) -> None:
        """Bytes that are not a zip file are refused as not an .xlsx workbook."""
        [(where, message)] = errors_of(b"\x00\x01 definitely not a spreadsheet")
        assert where == "workbook"
        assert message.startswith("not an .xlsx workbook: ")

    def test_a_zip_that_is_not_a_workbook_is_refused(self) -> None:
        """A zip archive without a workbook inside is refused as not an .xlsx workbook."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("hello.txt", "hi")
        [(where, message)] = errors_of(out.getvalue())
        assert where == "workbook"
        assert message.startswith("not an .xlsx workbook: ")

    def test_a_workbook_without_a_survey_sheet_is_refused(self) -> None:
        """A workbook with no survey sheet is refused."""
        assert errors_of(workbook({"choices": [["list_name", "name"]]})) == [
            ("survey sheet", "the workbook has no survey sheet")
        ]

    def test_an_empty_survey_sheet_is_refused(self) -> None:
        """A survey sheet with no header, or a header but no rows, is refused."""
        assert errors_of(workbook({"survey": []})) == [("survey sheet", "the survey sheet is empty")]
        assert errors_of(workbook({"survey": [["type", "name"]]})) == [("survey sheet", "no questions")]

    def test_type_and_name_columns_are_required(self) -> None:
        """A survey sheet without a type or name column is refused, naming the missing column."""
        assert errors_of(workbook({"survey": [["kind", "name"], ["text", "a"]]})) == [
            ("survey sheet", "no type column")
        ]
        assert errors_of(workbook({"survey": [["type", "label"], ["text", "A"]]})) == [
            ("survey sheet", "no name column")
        ]

    def test_duplicate_columns_name_both_cells(self) -> None:
        """Two columns with the same header are refused, naming both header cells."""
        rows = [["type", "name", "label", "relevant", "relevant"], ["text", "a", "A", None, None]]
        assert errors_of(workbook({"survey": rows})) == [
            ("survey sheet, column relevant", "duplicate column: cells D1 and E1 both name relevant")
        ]

    def test_a_missing_choice_list_is_refused(self) -> None:
        """A select naming a list the choices sheet lacks is refused at its type cell."""
        rows = [["type", "name", "label"], ["select_one nope", "a", "A"]]
        assert errors_of(workbook({"survey": rows})) == [
            ("survey sheet, row 2, column type", "choice list 'nope' is not in the choices sheet")
        ]

    def test_unmatched_begin_and_end_rows_are_refused(self) -> None:
        """An end without a begin, an end of the wrong kind and a begin never closed are each refused."""
        rows = [
            ["type", "name", "label"],
            ["end_group", None, None],
            ["begin_group", "g", "G"],
            ["end_repeat", None, None],
            ["begin_repeat", "r", "R"],
            ["text", "a", "A"],
        ]
        assert errors_of(workbook({"survey": rows})) == [
            ("survey sheet, row 2, column type", "end_group has no matching begin_group"),
            ("survey sheet, row 4, column type", "end_repeat closes the begin_group of row 3"),
            ("survey sheet, row 5, column type", "begin_repeat 'r' has no matching end"),
        ]

    def test_an_invalid_name_is_refused(self) -> None:
        """A question name that is not an XML name is refused at its name cell."""
        rows = [["type", "name", "label"], ["text", "1st question", "A"]]
        [(where, message)] = errors_of(workbook({"survey": rows}))
        assert where == "survey sheet, row 2, column name"
        assert "'1st question' is not a valid name" in message

    def test_a_name_without_a_type_is_refused(self) -> None:
        """A row that names a question but gives no type is refused."""
        rows = [["type", "name", "label"], [None, "a", "A"]]
        assert errors_of(workbook({"survey": rows})) == [
            ("survey sheet, row 2, column type", "row names 'a' but has no type")
        ]

    def test_an_invalid_form_id_is_refused(self) -> None:
        """A form_id that is not an XML name is refused at its settings cell."""
        sheets = {
            "survey": [["type", "name", "label"], ["text", "a", "A"]],
            "settings": [["form_id"], ["my form"]],
        }
        assert errors_of(workbook(sheets)) == [
            ("settings sheet, row 2, column form_id", "'my form' is not a valid name")
        ]

    def test_problems_carry_the_given_source(self) -> None:
        """Every problem names the source it was read from."""
        with pytest.raises(DefinitionError) as caught:
            read_xlsform(workbook({"survey": []}), "uploads/form.xlsx")
        assert {p.source for p in caught.value.problems} == {"uploads/form.xlsx"}

    def test_a_filter_column_with_an_xlsform_name_cannot_be_written(self) -> None:
        """A choice filter named like an XLSForm choices column (``label``) is refused on export."""
        form = make_form("""
            id = "f"
            title = {zh = "过滤"}
            [choices]
            l = [{name = "a", filters = {label = "x"}}]
        """)
        with pytest.raises(ValueError, match="'label' cannot be written"):
            write_xlsform(form)

    def test_cells_failing_the_models_checks_are_refused(self) -> None:
        """A value the model rejects is refused at its cell: a bad flag, a non-number, minimum above maximum."""
        rows = [
            ["type", "name", "label", "pii", "minimum", "maximum"],
            ["text", "a", "A", "maybe", None, None],
            ["integer", "b", "B", None, "ten", None],
            ["integer", "c", "C", None, 5, 1],
        ]
        assert errors_of(workbook({"survey": rows})) == [
            ("survey sheet, row 2, column pii", "expected yes or blank, got 'maybe'"),
            ("survey sheet, row 3, column minimum", "expected a whole number, got 'ten'"),
            ("survey sheet, row 4, column minimum", "minimum is larger than maximum"),
        ]


# --------------------------------------------------------------------------------- real instruments

UNSUPPORTED = "is not supported; row skipped"
NOTE_REQUIRED = "a note has no answer to require; required is dropped"


def kinds(form: Form) -> Counter[str]:
    """How many leaf questions of each type the form keeps."""
    return Counter(type(q).__struct_config__.tag for q in leaves(form.questions))


class TestRealInstruments:
    def test_talafar_water_survey_imports(self, shared_data: Path) -> None:
        """REACH's Tal Afar water survey imports in English and Arabic with its metadata types skipped."""
        form, warnings = read_xlsform(shared_data / "reach_iraq_talafar" / "form.xlsx")
        assert kinds(form) == {
            "select_one": 89,
            "integer": 55,
            "text": 43,
            "select_multiple": 24,
            "note": 4,
            "date": 1,
            "decimal": 1,
            "geopoint": 1,
        }
        assert Counter(type(q).__name__ for q in containers(form.questions)) == {"Group": 6}
        assert (form.languages, form.default_language) == ({"en": "English", "ar": "Arabic"}, "en")
        assert len(form.choices) == 47
        assert [q.choice_filter for q in leaves(form.questions) if getattr(q, "choice_filter", None)] == [
            "filter=${neighbourhood}"
        ]
        assert messages(warnings) == [
            ("survey sheet, row 2, column type", f"question type 'start' {UNSUPPORTED}"),
            ("survey sheet, row 3, column type", f"question type 'end' {UNSUPPORTED}"),
            ("survey sheet, row 4, column type", f"question type 'today' {UNSUPPORTED}"),
            ("survey sheet, row 5, column type", f"question type 'audit' {UNSUPPORTED}"),
            ("survey sheet, row 6, column type", f"question type 'deviceid' {UNSUPPORTED}"),
            ("survey sheet, row 113, column required", NOTE_REQUIRED),
            ("survey sheet, row 162, column required", NOTE_REQUIRED),
        ]

    def test_msna_2024_tool_imports(self, shared_data: Path) -> None:
        """REACH's 2024 MSNA tool imports with its four repeats, repeat counts and cascading selects."""
        path = shared_data / "reach_msna2024" / "REACH_2024_MSNA-kobo-tool_draft_v11.xlsx"
        form, warnings = read_xlsform(path)
        assert kinds(form) == {
            "select_one": 94,
            "integer": 61,
            "calculate": 46,
            "text": 25,
            "note": 24,
            "select_multiple": 19,
            "geopoint": 1,
        }
        repeats = [q for q in containers(form.questions) if isinstance(q, Repeat)]
        assert [(r.name, r.repeat_count) for r in repeats] == [
            ("roster", "${hh_size}"),
            ("edu_ind", "${hh_size}"),
            ("health_ind", "${hh_size}"),
            ("nut_ind", "${hh_size}"),
        ]
        assert len(containers(form.questions)) == 19 + 4
        assert (form.languages, form.default_language) == (
            {"english": "english", "french": "french"},
            "english",
        )
        assert len(form.choices) == 58
        filtered = [q.choice_filter for q in leaves(form.questions) if getattr(q, "choice_filter", None)]
        assert filtered == [
            "filter_admin1=${admin1}",
            "filter_admin2=${admin2}",
            "filter_admin3=${admin3}",
            "filter_admin3=${admin3}",
        ]
        columns = ["priority", "level", "theme", "module", "indicator", "index"]
        assert messages(warnings) == [
            ("README sheet", "sheet is not part of XLSForm or Tanfang; ignored"),
            ("backup expenditure sheet", "sheet is not part of XLSForm or Tanfang; ignored"),
            *[
                (f"survey sheet, column {c}", "column is not part of XLSForm or Tanfang; ignored")
                for c in columns
            ],
            ("survey sheet, row 2, column type", f"question type 'audit' {UNSUPPORTED}"),
            ("survey sheet, row 3, column type", f"question type 'start' {UNSUPPORTED}"),
            ("survey sheet, row 4, column type", f"question type 'end' {UNSUPPORTED}"),
            ("survey sheet, row 5, column type", f"question type 'today' {UNSUPPORTED}"),
            ("survey sheet, row 6, column type", f"question type 'deviceid' {UNSUPPORTED}"),
            ("survey sheet, row 41, column required", NOTE_REQUIRED),
            ("survey sheet, row 42, column required", NOTE_REQUIRED),
            ("survey sheet, row 259, column required", NOTE_REQUIRED),
            *[
                (
                    f"survey sheet, row {n}, column required",
                    "cannot use 'T': bare name 'T' at column 1 (write ${T} for a question); the required is dropped",
                )
                for n in (314, 315)
            ],
        ]

    def test_analysistools_template_imports(self, shared_data: Path) -> None:
        """The analysistools MSNA template imports, warning about its label-only rows such as row 66."""
        path = shared_data / "reach_msna_template" / "analysistools_MSNA_template_tool.xlsx"
        form, warnings = read_xlsform(path)
        assert kinds(form) == {
            "select_one": 98,
            "integer": 63,
            "text": 38,
            "calculate": 37,
            "select_multiple": 16,
            "note": 12,
        }
        assert Counter(type(q).__name__ for q in containers(form.questions)) == {"Group": 20, "Repeat": 1}
        assert (form.languages, form.default_language) == (
            {"english": "english", "default": "default"},
            "english",
        )
        assert len(form.choices) == 40
        assert messages(warnings) == [
            ("survey sheet, column Sector", "column is not part of XLSForm or Tanfang; ignored"),
            ("survey sheet, column HH Indicator", "column is not part of XLSForm or Tanfang; ignored"),
            ("survey sheet, row 2, column type", f"question type 'audit' {UNSUPPORTED}"),
            ("survey sheet, row 28, column required", NOTE_REQUIRED),
            *[
                (f"survey sheet, row {n}, column type", "row has text but no type; skipped")
                for n in (66, 69, 79, 91, 102)
            ],
            ("survey sheet, row 180, column required", NOTE_REQUIRED),
            ("survey sheet, row 181, column required", NOTE_REQUIRED),
        ]

    def test_reexported_instruments_convert_with_pyxform(self, shared_data: Path, tmp_path: Path) -> None:
        """An imported instrument, exported again, still converts to an XForm."""
        for path in sorted(shared_data.glob("*/*.xlsx")):
            if "dummy" not in path.name:
                assert "<h:html" in converts(tmp_path, read_xlsform(path)[0]), path.name

    def test_real_instruments_survive_our_own_round_trip(self, shared_data: Path) -> None:
        """An imported instrument, written and read again, is the same form without new warnings."""
        for path in sorted(shared_data.glob("*/*.xlsx")):
            if "dummy" in path.name:
                continue
            form, _ = read_xlsform(path)
            assert read_xlsform(write_xlsform(form)) == (form, []), path.name
