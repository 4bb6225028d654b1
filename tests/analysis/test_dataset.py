"""Reading exports into columns: headers, select_multiple layouts, repeats, not asked versus missing."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.dataset import ANSWERED, MISSING, NOT_ASKED, Categorical, DataError, Dataset, Multiple, Numeric
from tests.analysis.analysishelpers import make_form, write_csv, write_xlsx

FORM = """
[[questions]]
type = "select_one"
name = "sex"
choices = "sex"
segment = true

[[questions]]
type = "integer"
name = "age"

[[questions]]
type = "group"
name = "care"
relevant = "${age} >= 60"

[[questions.questions]]
type = "select_multiple"
name = "needs"
choices = "needs"

[[questions.questions]]
type = "select_one"
name = "lonely"
choices = "yn"
relevant = "selected(${needs}, 'company')"

[[choices.sex]]
name = "f"
[[choices.sex]]
name = "m"

[[choices.needs]]
name = "meals"
[[choices.needs]]
name = "company"
[[choices.needs]]
name = "none"
exclusive = true

[[choices.yn]]
name = "yes"
[[choices.yn]]
name = "no"
"""


@pytest.fixture
def form():
    return make_form(FORM)


class TestCsv:
    def test_group_paths_and_a_bom_are_read(self, form, tmp_path):
        """Headers written as group paths (care/needs) match their questions, and a BOM is skipped."""
        path = write_csv(
            tmp_path,
            """
            sex,age,care/needs,care/lonely,district
            f,70,meals company,yes,north
            m,30,,,south
        """,
            bom=True,
        )
        data = Dataset.from_file(form, path)
        sex = data.column("sex")
        assert isinstance(sex, Categorical)
        assert sex.levels == ("f", "m")
        assert sex.codes.tolist() == [0, 1]
        needs = data.column("needs")
        assert isinstance(needs, Multiple)
        assert needs.ticks.tolist() == [[True, True, False], [False, False, False]]
        assert data.column("district").values.tolist() == ["north", "south"]

    def test_semicolons_are_a_delimiter(self, form, tmp_path):
        """Kobo's legacy CSV exports separate cells with ';'."""
        path = write_csv(
            tmp_path,
            """
            sex;age
            m;61
        """,
        )
        data = Dataset.from_file(form, path)
        assert data.column("age").values.tolist() == [61.0]

    def test_blank_where_not_relevant_is_not_asked_and_blank_where_relevant_is_missing(self, form, tmp_path):
        """A skipped question is NOT_ASKED; a blank where it applied is MISSING."""
        path = write_csv(
            tmp_path,
            """
            sex,age,needs,lonely
            f,70,company,
            f,70,meals,
            m,30,,
            m,65,,
        """,
        )
        data = Dataset.from_file(form, path)
        assert data.column("lonely").status.tolist() == [MISSING, NOT_ASKED, NOT_ASKED, NOT_ASKED]
        assert data.column("needs").status.tolist() == [ANSWERED, ANSWERED, NOT_ASKED, MISSING]

    def test_an_answer_where_not_relevant_is_kept_and_reported(self, form, tmp_path):
        """Data is never dropped silently: the answer stays and a warning counts it."""
        path = write_csv(
            tmp_path,
            """
            sex,age,needs
            m,30,meals
        """,
        )
        data = Dataset.from_file(form, path)
        assert data.column("needs").status.tolist() == [ANSWERED]
        assert any("not relevant" in p.message for p in data.problems)

    def test_numbers_that_are_not_numbers_are_missing_and_located(self, form, tmp_path):
        """A bad number is read as missing, with its row and column in the warning."""
        path = write_csv(
            tmp_path,
            """
            sex,age
            f,seventy
            m,True
        """,
        )
        data = Dataset.from_file(form, path)
        age = data.column("age")
        assert isinstance(age, Numeric)
        assert np.isnan(age.values[0])
        assert age.values[1] == 1.0
        assert [str(p) for p in data.problems if "seventy" in p.message] == [
            f"{path}: row 2, column age: warning: 'seventy' is not a number; read as missing"
        ]

    def test_a_file_that_is_not_utf8_says_where(self, form, tmp_path):
        """Non-UTF-8 bytes are reported with their line and byte offset."""
        path = tmp_path / "data.csv"
        path.write_bytes(b"sex,age\nf,\xff\n")
        with pytest.raises(DataError) as err:
            Dataset.from_file(form, path)
        assert str(err.value) == f"{path}: line 2, byte 10: the file is not UTF-8 text"

    def test_a_repeated_header_is_an_error(self, form, tmp_path):
        """Two columns with one header cannot be told apart."""
        path = write_csv(tmp_path, "sex,age,sex\nf,1,m\n")
        with pytest.raises(DataError, match="header 'sex' appears twice"):
            Dataset.from_file(form, path)

    def test_labels_instead_of_names_are_refused(self, form, tmp_path):
        """When no header is a question name, the error says so rather than analysing nothing."""
        path = write_csv(tmp_path, "Sex,Age\nFemale,70\n")
        with pytest.raises(DataError, match="no column matches a question"):
            Dataset.from_file(form, path)


class TestSelectMultiple:
    def test_dummies_alone_give_ticks(self, form, tmp_path):
        """0/1 columns named q/opt are enough, without the space-separated column."""
        path = write_csv(
            tmp_path,
            """
            age,needs/meals,needs/company,needs/none
            70,1,0,0
            70,0,0,1
            30,,,
        """,
        )
        needs = Dataset.from_file(form, path).column("needs")
        assert needs.ticks.tolist() == [[True, False, False], [False, False, True], [False, False, False]]
        assert needs.status.tolist() == [ANSWERED, ANSWERED, NOT_ASKED]

    def test_dotted_dummies_win_over_the_parent_and_blank_ones_are_unknown(self, form, tmp_path):
        """q.opt columns (True/False) are used; a blank one in an answered row leaves the denominator."""
        path = write_csv(
            tmp_path,
            """
            age,needs,needs.meals,needs.company
            70,meals,True,False
            70,company,,True
        """,
        )
        needs = Dataset.from_file(form, path).column("needs")
        assert needs.ticks[:, :2].tolist() == [[True, False], [False, True]]
        assert needs.denominator()[:, 0].tolist() == [True, False]
        assert needs.denominator()[:, 1].tolist() == [True, True]

    def test_an_option_outside_the_list_is_kept(self, form, tmp_path):
        """An unlisted option becomes an option of its own, with a warning naming the cell."""
        path = write_csv(
            tmp_path,
            """
            age,needs
            70,meals transport
        """,
        )
        data = Dataset.from_file(form, path)
        needs = data.column("needs")
        assert needs.levels == ("meals", "company", "none", "transport")
        assert needs.ticks.tolist() == [[True, False, False, True]]
        assert "row 2, column needs" in str(data.problems[0])


class TestWorkbook:
    ROSTER = (
        FORM
        + """
[[questions]]
type = "repeat"
name = "member"

[[questions.questions]]
type = "integer"
name = "member_age"

[[questions.questions]]
type = "select_one"
name = "in_school"
choices = "yn"
relevant = "${member_age} < 18"
"""
    )

    def test_kobo_repeat_sheets_join_by_index(self, tmp_path):
        """A repeat's sheet joins its rows to the records by _parent_index → _index."""
        path = write_xlsx(
            tmp_path,
            {
                "records": [["sex", "age", "_index"], ["f", 70, 1], ["m", 40, 2]],
                "member": [
                    ["member_age", "in_school", "_parent_index"],
                    [12, "yes", 2],
                    [44, None, 2],
                    [9, None, 1],
                ],
            },
        )
        data = Dataset.from_file(make_form(self.ROSTER), path)
        member = data.tables["member"]
        assert member.parent.tolist() == [1, 1, 0]
        assert data.column("in_school").status.tolist() == [ANSWERED, NOT_ASKED, MISSING]

    def test_our_export_joins_by_parent_uuid(self, tmp_path):
        """Our own export's repeat sheet joins by _parent_uuid → _uuid."""
        path = write_xlsx(
            tmp_path,
            {
                "t": [["sex", "age", "_uuid"], ["f", 70, "a"], ["m", 40, "b"]],
                "member": [["member_age", "_parent_uuid", "_index"], [3, "b", 1], [70, "a", 1]],
            },
        )
        data = Dataset.from_file(make_form(self.ROSTER), path)
        assert data.tables["member"].parent.tolist() == [1, 0]
        assert data.rows_in(None, "member").tolist() == [1, 0]

    def test_a_repeat_sheet_without_a_join_column_is_an_error(self, tmp_path):
        """Rows that cannot be joined to their household make the repeat unusable: say which sheet."""
        path = write_xlsx(tmp_path, {"t": [["sex"], ["f"]], "member": [["member_age"], [3]]})
        with pytest.raises(DataError, match="sheet member: no column joins these rows"):
            Dataset.from_file(make_form(self.ROSTER), path)

    def test_a_relevance_reading_the_roster_sees_every_instance(self, tmp_path):
        """From the records, a roster question is the tuple of its answers (count, sum…)."""
        form = make_form(
            self.ROSTER
            + """
[[questions]]
type = "integer"
name = "children_help"
relevant = "count(${member_age}) > 1"
"""
        )
        path = write_xlsx(
            tmp_path,
            {
                "t": [["sex", "children_help", "_index"], ["f", None, 1], ["m", None, 2]],
                "member": [["member_age", "_parent_index"], [12, 2], [44, 2], [9, 1]],
            },
        )
        data = Dataset.from_file(form, path)
        assert data.column("children_help").status.tolist() == [NOT_ASKED, MISSING]


class TestCalculations:
    def test_a_calculation_missing_from_the_data_is_computed(self, tmp_path):
        """A calculate without a column is computed from the answers, once per distinct input."""
        form = make_form(
            FORM
            + """
[[questions]]
type = "calculate"
name = "older"
calculation = "if(${age} >= 60, 1, 0)"
"""
        )
        path = write_csv(tmp_path, "age,sex\n70,f\n30,m\n,f\n")
        older = Dataset.from_file(form, path).column("older")
        assert isinstance(older, Numeric)
        assert older.values.tolist() == [1.0, 0.0, 0.0]


class TestColumns:
    def test_arrays_are_taken_as_codes_floats_and_ticks(self, form):
        """from_columns accepts typed numpy arrays: codes, floats and an n × options boolean array."""
        data = Dataset.from_columns(
            form,
            {
                "sex": np.array([0, 1, -1]),
                "age": np.array([70.0, 20.0, 65.0]),
                "needs": np.array([[1, 0, 0], [0, 0, 0], [0, 0, 0]], dtype=bool),
            },
        )
        assert data.column("sex").status.tolist() == [ANSWERED, ANSWERED, MISSING]
        assert data.column("needs").status.tolist() == [ANSWERED, NOT_ASKED, MISSING]
