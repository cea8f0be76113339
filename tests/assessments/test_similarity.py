"""Copy detection between candidates' code: copies survive renaming, reformatting and small edits;
independent solutions, the starter code everyone was given and tiny answers do not look copied."""

import itertools
import random
import re
import subprocess
import sys
from pathlib import Path

from assessments.similarity import Region, Token, compare, fingerprints, similar_pairs, tokens

THRESHOLD = 0.6

WORD_COUNT = '''\
def top_words(text, n):
    counts = {}
    for word in text.lower().split():
        word = word.strip(".,!?")
        if not word:
            continue
        counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, _ in ranked[:n]]
'''


def kinds(source, language):
    return [t.kind for t in tokens(source, language)]


# --- Tokens -----------------------------------------------------------------------------------


def test_names_become_id_while_keywords_library_calls_literals_and_operators_keep_meaning():
    assert tokens("total = len(items) + 1.5\nif total: print('big')", "python") == [
        Token("ID", 1), Token("=", 1), Token("len", 1), Token("(", 1), Token("ID", 1), Token(")", 1),
        Token("+", 1), Token("NUM", 1),
        Token("if", 2), Token("ID", 2), Token(":", 2), Token("print", 2), Token("(", 2), Token("STR", 2),
        Token(")", 2),
    ]


def test_a_library_name_used_as_a_variable_is_just_a_name():
    assert kinds("max = 0\nnp.mean(xs)", "python") == ["ID", "=", "NUM", "np", ".", "mean", "(", "ID", ")"]
    assert kinds("max = 0", "python") == kinds("best = 0", "python")


def test_python_that_does_not_tokenize_is_read_the_same_way_up_to_the_error():
    valid = '''\
@cache
def f(a: int, *rest) -> list:
    """Doc."""
    x = rb'\\d' + f"{a!r:>{10}}" + 'it\\'s'  # comment
    y = 1_000 + 0x1F * 1e-3 - 3j ** 2
    y **= (x := len(rest)) if x else ...
    return [x, \\
            y]
'''
    broken = valid + 'label = "never closed\nz = 1\n'
    assert tokens(broken, "python")[:len(tokens(valid, "python"))] == tokens(valid, "python")
    assert tokens(broken, "python")[-6:] == [
        Token("ID", 9), Token("=", 9), Token("STR", 9), Token("ID", 10), Token("=", 10), Token("NUM", 10),
    ]


def test_sql_keywords_and_functions_are_case_insensitive():
    upper = "SELECT Name, COUNT(*) AS n FROM Orders WHERE status != 'x' GROUP BY Name;"
    lower = "select name, count(*) as N from orders where STATUS <> 'x' group by name; -- done"
    assert kinds(upper, "sql") == kinds(lower, "sql")
    assert kinds(lower, "sql")[:6] == ["SELECT", "ID", ",", "COUNT", "(", "*"]


def test_cpp_comments_and_preprocessor_lines_are_ignored_and_lines_still_count():
    bare = "int main() {\n  std::vector<int> v;\n  return v.size();\n}\n"
    dressed = (
        "#include <vector>\n"
        "#define MAX(a, b) \\\n"
        "    ((a) > (b) ? (a) : (b))\n"
        "/* entry point,\n   nothing else */\n"
        "int main() { // starts here\n"
        "  std::vector<int> v;  /* empty */\n"
        "  return v.size();\n"
        "}\n"
    )
    assert kinds(dressed, "cpp") == kinds(bare, "cpp")
    assert kinds(bare, "cpp")[5:9] == ["std", "::", "vector", "<"]
    assert [t.line for t in tokens(dressed, "cpp") if t.kind == "return"] == [8]
    assert compare(bare, dressed, "cpp", k=5, w=2).score == 1.0


def test_r_assignment_arrow_and_equals_are_the_same_and_infix_operators_are_one_token():
    assert kinds("x <- c(1, 2) %in% y # note", "r") == kinds("x = c(1, 2) %in% y", "r")
    assert "%in%" in kinds("x %in% y", "r")


# --- Fingerprints -----------------------------------------------------------------------------


def test_any_run_of_w_plus_k_minus_1_shared_tokens_shares_a_fingerprint():
    k, w = 12, 8
    rng = random.Random(7)
    for _ in range(50):
        shared = [Token(f"t{rng.randrange(40)}", 1) for _ in range(w + k - 1)]
        a = [Token(f"a{rng.randrange(40)}", 1) for _ in range(rng.randrange(60))] + shared
        b = shared + [Token(f"b{rng.randrange(40)}", 1) for _ in range(rng.randrange(60))]
        a += [Token(f"a{rng.randrange(40)}", 1) for _ in range(rng.randrange(60))]
        assert {f.hash for f in fingerprints(a, k=k, w=w)} & {f.hash for f in fingerprints(b, k=k, w=w)}


def test_each_fingerprint_records_the_lines_its_k_tokens_span():
    stream = tokens(WORD_COUNT, "python")
    prints = fingerprints(stream, k=12, w=8)
    assert [(p.first_line, p.last_line) for p in prints] == [
        (stream[p.position].line, stream[p.position + 11].line) for p in prints
    ]
    assert any(p.first_line < p.last_line for p in prints)
    assert sorted(p.position for p in prints) == [p.position for p in prints]


def test_fingerprints_are_the_same_in_every_process():
    script = (
        "from assessments.similarity import fingerprints, tokens;"
        f"print([f.hash for f in fingerprints(tokens({WORD_COUNT!r}, 'python'))])"
    )
    root = Path(__file__).resolve().parents[2]
    runs = {
        subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout
        for seed in ("1", "2")
    }
    assert len(runs) == 1 and runs.pop().startswith("[")


# --- compare ----------------------------------------------------------------------------------


def test_identical_code_scores_one_with_one_region_covering_it():
    result = compare(WORD_COUNT, WORD_COUNT, "python")
    assert result.score == 1.0
    assert result.shared == result.a_fingerprints == result.b_fingerprints > 0
    assert result.regions == [Region(1, 9, 1, 9)]


def test_renaming_every_variable_reformatting_and_commenting_does_not_hide_a_copy():
    disguised = '''\
# My own solution!
def most_frequent(document, limit):

    tally = {}  # word -> count
    for token in document.lower().split():
        token = token.strip(
            ".,!?"
        )
        if not token: continue
        tally[token] = tally.get(token, 0) + 1
    # by count, then alphabetically
    ordered = sorted(tally.items(),
                     key=lambda pair: (-pair[1], pair[0]))
    return [token for token, _ in ordered[:limit]]
'''
    result = compare(WORD_COUNT, disguised, "python")
    assert result.score >= 0.8
    assert result.regions == [Region(1, 9, 2, 14)]


def test_independent_python_solutions_written_differently_are_not_copies():
    loop = '''\
def averages(records):
    totals = {}
    counts = {}
    for name, score in records:
        if name not in totals:
            totals[name] = 0
            counts[name] = 0
        totals[name] += score
        counts[name] += 1
    result = []
    for name in totals:
        if counts[name] >= 2:
            result.append((name, totals[name] / counts[name]))
    result.sort(key=lambda pair: pair[1], reverse=True)
    return result
'''
    comprehension = '''\
def averages(records):
    by_name = {}
    for name, score in records:
        by_name.setdefault(name, []).append(score)
    means = [(name, sum(scores) / len(scores)) for name, scores in by_name.items() if len(scores) >= 2]
    return sorted(means, key=lambda pair: -pair[1])
'''
    library = '''\
from collections import defaultdict
from statistics import mean


def averages(records):
    grouped = defaultdict(list)
    for record in records:
        grouped[record[0]].append(record[1])
    kept = {name: mean(values) for name, values in grouped.items() if len(values) > 1}
    return sorted(kept.items(), key=lambda item: item[1], reverse=True)
'''
    for a, b in itertools.combinations([loop, comprehension, library], 2):
        assert compare(a, b, "python").score < 0.25


def test_r_vectorised_and_loop_solutions_are_not_copies():
    vectorised = '''\
summarise_scores <- function(scores) {
  valid <- scores[!is.na(scores) & scores >= 0]
  list(n = length(valid), mean = mean(valid), top = max(valid))
}
'''
    loop = '''\
summarise_scores <- function(scores) {
  total <- 0
  count <- 0
  best <- -Inf
  for (s in scores) {
    if (is.na(s) || s < 0) next
    total <- total + s
    count <- count + 1
    if (s > best) best <- s
  }
  list(n = count, mean = total / count, top = best)
}
'''
    renamed_loop = re.sub(r"\btotal\b", "acc", loop).replace("best", "hi").replace(" s ", " x ")
    assert compare(vectorised, loop, "r").score < 0.25
    assert compare(loop, renamed_loop, "r").score == 1.0


def test_sql_queries_with_different_joins_are_not_copies():
    join_then_group = '''\
SELECT c.name, SUM(o.amount) AS total
FROM customers c
JOIN orders o ON o.customer_id = c.id
WHERE o.status = 'paid'
GROUP BY c.name
HAVING SUM(o.amount) > 100
ORDER BY total DESC;
'''
    group_then_join = '''\
SELECT name, total
FROM (
  SELECT customer_id, SUM(amount) AS total
  FROM orders
  WHERE status = 'paid'
  GROUP BY customer_id
) AS paid
LEFT JOIN customers ON customers.id = paid.customer_id
WHERE total > 100
ORDER BY total DESC;
'''
    realiased = join_then_group.replace("c.", "cu.").replace(" c\n", " cu\n").replace("total", "spent").lower()
    assert compare(join_then_group, group_then_join, "sql").score < 0.25
    assert compare(join_then_group, realiased, "sql").score == 1.0


def test_lines_inserted_into_a_copy_split_the_matching_regions_around_them():
    original = '''\
def report(rows):
    seen = set()
    total = 0
    for row in rows:
        if row.id in seen:
            continue
        seen.add(row.id)
        total += row.amount * row.quantity
    average = total / max(len(seen), 1)
    lines = [f"{row.id}: {row.amount}" for row in rows]
    lines.append(f"total {total}")
    lines.append(f"average {average}")
    return "\\n".join(lines)
'''
    body = original.splitlines(keepends=True)
    inserted = [
        "        print(row)\n",
        "        log = open('x.log', 'a')\n",
        "        log.write(str(row))\n",
    ]
    copy = "".join(body[:7] + inserted + body[7:])
    result = compare(original, copy, "python")
    assert result.score >= 0.6
    assert result.regions == [Region(1, 7, 1, 7), Region(8, 13, 11, 16)]


def test_starter_code_everyone_was_given_does_not_count():
    starter = '''\
import csv
import io


def load(text):
    """Rows of the CSV as dictionaries, numbers converted."""
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        rows.append({key: float(value) if value.replace(".", "", 1).isdigit() else value
                     for key, value in row.items()})
    return rows


def show(result):
    for key, value in sorted(result.items()):
        print(f"{key}: {value:.2f}")


def solve(text):
    rows = load(text)
    # your code here
'''
    first = starter + '''\
    by_region = {}
    for row in rows:
        by_region[row["region"]] = by_region.get(row["region"], 0) + row["sales"]
    show(by_region)
'''
    second = starter + '''\
    best = max(rows, key=lambda r: r["sales"] / r["visits"])
    show({best["region"]: best["sales"] / best["visits"]})
'''
    assert compare(first, second, "python").score > THRESHOLD
    ignored = compare(first, second, "python", ignore=starter)
    assert ignored.score < 0.25
    assert all(r.a_start > 21 and r.b_start > 21 for r in ignored.regions)
    copied = compare(first, first.replace("by_region", "totals"), "python", ignore=starter)
    assert copied.score == 1.0 and copied.regions == [Region(22, 25, 22, 25)]


def test_a_submission_shorter_than_k_tokens_after_the_starter_never_pairs():
    starter = "def solve(values):\n    # return the answer\n    pass\n" + WORD_COUNT
    tiny = starter.replace("pass", "return sorted(values)[0]")
    assert compare(tiny, tiny, "python", ignore=starter).score == 0.0
    assert similar_pairs([("a", tiny), ("b", tiny)], "python", ignore=starter) == []
    assert similar_pairs([("a", "print(sum(xs))"), ("b", "print(sum(xs))")], "python") == []


def test_an_unknown_language_is_read_with_a_generic_lexer():
    java = '''\
public class Main {
    public static void main(String[] args) {
        int total = 0; // running sum
        for (int i = 0; i < args.length; i++) { total += Integer.parseInt(args[i]); }
        System.out.println("sum=" + total);
    }
}
'''
    renamed = java.replace("total", "acc").replace("args", "argv").replace("// running sum", "")
    assert compare(java, renamed, "java").score == 1.0
    assert "for" in kinds(java, "java") and "ID" in kinds(java, "java")


# --- similar_pairs ----------------------------------------------------------------------------

OPS = ["+", "-", "*", "//", "%", "**"]
COMPARISONS = ["<", ">", "<=", ">=", "==", "!="]
CALLS = ["abs", "len", "min", "max", "sum", "sorted", "round", "int", "str", "list"]


def random_program(structure_seed, name_seed, functions=4):
    """A syntactically plausible Python program; the same structure seed with another name seed
    is the same program with every name changed."""
    shape, names = random.Random(structure_seed), random.Random(name_seed)

    def fresh():
        return "".join(names.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))

    def expression(scope, depth=0):
        roll = shape.random()
        if depth > 1 or roll < 0.3:
            return shape.choice(scope) if shape.random() < 0.7 else str(shape.randint(0, 99))
        if roll < 0.5:
            return f"{shape.choice(CALLS)}({expression(scope, depth + 1)})"
        if roll < 0.6:
            return f"{shape.choice(scope)}[{expression(scope, depth + 1)}]"
        return f"({expression(scope, depth + 1)} {shape.choice(OPS)} {expression(scope, depth + 1)})"

    def block(scope, indent, size):
        pad, lines = "    " * indent, []
        for _ in range(size):
            roll = shape.random()
            if roll < 0.35 or indent > 2:
                target = fresh() if shape.random() < 0.5 else shape.choice(scope)
                lines.append(f"{pad}{target} = {expression(scope)}")
                scope.append(target)
            elif roll < 0.5:
                lines.append(f"{pad}{shape.choice(scope)} {shape.choice(OPS)}= {expression(scope)}")
            elif roll < 0.65:
                lines.append(f"{pad}if {expression(scope)} {shape.choice(COMPARISONS)} {expression(scope)}:")
                lines += block(list(scope), indent + 1, shape.randint(1, 3))
            elif roll < 0.8:
                var = fresh()
                lines.append(f"{pad}for {var} in range({expression(scope)}):")
                lines += block(scope + [var], indent + 1, shape.randint(1, 3))
            elif roll < 0.9:
                var, target = fresh(), fresh()
                lines.append(f"{pad}{target} = [{expression(scope + [var])} for {var} in {shape.choice(scope)}"
                             f" if {var} {shape.choice(COMPARISONS)} {expression(scope)}]")
                scope.append(target)
            else:
                lines.append(f"{pad}print({expression(scope)}, {expression(scope)})")
        return lines

    lines = []
    for _ in range(functions):
        params = [fresh() for _ in range(shape.randint(1, 3))]
        lines.append(f"def {fresh()}({', '.join(params)}):")
        scope = list(params)
        lines += block(scope, 1, shape.randint(4, 8))
        lines.append(f"    return {expression(scope)}")
        lines.append("")
    return "\n".join(lines)


def test_similar_pairs_finds_exactly_the_planted_copies_among_two_hundred_submissions():
    submissions = [(f"cand-{i:03}", random_program(i, i)) for i in range(200)]
    renamed = random_program(17, 9999).splitlines()
    disguised = "\n".join(f"{line}  # step {n}" if n % 3 else f"\n{line}" for n, line in enumerate(renamed))
    padded = submissions[123][1].splitlines()
    middle = next(n for n in range(len(padded) // 2, len(padded)) if re.match(r"    \w+ = ", padded[n]))
    padded[middle:middle] = ["    unused = [1, 2, 3]", "    print('checking', unused)"]
    submissions += [("copy-of-017", disguised), ("copy-of-123", "\n".join(padded))]

    pairs = similar_pairs(submissions, "python", threshold=THRESHOLD)

    assert {(p.a, p.b) for p in pairs} == {("cand-017", "copy-of-017"), ("cand-123", "copy-of-123")}
    assert [p.score for p in pairs] == sorted((p.score for p in pairs), reverse=True)
    assert all(p.score >= 0.8 and p.comparison.regions for p in pairs)


def test_similar_pairs_finds_what_comparing_every_pair_finds_even_when_boilerplate_is_everywhere():
    boilerplate = '''\
import sys


def read_numbers():
    data = sys.stdin.read().split()
    return [int(x) for x in data[1:]]


'''

    def program(*structures, names):
        return boilerplate + "\n".join(random_program(s, names + s, functions=2) for s in structures)

    submissions = [("boilerplate only", boilerplate), ("boilerplate and a comment", boilerplate + "# todo\n")]
    submissions += [(f"s{n}", program(n, 100 + n, names=n)) for n in range(24)]
    submissions += [
        ("renamed s5", program(5, 105, names=1000)),
        ("half of s3", program(3, 200, names=2000)),
        ("halves of s7 and s8", program(7, 108, names=3000)),
    ]
    everything = [
        (a, b, compare(x, y, "python").score) for (a, x), (b, y) in itertools.combinations(submissions, 2)
    ]
    assert {round(score, 1) for *_, score in everything} >= {0.0, 0.5, 1.0}

    for threshold in (0.3, THRESHOLD, 0.9):
        expected = [(a, b, score) for a, b, score in everything if score >= threshold and score > 0]
        got = [(p.a, p.b, p.score) for p in similar_pairs(submissions, "python", threshold=threshold)]
        assert sorted(got) == sorted(expected)
        assert [score for *_, score in got] == sorted((score for *_, score in got), reverse=True)
