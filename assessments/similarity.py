"""Copy detection between candidates' code answers to the same question, in the manner of MOSS:
submissions become token streams blind to names, layout and comments, those streams are
fingerprinted by winnowing (Schleimer, Wilkerson and Aiken, "Winnowing: Local Algorithms for
Document Fingerprinting", SIGMOD 2003), and shared fingerprints point at the matching code.

Standard library only and no Django, so it runs wherever the submissions are (a task, a
management command, a notebook). Fingerprint hashes are stable across processes and can be stored.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import keyword
import re
import tokenize
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import accumulate, combinations, product
from math import isqrt
from typing import Generic, Sequence, TypeVar

K = TypeVar("K")

DEFAULT_K = 12
DEFAULT_W = 8


@dataclass(frozen=True, slots=True)
class Token:
    """`kind` is the normalised text: "ID" for a name the author chose, "STR" and "NUM" for
    literals, and the text itself for keywords, well-known library names and operators.
    `line` is 1-based in the original source."""

    kind: str
    line: int


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A winnowed k-gram: `position` is the index of its first token in the token list it came
    from; `first_line`..`last_line` are the source lines that k-gram covers."""

    hash: int
    position: int
    first_line: int
    last_line: int


@dataclass(frozen=True, order=True)
class Region:
    """Lines `a_start`..`a_end` of the first submission match lines `b_start`..`b_end` of the
    second (1-based, inclusive)."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int


@dataclass(frozen=True)
class Comparison:
    """How much of two submissions is the same code.

    `score` is the overlap coefficient, `shared` / the smaller of `a_fingerprints` and
    `b_fingerprints` (each counts distinct fingerprints), from 0 to 1. Copying is usually
    one-sided: a candidate takes someone's solution and adds to it, or pads it to look different,
    so the question for a reviewer is "how much of the smaller one is inside the other"; Jaccard
    (shared / all distinct) would let the padding dilute the evidence. The price is that a tiny
    submission scores high against anything that contains it, which is why fewer than k tokens
    (once the starter code is removed) make no fingerprints and score 0, and why the starter code
    must be passed as `ignore`.

    `regions` are the matching stretches of code as line ranges, in order, for showing the two
    submissions side by side."""

    score: float
    shared: int
    a_fingerprints: int
    b_fingerprints: int
    regions: list[Region]


@dataclass(frozen=True)
class Pair(Generic[K]):
    """Two submissions, by the keys they were given under, `a` coming first in the input."""

    a: K
    b: K
    comparison: Comparison

    @property
    def score(self) -> float:
        return self.comparison.score


# --- Lexing -----------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class _Lexicon:
    pattern: re.Pattern[str]  # named groups: skip, str, quoted (a quoted name), num, name, op
    keywords: frozenset[str]  # always keep their text
    library: frozenset[str]  # keep their text when called or qualified, else they are someone's variable
    members: frozenset[str]  # operators that qualify a name: `np.mean`, `std::sort`, `dplyr::filter`
    upper: bool = False  # case-insensitive language: keywords compared and kept upper-case
    synonyms: tuple[tuple[str, str], ...] = ()  # operators that mean the same, to their one spelling


_NUMBER = (
    r"(?:0[xX][\da-fA-F](?:['_]?[\da-fA-F])*|0[bB][01](?:['_]?[01])*"
    r"|(?:\d(?:['_]?\d)*(?:\.(?:\d(?:['_]?\d)*)?)?|\.\d(?:['_]?\d)*)(?:[eEpP][+-]?\d+)?)\w*"
)
_BLOCK_COMMENT = r"(?s:/\*.*?(?:\*/|\Z))"


def _pattern(
    *, skip: str, string: str, name: str, operators: str, quoted: str = "", operator_pattern: str = ""
) -> re.Pattern[str]:
    # Newlines are matched on their own so that a C preprocessor line is seen from its start.
    ops = "|".join([
        *([operator_pattern] if operator_pattern else []),
        *(re.escape(op) for op in sorted(operators.split(), key=len, reverse=True)),
    ])
    parts = [
        rf"(?P<skip>{skip}|[^\S\n]+|\n)",
        rf"(?P<str>{string})",
        *([rf"(?P<quoted>{quoted})"] if quoted else []),
        rf"(?P<num>{_NUMBER})",
        rf"(?P<name>{name})",
        rf"(?P<op>{ops}|\S)",
    ]
    return re.compile("|".join(parts))


_PY_PREFIX = r"(?i:rb|br|rf|fr|[rbuf])?"
_PYTHON = _Lexicon(
    pattern=_pattern(
        skip=r"\#[^\n]*|\\\r?\n",
        string=(
            rf"{_PY_PREFIX}(?s:'''.*?(?:'''|\Z)|\"\"\".*?(?:\"\"\"|\Z))"
            rf"|{_PY_PREFIX}(?:'(?:[^'\\\n]|\\(?s:.))*'?|\"(?:[^\"\\\n]|\\(?s:.))*\"?)"
        ),
        name=r"[^\W\d]\w*",
        operators="**= //= >>= <<= ... -> := ** // << >> <= >= == != += -= *= /= %= &= |= ^= @=",
    ),
    keywords=frozenset(keyword.kwlist),
    library=_words("""
        abs all any bin bool bytearray bytes callable chr classmethod dict dir divmod enumerate eval exec
        filter float format frozenset getattr hasattr hex id input int isinstance issubclass iter len list
        map max min next object oct open ord pow print property range repr reversed round set setattr slice
        sorted staticmethod str sum super tuple type vars zip
        append extend insert pop remove index count sort reverse copy clear keys values items get setdefault
        update add discard union intersection difference split rsplit splitlines join strip lstrip rstrip
        replace lower upper title startswith endswith find isdigit isalpha read readline readlines write
        math statistics collections itertools functools heapq bisect re sys json csv random np numpy pd pandas
        scipy stats sklearn plt sqrt log log2 log10 exp floor ceil inf pi isnan isclose mean median mode stdev
        variance pstdev fsum prod comb factorial gcd Counter most_common defaultdict deque namedtuple
        OrderedDict chain product permutations combinations accumulate groupby reduce lru_cache cache
        heappush heappop heapify nlargest nsmallest bisect_left bisect_right sub match search findall
        fullmatch compile stdin stdout loads dumps reader writer DictReader
        array zeros ones arange linspace dot where std var cumsum cumprod argmax argmin argsort unique
        concatenate reshape nan isna notna isnull fillna dropna DataFrame Series read_csv agg aggregate apply
        merge pivot_table value_counts sort_values sort_index reset_index set_index loc iloc head tail
        describe shape columns astype to_numpy drop rename assign query transform rolling shift diff
        pct_change corr nunique size idxmax idxmin quantile clip
    """),
    members=frozenset({"."}),
)

_R = _Lexicon(
    pattern=_pattern(
        skip=r"\#[^\n]*",
        string=r"\"(?:[^\"\\]|\\(?s:.))*\"?|'(?:[^'\\]|\\(?s:.))*'?",
        quoted=r"`[^`]*`?",
        name=r"(?:[A-Za-z]|\.(?!\d))[\w.]*",
        operators="<<- ->> ::: :: |> <- -> <= >= == != && || **",
        operator_pattern=r"%[^%\n]*%",
    ),
    keywords=_words("""
        if else repeat while function for in next break TRUE FALSE NULL Inf NaN NA NA_integer_ NA_real_
        NA_character_ NA_complex_ ...
    """),
    library=_words("""
        c length sum mean median sd var min max range abs sqrt exp log log2 log10 round floor ceiling seq
        seq_len seq_along rep rev sort order unique table which which.max which.min any all is.na ifelse
        sapply lapply vapply mapply apply tapply Map Reduce Filter do.call paste paste0 sprintf format nchar
        substr substring strsplit gsub sub grepl regmatches toupper tolower trimws print cat return invisible
        stop warning message library require list unlist vector numeric character logical integer matrix
        data.frame nrow ncol dim names colnames rownames head tail subset merge aggregate cumsum cumprod prod
        diff quantile cor lm glm predict summary str factor levels as.numeric as.integer as.character
        as.factor as.Date is.null identical setdiff union intersect tibble mutate filter select summarise
        summarize group_by ungroup arrange desc left_join inner_join right_join full_join n n_distinct pull
        count rename distinct slice read.csv read_csv dplyr tidyr stats base purrr map map_dbl map_chr
    """),
    members=frozenset({"::", ":::"}),
    # `<-` and `=` both assign at top level; which one a candidate types is style, not substance.
    synonyms=(("<-", "="), ("**", "^")),
)

_SQL = _Lexicon(
    pattern=_pattern(
        skip=rf"--[^\n]*|{_BLOCK_COMMENT}",
        string=r"'(?:[^']|'')*'?",
        quoted=r"\"(?:[^\"]|\"\")*\"?|`[^`]*`?",
        name=r"[A-Za-z_][\w$]*",
        operators="<> != <= >= || :: == ->> ->",
    ),
    keywords=_words("""
        SELECT FROM WHERE GROUP BY HAVING ORDER ASC DESC LIMIT OFFSET FETCH JOIN INNER LEFT RIGHT FULL OUTER
        CROSS NATURAL ON USING AS AND OR NOT IN EXISTS BETWEEN LIKE ILIKE GLOB IS NULL DISTINCT ALL ANY SOME
        UNION INTERSECT EXCEPT CASE WHEN THEN ELSE END WITH RECURSIVE OVER PARTITION WINDOW ROWS RANGE
        GROUPS PRECEDING FOLLOWING CURRENT ROW UNBOUNDED FILTER NULLS FIRST LAST CAST TRUE FALSE INSERT
        INTO VALUES UPDATE SET DELETE CREATE TEMP TEMPORARY TABLE VIEW INDEX IF DROP ALTER ADD COLUMN PRIMARY
        KEY FOREIGN REFERENCES UNIQUE CHECK DEFAULT CONSTRAINT INTEGER INT TEXT REAL NUMERIC VARCHAR BOOLEAN
        CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP
    """),
    library=_words("""
        COUNT SUM AVG MIN MAX ROUND COALESCE NULLIF IFNULL IIF ABS LENGTH LOWER UPPER SUBSTR SUBSTRING TRIM
        LTRIM RTRIM REPLACE INSTR CONCAT DATE TIME DATETIME JULIANDAY STRFTIME EXTRACT DATE_TRUNC NOW
        ROW_NUMBER RANK DENSE_RANK PERCENT_RANK CUME_DIST NTILE LAG LEAD FIRST_VALUE LAST_VALUE NTH_VALUE
        GROUP_CONCAT STRING_AGG TOTAL PRINTF RANDOM GREATEST LEAST MEDIAN
    """),
    members=frozenset(),
    upper=True,
    synonyms=(("!=", "<>"), ("==", "=")),
)

_C_KEYWORDS = """
    auto break case char const continue default do double else enum extern float for goto if inline int
    long register restrict return short signed sizeof static struct switch typedef union unsigned void
    volatile while _Bool bool true false NULL size_t FILE
"""
_C_LIBRARY = """
    printf scanf puts gets fgets getchar putchar fprintf sprintf snprintf fscanf sscanf malloc calloc
    realloc free memset memcpy memmove strlen strcmp strncmp strcpy strncpy strcat strchr strstr qsort
    bsearch abs labs fabs sqrt pow exp log log2 log10 floor ceil round sin cos atan2 atoi atol atof strtol
    exit rand srand time isdigit isalpha isspace toupper tolower stdin stdout stderr
"""
_C_PATTERN = _pattern(
    skip=rf"//[^\n]*|{_BLOCK_COMMENT}|(?m:^[ \t]*\#(?:\\\r?\n|[^\n])*)",
    string=(
        r"(?:u8|[uUL])?R\"(?P<delim>[^()\\\s]{0,16})\((?s:.*?)\)(?P=delim)\""
        r"|(?:u8|[uUL])?\"(?:[^\"\\\n]|\\(?s:.))*\"?|(?:u8|[uUL])?'(?:[^'\\\n]|\\(?s:.))*'?"
    ),
    name=r"[A-Za-z_]\w*",
    operators="<<= >>= ->* ... <=> :: -> ++ -- << >> <= >= == != && || += -= *= /= %= &= |= ^= .*",
)
_C = _Lexicon(
    pattern=_C_PATTERN,
    keywords=_words(_C_KEYWORDS),
    library=_words(_C_LIBRARY),
    members=frozenset({".", "->"}),
)
_CPP = _Lexicon(
    pattern=_C_PATTERN,
    keywords=_words(_C_KEYWORDS + """
        alignas alignof and asm catch class constexpr const_cast decltype delete dynamic_cast explicit
        export friend mutable namespace new noexcept not nullptr operator or private protected public
        reinterpret_cast static_assert static_cast template this thread_local throw try typeid typename
        using virtual wchar_t char8_t char16_t char32_t concept requires co_await co_return co_yield
        std cout cin cerr endl string vector map set multiset unordered_map unordered_set pair tuple
        priority_queue queue stack deque array bitset int64_t uint64_t int32_t
    """),
    library=_words(_C_LIBRARY + """
        sort stable_sort reverse min max swap accumulate push_back pop_back emplace_back emplace push pop top
        front back size empty clear begin end rbegin rend insert erase find count lower_bound upper_bound
        getline to_string stoi stol stoll stod substr length append resize assign fill iota unique
        make_pair make_tuple tie sync_with_stdio ios_base first second max_element min_element numeric_limits
    """),
    members=frozenset({".", "->", "::"}),
)

_GENERIC = _Lexicon(
    pattern=_pattern(
        skip=rf"//[^\n]*|{_BLOCK_COMMENT}|\#[^\n]*",
        string=r"\"(?:[^\"\\\n]|\\(?s:.))*\"?|'(?:[^'\\\n]|\\(?s:.))*'?|`[^`]*`?",
        name=r"[^\W\d]\w*",
        operators="<<= >>= ... :: -> => ++ -- ** // << >> <= >= == != && || += -= *= /= %= &= |= ^=",
    ),
    keywords=_words("""
        if else elif for foreach while do return break continue function def fn func class struct switch
        case default try catch except finally throw raise new import from in not and or true false null nil
        none None True False var let const
    """),
    library=frozenset(),
    members=frozenset({"."}),
)

_LEXICONS = {"python": _PYTHON, "r": _R, "sql": _SQL, "c": _C, "cpp": _CPP}
_LANGUAGES = {
    "python": "python", "python3": "python", "py": "python", "py3": "python",
    "r": "r", "sql": "sql", "sqlite": "sql", "c": "c", "cpp": "cpp", "c++": "cpp", "cxx": "cpp", "cc": "cpp",
}

_Raw = tuple[str, str, int]  # (category, text, line)
_LITERALS = {"str": "STR", "num": "NUM", "quoted": "ID"}


def tokens(source: str, language: str) -> list[Token]:
    """The submission as a normalised token stream, comments and whitespace left out.
    `language` is "python", "r", "sql", "c" or "cpp" (or an alias such as "c++"); any other
    language is read with a generic C-like lexer. Never fails, whatever the source."""
    kinds, lines = _stream(source, language)
    return [Token(kind, line) for kind, line in zip(kinds, lines)]


def _stream(source: str, language: str) -> tuple[list[str], list[int]]:
    code = _LANGUAGES.get(language.strip().lower())
    lexicon = _LEXICONS.get(code, _GENERIC)
    raw = _python_raw(source) if code == "python" else None
    if raw is None:
        raw = _lex(source, lexicon)
    return _normalise(raw, lexicon), [line for _, _, line in raw]


def _python_raw(source: str) -> list[_Raw] | None:
    """Python's own tokenizer, or None when it cannot read the source (the caller falls back)."""
    fstring_start = getattr(tokenize, "FSTRING_START", None)  # Python 3.12+
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    categories = {tokenize.NAME: "name", tokenize.NUMBER: "num", tokenize.STRING: "str", tokenize.OP: "op"}
    raw: list[_Raw] = []
    depth = 0  # inside an f-string, which counts as one literal
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if fstring_start is not None and tok.type == fstring_start:
                if depth == 0:
                    raw.append(("str", tok.string, tok.start[0]))
                depth += 1
            elif fstring_end is not None and tok.type == fstring_end:
                depth -= 1
            elif depth:
                continue
            elif tok.type == tokenize.ERRORTOKEN:
                if tok.string.strip():  # an unterminated string, a stray `$`: the regex lexer copes
                    return None
            elif tok.type in categories:
                raw.append((categories[tok.type], tok.string, tok.start[0]))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None
    return raw


def _lex(source: str, lexicon: _Lexicon) -> list[_Raw]:
    raw: list[_Raw] = []
    line = 1
    for match in lexicon.pattern.finditer(source):
        text = match.group()
        if match.lastgroup != "skip":
            raw.append((match.lastgroup or "op", text, line))
        line += text.count("\n")
    return raw


def _normalise(raw: list[_Raw], lexicon: _Lexicon) -> list[str]:
    keywords, library, members, upper = lexicon.keywords, lexicon.library, lexicon.members, lexicon.upper
    synonyms = dict(lexicon.synonyms)
    kinds = []
    for index, (category, text, _) in enumerate(raw):
        if category == "op":
            kinds.append(synonyms.get(text, text))
        elif category == "name":
            word = text.upper() if upper else text
            if word in keywords or (word in library and _is_library_use(raw, index, members)):
                kinds.append(word)
            else:
                kinds.append("ID")
        else:
            kinds.append(_LITERALS[category])
    return kinds


def _is_library_use(raw: list[_Raw], index: int, members: frozenset[str]) -> bool:
    """`len(x)`, `np.mean`, `std::sort` name the library; `max = 0` names a variable, and a
    copier renaming that variable must not change the stream."""
    if index + 1 < len(raw):
        category, text, _ = raw[index + 1]
        if category == "op" and (text == "(" or text in members):
            return True
    if index:
        category, text, _ = raw[index - 1]
        return category == "op" and text in members
    return False


# --- Fingerprints -----------------------------------------------------------------------------


def fingerprints(stream: Sequence[Token], *, k: int = DEFAULT_K, w: int = DEFAULT_W) -> list[Fingerprint]:
    """The winnowed fingerprints of a token stream, in order. Any run of at least w + k - 1
    tokens shared by two streams yields at least one fingerprint in both; runs shorter than k
    tokens yield none."""
    hashes = _kgram_hashes([t.kind for t in stream], k)
    return [
        Fingerprint(int.from_bytes(hashes[p], "big"), p, stream[p].line, stream[p + k - 1].line)
        for p in _winnow(hashes, w)
    ]


def _kgram_hashes(kinds: Sequence[str], k: int) -> list[bytes]:
    """A stable 64-bit hash of every k-gram of kinds, big-endian so bytes order as integers do."""
    if k < 1:
        raise ValueError("k must be at least 1")
    encoded = [kind.encode() + b"\x00" for kind in kinds]
    offsets = list(accumulate(map(len, encoded), initial=0))
    joined = memoryview(b"".join(encoded))
    return [
        hashlib.blake2b(joined[offsets[i]:offsets[i + k]], digest_size=8).digest()
        for i in range(len(encoded) - k + 1)
    ]


def _winnow(hashes: Sequence[bytes], w: int) -> list[int]:
    """Positions of the rightmost minimum of every window of w hashes, each position once."""
    if w < 1:
        raise ValueError("w must be at least 1")
    if not hashes:
        return []
    w = min(w, len(hashes))
    chosen: list[int] = []
    low = -1
    for end in range(w - 1, len(hashes)):
        start = end - w + 1
        if low < start:  # the minimum left the window: look again
            window = hashes[start:end + 1]
            low = end - window[::-1].index(min(window))
        elif hashes[end] <= hashes[low]:
            low = end
        else:
            continue
        chosen.append(low)
    return chosen


# --- Comparing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    kinds: list[str]
    lines: list[int]
    chosen: list[tuple[bytes, int]]  # (hash, position) of every fingerprint
    hashes: frozenset[bytes]


@dataclass(frozen=True)
class _Starter:
    kgrams: frozenset[bytes]
    lines: list[tuple[str, ...]]  # the kinds on each of its lines that has any


def _starter(ignore: str, language: str, k: int) -> _Starter | None:
    kinds, lines = _stream(ignore, language)
    if not kinds:
        return None
    return _Starter(frozenset(_kgram_hashes(kinds, k)), [tuple(kinds[s:e]) for s, e in _line_spans(lines)])


def _line_spans(lines: list[int]) -> list[tuple[int, int]]:
    """(first, past-last) token index of each source line that has tokens."""
    spans, start = [], 0
    for index in range(1, len(lines) + 1):
        if index == len(lines) or lines[index] != lines[start]:
            spans.append((start, index))
            start = index
    return spans


def _starter_covered(kinds: list[str], lines: list[int], starter: _Starter, k: int) -> bytearray:
    """Which tokens are the starter's: those inside a k-gram the starter also has (wherever the
    candidate moved or reflowed it), and whole lines a diff against the starter keeps (which
    finds the starter's last few tokens before and after each place the candidate wrote in)."""
    covered = bytearray(len(kinds))
    for position, value in enumerate(_kgram_hashes(kinds, k)):
        if value in starter.kgrams:
            covered[position:position + k] = b"\x01" * k
    spans = _line_spans(lines)
    diff = difflib.SequenceMatcher(None, [tuple(kinds[s:e]) for s, e in spans], starter.lines, autojunk=False)
    for block in diff.get_matching_blocks():
        for start, end in spans[block.a:block.a + block.size]:
            covered[start:end] = b"\x01" * (end - start)
    return covered


def _prepare(source: str, language: str, k: int, w: int, starter: _Starter | None) -> _Prepared:
    kinds, lines = _stream(source, language)
    if starter:
        # What is left once the starter's tokens are gone is fingerprinted as if the starter had
        # never been there.
        covered = _starter_covered(kinds, lines, starter, k)
        kinds = [kind for kind, starter_token in zip(kinds, covered) if not starter_token]
        lines = [line for line, starter_token in zip(lines, covered) if not starter_token]
    hashes = _kgram_hashes(kinds, k)
    chosen = [(hashes[p], p) for p in _winnow(hashes, w)]
    return _Prepared(kinds, lines, chosen, frozenset(value for value, _ in chosen))


def compare(
    a_source: str, b_source: str, language: str, *, k: int = DEFAULT_K, w: int = DEFAULT_W, ignore: str = ""
) -> Comparison:
    """How much code two submissions share, and where. `ignore` is the starter code every
    candidate was given: it counts on neither side, nor does it appear in the regions."""
    starter = _starter(ignore, language, k)
    return _compare(_prepare(a_source, language, k, w, starter), _prepare(b_source, language, k, w, starter), k)


def _compare(a: _Prepared, b: _Prepared, k: int) -> Comparison:
    shared = a.hashes & b.hashes
    smaller = min(len(a.hashes), len(b.hashes))
    return Comparison(
        score=len(shared) / smaller if smaller else 0.0,
        shared=len(shared),
        a_fingerprints=len(a.hashes),
        b_fingerprints=len(b.hashes),
        regions=_regions(a, b, shared, k),
    )


def _regions(a: _Prepared, b: _Prepared, shared: frozenset[bytes], k: int) -> list[Region]:
    """Shared fingerprints are seeds; each grows into the longest identical token run through
    it, the runs are tiled longest first so no token is claimed twice (repetitive code matches
    in many ways), and the tiles become line ranges."""
    a_kinds, b_kinds = a.kinds, b.kinds
    a_at: dict[bytes, list[int]] = defaultdict(list)
    b_at: dict[bytes, list[int]] = defaultdict(list)
    for value, position in a.chosen:
        if value in shared:
            a_at[value].append(position)
    for value, position in b.chosen:
        if value in shared:
            b_at[value].append(position)

    runs: list[tuple[int, int, int]] = []  # (a position, b position, length)
    grown: dict[int, list[tuple[int, int]]] = defaultdict(list)  # diagonal -> a intervals already grown
    for value, a_positions in a_at.items():
        b_positions = b_at[value]
        # A k-gram repeated many times on both sides would pair every copy with every other.
        seeds = (product(a_positions, b_positions) if len(a_positions) * len(b_positions) <= 64
                 else zip(a_positions, b_positions))
        for i, j in seeds:
            diagonal = j - i
            if any(start <= i < end for start, end in grown[diagonal]):
                continue
            if a_kinds[i:i + k] != b_kinds[j:j + k]:  # a hash collision, not a match
                continue
            start, end = i, i + k
            while start > 0 and start + diagonal > 0 and a_kinds[start - 1] == b_kinds[start - 1 + diagonal]:
                start -= 1
            while end < len(a_kinds) and end + diagonal < len(b_kinds) and a_kinds[end] == b_kinds[end + diagonal]:
                end += 1
            grown[diagonal].append((start, end))
            runs.append((start, start + diagonal, end - start))

    a_used, b_used = bytearray(len(a_kinds)), bytearray(len(b_kinds))
    regions = []
    for i, j, length in sorted(runs, key=lambda run: (-run[2], run[0], run[1])):
        t = 0
        while t < length:
            if a_used[i + t] or b_used[j + t]:
                t += 1
                continue
            u = t
            while u < length and not a_used[i + u] and not b_used[j + u]:
                u += 1
            if u - t >= k:
                a_used[i + t:i + u] = b"\x01" * (u - t)
                b_used[j + t:j + u] = b"\x01" * (u - t)
                regions.append(Region(_first_line(a.lines, i + t, i + u), a.lines[i + u - 1],
                                      _first_line(b.lines, j + t, j + u), b.lines[j + u - 1]))
            t = u
    return _merge(sorted(regions))


def _first_line(lines: list[int], start: int, end: int) -> int:
    """The line a match over tokens start..end begins on. A match that picks up only the tail of
    its first line (the end of the statement before an insertion, say) begins on the next."""
    first = lines[start]
    if start == 0 or lines[start - 1] != first:
        return first
    return next((line for line in lines[start:end] if line != first), first)


def _merge(regions: list[Region]) -> list[Region]:
    """Regions that overlap or touch on both sides are one region."""
    merged: list[Region] = []
    for region in regions:
        last = merged[-1] if merged else None
        if last and region.a_start <= last.a_end + 1 and last.b_start - 1 <= region.b_start <= last.b_end + 1:
            merged[-1] = Region(last.a_start, max(last.a_end, region.a_end),
                                min(last.b_start, region.b_start), max(last.b_end, region.b_end))
        else:
            merged.append(region)
    return merged


def similar_pairs(
    submissions: Sequence[tuple[K, str]],
    language: str,
    *,
    threshold: float = 0.6,
    ignore: str = "",
    k: int = DEFAULT_K,
    w: int = DEFAULT_W,
) -> list[Pair[K]]:
    """Every pair of submissions whose `compare` score is at least `threshold` (and that share
    anything at all), highest first, ties in input order. Exactly the pairs comparing every
    pair would find, without comparing every pair."""
    starter = _starter(ignore, language, k)
    prepared = [_prepare(source, language, k, w, starter) for _, source in submissions]
    sizes = [len(p.hashes) for p in prepared]

    postings: dict[bytes, list[int]] = defaultdict(list)
    for index, p in enumerate(prepared):
        for value in p.hashes:
            postings[value].append(index)

    # Fingerprints most submissions have (idioms, starter code nobody listed) would make every
    # pair a candidate; they are only counted per submission, which bounds what they add to a pair.
    common_limit = max(20, isqrt(len(prepared)))
    common = [0] * len(prepared)
    rare_shared: Counter[tuple[int, int]] = Counter()
    for holders in postings.values():
        if len(holders) > common_limit:
            for index in holders:
                common[index] += 1
        elif len(holders) > 1:
            rare_shared.update(combinations(holders, 2))

    candidates = {
        (x, y) for (x, y), rare in rare_shared.items()
        if (rare + min(common[x], common[y])) / min(sizes[x], sizes[y]) >= threshold
    }
    # A pair sharing no rare fingerprint can still reach the threshold when the smaller of the
    # two is mostly common fingerprints.
    for x in range(len(prepared)):
        if sizes[x] and common[x] / sizes[x] >= threshold:
            candidates.update(
                (min(x, y), max(x, y)) for y in range(len(prepared)) if y != x and sizes[y] >= sizes[x]
            )

    found = []
    for x, y in candidates:
        shared = len(prepared[x].hashes & prepared[y].hashes)
        if shared and shared / min(sizes[x], sizes[y]) >= threshold:
            found.append((x, y, _compare(prepared[x], prepared[y], k)))
    found.sort(key=lambda pair: (-pair[2].score, pair[0], pair[1]))
    return [Pair(submissions[x][0], submissions[y][0], comparison) for x, y, comparison in found]
