"""Each change kind on a small series git writes from tests/fixtures/code, and its twin."""

from __future__ import annotations

from pathlib import Path

from patchscope.code.facts import series_facts
from patchscope.code.model import Change, PatchFacts
from patchscope.pipeline import load_series
from tests.conftest import git

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "code"
TOY_C = (FIXTURES / "toy.c").read_text()
TOY_H = (FIXTURES / "toy.h").read_text()


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based number of the line holding the nth occurrence of needle."""
    at = -1
    for _ in range(nth):
        at = text.index(needle, at + 1)
    return text.count("\n", 0, at) + 1


def patched(tmp_path: Path, *steps: dict[str, str]) -> tuple[PatchFacts, ...]:
    """Commit the toy files, then each step as one commit; facts of the format-patch mails."""
    repo = tmp_path / "repo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    files = {"mm/toy.c": TOY_C, "include/linux/toy.h": TOY_H}
    for number, step in enumerate(({}, *steps)):
        files = {**files, **step}
        for name, text in files.items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(text)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"toy: step {number}\n\nSigned-off-by: A <a@b.org>")
    out = tmp_path / "out"
    git(repo, "format-patch", "-q", "-o", str(out), f"HEAD~{len(steps)}..HEAD")
    return series_facts(load_series(str(out))).patches


def edit(old: str, new: str, text: str = TOY_C) -> dict[str, str]:
    assert text.count(old) == 1, old
    return {"mm/toy.c": text.replace(old, new)}


def kinds(patch: PatchFacts) -> set[tuple[str, str, str]]:
    return {(c.change, c.kind, c.name) for c in patch.changes}


def only(patch: PatchFacts, name: str) -> Change:
    (change,) = [c for c in patch.changes if c.name == name]
    return change


def test_mid_body_hunk_is_a_body_change_named_by_the_hint(tmp_path: Path) -> None:
    (patch,) = patched(tmp_path, edit("\ttoy_count++;\n", "\ttoy_count += 2;\n"))
    assert kinds(patch) == {("body", "function", "toy_add")}
    # The hunk starts three context lines above the change, inside toy_add's body.
    assert only(patch, "toy_add").line == line_of(TOY_C, "\ttoy_count++;") - 3
    writes = [r for r in patch.after.references if r.kind == "write" and r.name == "toy_count"]
    assert [(r.in_function, r.line) for r in writes] == [
        ("toy_add", line_of(TOY_C, "\ttoy_count++;"))
    ]


def test_twin_change_between_functions_touches_none(tmp_path: Path) -> None:
    (patch,) = patched(tmp_path, edit("/* The release side. */", "/* Where pages go back. */"))
    assert patch.changes == ()


def test_prototype_change_in_definition_and_header(tmp_path: Path) -> None:
    step = edit(
        "int toy_add(int nid, long start)\n{", "int toy_add(int nid, long start, int flags)\n{"
    )
    step.update({"include/linux/toy.h": TOY_H.replace("long start);", "long start, int flags);")})
    (patch,) = patched(tmp_path, step)
    assert kinds(patch) == {
        ("prototype", "function", "toy_add"),
        ("prototype", "prototype", "toy_add"),
    }
    assert {c.detail for c in patch.changes} == {
        "parameters (int nid, long start) -> (int nid, long start, int flags)"
    }
    definition = next(c for c in patch.changes if c.kind == "function")
    assert definition.old_signature == "int toy_add(int nid, long start)"
    assert definition.new_signature == "int toy_add(int nid, long start, int flags)"


def test_return_type_change(tmp_path: Path) -> None:
    (patch,) = patched(
        tmp_path, edit("static int toy_init(int nid)", "static long toy_init(int nid)")
    )
    assert kinds(patch) == {("prototype", "function", "toy_init")}
    assert only(patch, "toy_init").detail == "return type int -> long"


def test_twin_header_reflowed_is_no_change(tmp_path: Path) -> None:
    (patch,) = patched(
        tmp_path,
        edit("int toy_add(int nid, long start)\n{", "int toy_add(int nid,\n\t    long start)\n{"),
    )
    assert patch.changes == ()


def test_rename_in_both_configuration_variants_with_its_call_site(tmp_path: Path) -> None:
    (patch,) = patched(tmp_path, {"mm/toy.c": TOY_C.replace("toy_free(", "toy_release(")})
    renamed = sorted((c.line, c.old_name, c.name) for c in patch.changes if c.change == "renamed")
    assert renamed == [
        (line_of(TOY_C, "static void toy_free", 1), "toy_free", "toy_release"),
        (line_of(TOY_C, "static void toy_free", 2), "toy_free", "toy_release"),
    ]
    guards = {d.guard for d in patch.after.definitions if d.name == "toy_release"}
    assert guards == {("CONFIG_TOY_FAST",), ("!CONFIG_TOY_FAST",)}
    calls = {(r.name, r.in_function) for r in patch.after.references if r.kind == "call"}
    assert ("toy_release", "toy_remove") in calls
    assert ("body", "function", "toy_remove") in kinds(patch)


def test_twin_rename_with_a_new_body_is_removed_and_added(tmp_path: Path) -> None:
    old = "static void toy_free(int nid)\n{\n\ttoy_count--;\n}"
    new = (
        "static void toy_drop(int nid)\n{\n\ttoy_limit = toy_limit * 2 + nid;\n\ttoy_init(nid);\n}"
    )
    (patch,) = patched(tmp_path, edit(old, new))
    assert kinds(patch) == {("removed", "function", "toy_free"), ("added", "function", "toy_drop")}


def test_added_and_removed_entities(tmp_path: Path) -> None:
    text = TOY_C.replace(
        "unsigned long toy_limit = 64;\n", "unsigned long toy_limit = 64;\nbool toy_ready;\n"
    )
    text = text.replace("\tvoid (*done)(int nid);\n", "\tvoid (*done)(int nid);\n\tint flags;\n")
    text = text.replace("#define TOY_SHIFT 4\n", "")
    text = text.replace("void toy_remove(int nid)\n{\n\ttoy_free(nid);\n}\n", "")
    (patch,) = patched(tmp_path, {"mm/toy.c": text})
    assert kinds(patch) == {
        ("added", "global", "toy_ready"),
        ("added", "field", "toy_ops.flags"),
        ("body", "struct", "toy_ops"),
        ("removed", "macro", "TOY_SHIFT"),
        ("removed", "function", "toy_remove"),
    }


def test_macro_body_change_and_its_twin(tmp_path: Path) -> None:
    (changed,) = patched(tmp_path / "a", edit("#define TOY_SHIFT 4", "#define TOY_SHIFT 5"))
    (spaced,) = patched(
        tmp_path / "b", edit("#define TOY_SHIFT 4", "#define TOY_SHIFT  4  /* bits */")
    )
    assert kinds(changed) == {("body", "macro", "TOY_SHIFT")}
    assert spaced.changes == ()


def test_renamed_function_changed_further_down_keeps_its_new_name(tmp_path: Path) -> None:
    """git names the lower hunk after the old name; the piece belongs to the renamed function."""
    text = TOY_C.replace("int toy_add(", "int toy_append(").replace(
        "toy_count++;", "toy_count += 2;"
    )
    header = TOY_H.replace("int toy_add(", "int toy_append(")
    (patch,) = patched(tmp_path, {"mm/toy.c": text, "include/linux/toy.h": header})
    assert kinds(patch) == {
        ("renamed", "function", "toy_append"),
        ("renamed", "prototype", "toy_append"),
    }
    writes = [r for r in patch.after.references if r.name == "toy_count" and r.kind == "write"]
    assert [(r.in_function, r.line) for r in writes] == [
        ("toy_append", line_of(text, "toy_count += 2"))
    ]
    # The pre-image keeps the old name for the same piece.
    before = [r for r in patch.before.references if r.name == "toy_count" and r.kind == "write"]
    assert [r.in_function for r in before] == ["toy_add"]


def test_pointer_field_call_and_the_functions_stored_there(tmp_path: Path) -> None:
    text = TOY_C.replace(
        "int toy_add(int nid, long start)\n{\n",
        "static struct toy_ops toy_default = {\n\t.init = toy_init,\n};\n\n"
        "int toy_add(int nid, long start)\n{\n\tstruct toy_ops *ops = &toy_default;\n",
    ).replace("\t\tret = toy_init(nid);\n", "\t\tret = ops->init(nid);\n\tops->done = toy_free;\n")
    (patch,) = patched(tmp_path, {"mm/toy.c": text})
    calls = [r for r in patch.after.references if r.kind == "pointer_call"]
    assert [(r.via, r.in_function, r.line) for r in calls] == [
        ("init", "toy_add", line_of(text, "ops->init(nid)"))
    ]
    assigned = {(a.field, a.function, a.line) for a in patch.after.assignments}
    assert assigned == {
        ("init", "toy_init", line_of(text, ".init = toy_init")),
        ("done", "toy_free", line_of(text, "ops->done = toy_free")),
    }
    before = {(r.kind, r.name) for r in patch.before.references if "init" in r.name}
    assert before == {("call", "toy_init")}


def test_twin_a_pointer_field_read_is_no_call(tmp_path: Path) -> None:
    step = edit("\t\tret = toy_init(nid);\n", "\t\tret = toy_ops_default.init != NULL;\n")
    (patch,) = patched(tmp_path, step)
    found = {(r.kind, r.name) for r in patch.after.references if r.name == "init"}
    assert found == {("use", "init")}
    assert patch.after.assignments == ()
