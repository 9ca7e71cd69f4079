"""The fast path for whole auditkit trails: DuckDB reads the JSON lines into columns, in C, on every core.

Taken only for a file that is entirely auditkit format v1 and clean: a file whose first record is
not a ``trail_start``, that holds a second trail start, a line DuckDB cannot parse, or a blank or
partial line (the row count differs from the line count) returns None, and ``load()`` reads it
line by line instead, reporting each problem with its line number. The result is the same frame.
A gzipped segment (what ``auditkit archive`` writes) is read the same way, DuckDB inflating it.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.loading import duckread
from auditkit.loading.columns import COLUMNS
from auditkit.loading.duckread import _COLUMNS as _COLUMNS  # (tests/test_schema.py reads it here)
from auditkit.loading.jsoncolumn import POOL, JSONArray
from auditkit.loading.readers import auditkit_trail
from auditkit.store.files import GZIP_ERRORS
from auditkit.store.jsontext import record_loads
from auditkit.trail import format as tf

MIN_BYTES = duckread.MIN_BYTES  # below this the line-by-line reader is as fast (a gzipped file: an eighth of it)


def read(path: Path, batch_rows: int = 100000, started: duckread.Reading | None = None) -> list[pd.DataFrame] | None:
    """The file as one frame of the normalised columns in their documented types (as
    :func:`auditkit.loading.columns.typed` gives them), in a list, or None when the fast path does not apply.

    DuckDB hands its rows over in batches of ``batch_rows`` (:class:`.duckread.Reading`, begun here or, by
    ``load()`` before it imported pandas, given as ``started``); each batch's columns are copied (or encoded)
    into the frame's own buffers as it comes, so that DuckDB's batches never pile up.
    """
    reading = started if started is not None and started.path == path else duckread.start(path, batch_rows)
    if reading is None:
        return None
    taken = _Batches(reading.trail_id)
    try:
        taken.take(reading)
    except (OSError, ValueError):  # (Arrow's errors, taking a batch apart): read by line
        taken.clean = False
    finally:
        reading.close()
    if not taken.clean or reading.failed:
        return None
    try:
        n_lines, ends_nl = reading.counted.result()
    except GZIP_ERRORS:
        return None  # a damaged archive: the line reader says where
    if not ends_nl or taken.rows != n_lines or taken.starts != 1:
        return None  # a blank or partial line (the line reader says which), or a second trail start
    try:
        return [taken.frame(reading.trail_id, str(path))]
    except ValueError:  # a text column's value DuckDB's reader took and Python's refuses ("error": nan, [inf], an
        return None  # integer of more digits than Python converts): the line reader says which line


#: Columns the frame builds without DuckDB (all rows alike, or never filled by an auditkit trail).
_MADE = frozenset({"trail_id", "source_format", "source_file", "source_line"})


class _Batches:
    """DuckDB's batches, taken column by column into buffers of the frame's own as each arrives.

    An Arrow batch imported from DuckDB is freed as a whole, when its last column is: a column kept as it
    came (``host``, ``hash``, ...) would keep every byte of its batch alive, spare capacity and the columns
    converted or dropped included (1M events: 1.30 GB peak, against 1.08). So each kept column is copied
    (names dictionary-encoded, which copies too), and the batch goes; a column that holds nothing in a batch
    (most of a hook trail's, in every batch) is only counted. :meth:`frame` then makes each pandas column
    once, from all its batches.
    """

    def __init__(self, trail_id: object = None) -> None:
        # each event's id is "<trail id>:<seq>" in a trail that names its id (else its hash, from DuckDB)
        self.id_prefix = f"{trail_id}:" if trail_id else None
        self.rows = self.starts = 0
        self.clean = True  # every batch so far a clean one
        self.sizes: list[int] = []  # each batch's rows
        self.nulls = pa.nulls(0, pa.large_string())
        self.times: list[pd.Series] = []
        self.columns: dict[str, list[pa.Array | None]] = {}  # None: a batch's column held nothing

    def take(self, reading: duckread.Reading) -> None:
        """Take each batch handed over until None; after one that is not clean (``clean`` False) or one that
        raises (raised here at the end), DuckDB is stopped and the rest let go of unread."""
        error: Exception | None = None
        while (batch := reading.next()) is not None:
            if self.clean and error is None:
                try:
                    self.clean = self.add(batch)
                except Exception as exc:  # raised below, once the queue is drained
                    error = exc
                if not self.clean or error is not None:
                    reading.stop()  # the line reader reads the file (or reads it as it reads any value)
        if error is not None:
            raise error

    def add(self, batch: pa.RecordBatch) -> bool:
        """Take one batch; False when a row is not clean (the line reader reads the file)."""
        cols = _columns(batch)
        if not _clean(cols) or _input_twice(cols["input"]):
            return False
        for name, col in cols.items():
            if name == "timestamp":  # the hook's shape read by Arrow, any other by pandas (as the line reader)
                times = _hook_times(col)
                if times is None:
                    if _odd_word(col):
                        return False
                    times = pd.to_datetime(col.to_pandas(), utc=True, errors="coerce", format="ISO8601")
                self.times.append(times)
            elif name not in _CHECKED_ONLY:
                own = None if col is None else _own(col, _KIND.get(name))
                if own is not None and name in _NAMES_READ and _odd_name(own.dictionary):
                    return False
                if own is not None and name == "event":
                    self.starts += _count_word(own, tf.TRAIL_START)
                if name == "seq" and self.id_prefix is not None:  # (never missing in a clean batch)
                    self.columns.setdefault("event_id", []).append(_event_ids(self.id_prefix, own.to_numpy()))
                self.columns.setdefault(name, []).append(own)
        self.rows += batch.num_rows
        self.sizes.append(batch.num_rows)
        return True

    def frame(self, trail_id: str | None, source: str) -> pd.DataFrame:
        """The frame's columns, in order, typed as :func:`auditkit.loading.columns.typed` types them."""
        n = self.rows
        self.nulls = pa.nulls(n, pa.large_string())  # what every empty string column holds
        out: dict[str, pd.Series] = {}
        with ThreadPoolExecutor(1) as pool:  # the JSON columns joined on a thread of their own (Arrow lets go of
            joined = {  # the GIL) while this one makes the others: ~40 ms of a million-event load's serial end
                f.column: pool.submit(_json_column, self.columns.pop(f.column, []), self.sizes, self.nulls)
                for f in tf.SCHEMA
                if f.kind == "nested"
            }
            for f in tf.SCHEMA:
                c = f.column
                if f.kind == "time":
                    out[c] = pd.concat(self.times, ignore_index=True)
                elif f.kind == "text":
                    out[c] = _text(self._take(f"_{c}_text", "string"), self._take(f"_{c}_json", "string"))
                elif f.kind != "nested" and c not in _MADE:
                    out[c] = self._take(c, f.kind)
            out |= {c: done.result() for c, done in joined.items()}
        capture = out["capture"]
        words = [auditkit_trail.source_format_of(w) for w in [*capture.cat.categories, None]]
        codes = capture.cat.codes.to_numpy()
        out["source_format"] = _categorical(words, np.where(codes < 0, len(words) - 1, codes))
        # (a forged trail start may name a number, a list ... as its id: the column shows its text, as the line
        # reader's does)
        out["trail_id"] = _repeat(None if trail_id is None else str(trail_id), self.sizes)
        out["source_file"] = _repeat(source, self.sizes)
        out["source_line"] = _series(pd.arrays.IntegerArray(np.arange(1, n + 1, dtype=np.int64), np.zeros(n, bool)))
        return pd.DataFrame({c: out[c] for c in COLUMNS}, copy=False)

    def _take(self, name: str, kind: str) -> pd.Series:
        """Column ``name``'s batches as one pandas column of its kind (let go of here)."""
        taken = self.columns.pop(name, [])
        if all(chunk is None for chunk in taken):  # a column this trail never fills (most, in most trails)
            return _empty(kind, self.rows, self.nulls)
        arrow_type = _NAMES if kind == "category" else _ARROW_TYPES[kind]
        chunks = [pa.nulls(n, arrow_type) if c is None else c for c, n in zip(taken, self.sizes, strict=True)]
        if kind == "category":
            encoded = pa.chunked_array(chunks, _NAMES).unify_dictionaries()
            codes = [pc.fill_null(chunk.indices, -1).to_numpy() for chunk in encoded.iterchunks()]
            return _categorical(encoded.chunk(0).dictionary.to_pylist(), np.concatenate(codes))
        if kind == "count":
            return _series(_integers(chunks, self.rows))
        # (a types_mapper would send strings through Python objects: 1.5 s a million)
        return pa.chunked_array(chunks, _ARROW_TYPES[kind]).to_pandas()


def _json_column(taken: list[pa.Array | None], sizes: list[int], nulls: pa.Array) -> pd.Series:
    """A JSON column's batches (None: a batch holding none of it) as one :class:`JSONArray` column."""
    if all(chunk is None for chunk in taken):
        return _series(JSONArray(nulls))
    chunks = [pa.nulls(n, pa.large_string()) if c is None else c for c, n in zip(taken, sizes, strict=True)]
    return _series(JSONArray(pa.concat_arrays(chunks, memory_pool=POOL)))


def _integers(chunks: list[pa.Array], n: int) -> pd.arrays.IntegerArray:
    """A count column's int64 batches as one pandas ``Int64`` array, written into its two numpy arrays (pandas'
    ``__from_arrow__`` converts each batch, then joins them: ~35 ms a column of the serial tail)."""
    values, missing, at = np.empty(n, np.int64), np.zeros(n, np.bool_), 0
    for chunk in chunks:
        end = at + len(chunk)
        if chunk.null_count:
            missing[at:end] = chunk.is_null().to_numpy(zero_copy_only=False)
            chunk = pc.fill_null(chunk, 0)
        values[at:end] = chunk.to_numpy()
        at = end
    return pd.arrays.IntegerArray(values, missing)


def _series(values: object) -> pd.Series:
    """A column over ``values`` as they are (pandas' constructor copies an array it is given: 0.2 s a load)."""
    return pd.Series(values, copy=False)


def _empty(kind: str, n: int, nulls: pa.Array) -> pd.Series:
    """A column of ``n`` missing values of its kind (string columns share ``nulls``: an Arrow array cannot
    change, and each of these columns is replaced, never written into, when a value is set)."""
    if kind == "category":
        return _series(pd.Categorical.from_codes(np.full(n, -1, np.int8), dtype=_NO_WORDS, validate=False))
    if kind == "count":  # (np.zeros takes no memory until written)
        return _series(pd.arrays.IntegerArray(np.zeros(n, np.int64), np.ones(n, bool)))
    if kind == "float":
        return _series(np.full(n, np.nan))
    return nulls.to_pandas()


_NO_WORDS = pd.CategoricalDtype(pd.Index([], dtype="str"))


def _categorical(words: list[str | None], codes: np.ndarray) -> pd.Series:
    """A pandas categorical of ``words[code]`` (-1, or a word that is None: missing) whose categories are
    sorted, as pandas' ``astype("category")`` makes them."""
    cats = sorted({w for w in words if w is not None})
    place = {w: i for i, w in enumerate(cats)}
    remap = np.array([place.get(w, -1) if w is not None else -1 for w in words] + [-1], dtype=np.int32)
    return _series(pd.Categorical.from_codes(remap[codes], dtype=pd.CategoricalDtype(pd.Index(cats, dtype="str"))))


def _repeat(value: str | None, sizes: list[int]) -> pd.Series:
    """A str column holding one value (or none) in every row, in chunks of ``sizes`` rows: each chunk a slice
    of one array of the largest size (an Arrow array cannot change: a value set replaces the column's
    array), not the value written a million times (48 MB and ~20 ms for a file name)."""
    n = sum(sizes)
    if value is None:
        return pa.nulls(n, pa.large_string()).to_pandas()
    most, text = max(sizes, default=0), value.encode()  # (built from its buffers: pa.repeat takes 4x as long)
    offsets = np.arange(most + 1, dtype=np.int64) * len(text)
    one = pa.LargeStringArray.from_buffers(most, pa.py_buffer(offsets), pa.py_buffer(text * most))
    return pa.chunked_array([one.slice(0, size) for size in sizes], pa.large_string()).to_pandas()


_NAMES = pa.dictionary(pa.int32(), pa.large_string())
_KIND = {f.column: f.kind for f in tf.SCHEMA}
_ARROW_TYPES = {"string": pa.large_string(), "text": pa.large_string(), "nested": pa.large_string(),
                "category": pa.large_string(), "count": pa.int64(), "float": pa.float64()}  # fmt: skip


def _own(column: pa.Array, kind: str | None) -> pa.Array | None:
    """A batch's column in buffers of its own (names dictionary-encoded), or None when it holds nothing."""
    if column.null_count == len(column):
        return None
    if kind == "category":
        return pc.dictionary_encode(column, memory_pool=POOL)
    if kind == "count":  # the doubles DuckDB read, whole numbers below 2**53 (_clean): a cast copies
        return pc.cast(column, pa.int64(), memory_pool=POOL)
    return _copy(column)


def _copy(array: pa.Array) -> pa.Array:
    """The same values in new buffers."""
    return pa.concat_arrays([array, array.slice(0, 0)], memory_pool=POOL)  # concatenating always allocates


#: Columns of DuckDB's batches only checked (:func:`_clean`), not kept.
_CHECKED_ONLY = frozenset({"v", "_twice"})
#: NaN and Infinity, which JSON has not: DuckDB's reader (yyjson) takes them in any case, "-" signed or not
#: (nan, -INF, infinity ...), Python's json only as NaN, Infinity and -Infinity (the line reader keeps those
#: marked and finds no JSON in the others). In a column read as a name DuckDB leaves their text, so a batch
#: holding one goes to the line reader (compared lower-cased).
_ODD_WORDS = pa.array(["nan", "-nan", "inf", "-inf", "infinity", "-infinity"], pa.large_string())
_ODD_LENGTHS = sorted({len(w) for w in _ODD_WORDS.to_pylist()})
_RAW_NAME = {f.column: f.record for f in tf.SCHEMA if f.record and not f.sub}
#: The frame's columns DuckDB reads as names (VARCHAR, or an object's key: effort's level): categories are checked
#: by their words once encoded, strings here, times when pandas parses them.
_NAMES_READ = frozenset(f.column for f in tf.SCHEMA if f.record and f.kind == "category")
_STRINGS_READ = tuple(c for c, r in _RAW_NAME.items() if _COLUMNS[r] == "VARCHAR" and _KIND[c] == "string")
_COUNTS_READ = tuple(c for c, r in _RAW_NAME.items() if _KIND[c] == "count")
_FLOATS_READ = tuple(c for c, r in _RAW_NAME.items() if _KIND[c] == "float")
_EXACT = float(2**53)  # a double holds every whole number below this exactly


def _columns(batch: pa.RecordBatch) -> dict[str, pa.Array | None]:
    """A batch's columns by name, the rare ones taken out of ``_rare`` (None: the batch has no value of it)."""
    cols: dict[str, pa.Array | None] = dict(zip(batch.schema.names, batch.columns, strict=True))
    return cols | _unpack(cols.pop("_rare"))


def _unpack(rare: pa.Array) -> dict[str, pa.Array | None]:
    """The columns packed in ``_rare`` (:data:`.duckread.RARE`: a list holding one struct in each row that has
    any of them), each as long as the batch; None for all of them when no row has any (most batches)."""
    if rare.null_count == len(rare):
        return dict.fromkeys(duckread.RARE_OUTPUTS)
    held = rare.is_valid().to_numpy(zero_copy_only=False)
    at = np.zeros(len(rare), np.int64)
    at[held] = np.arange(int(held.sum()))  # each row's struct (one a row), or none
    where = pa.array(at, mask=~held)
    fields = rare.flatten().flatten()  # (the structs' fields, their offsets and validity accounted for)
    return {name: pc.take(col, where) for name, col in zip(duckread.RARE_OUTPUTS, fields, strict=True)}


def _clean(cols: dict[str, pa.Array | None]) -> bool:
    """Every row of a batch (its ``cols``) a whole v1 record (``v`` 1, a ``seq`` and a ``hash``) the line reader
    reads alike: no object holding a read key twice, counts whole numbers a double holds exactly, no NaN or
    Infinity where a number or a name belongs. A column that holds nothing in the batch is not looked at."""
    v, seq, hashes, twice = cols["v"], cols["seq"], cols["hash"], cols["_twice"]
    assert v is not None and seq is not None and hashes is not None and twice is not None  # (never packed)
    if v.null_count or seq.null_count or hashes.null_count:
        return False
    if not pc.all(pc.equal(v, float(tf.SCHEMA_VERSION))).as_py() or pc.any(twice).as_py():
        return False
    for name in _COUNTS_READ:  # (NaN and Infinity are no whole number below 2**53)
        col = cols[name]
        if col is not None and col.null_count < len(col):
            whole = pc.and_(pc.less(pc.abs(col), _EXACT), pc.equal(col, pc.floor(col)))
            if not pc.all(whole).as_py():
                return False
    for name in _FLOATS_READ:
        col = cols[name]
        if col is not None and col.null_count < len(col) and not pc.all(pc.is_finite(col)).as_py():
            return False
    return not any(_odd_word(cols[name]) for name in _STRINGS_READ)


def _event_ids(prefix: str, seq: np.ndarray) -> pa.Array:
    """``prefix`` followed by each seq in decimal, as DuckDB's ``$trail || ':' || seq::BIGINT`` wrote it: Arrow's
    cast of the numbers to text, joined to the prefix (~40 ms a million rows, where DuckDB's concatenation cost
    ~0.2 s of its read and numpy's digit grid ~0.1 s)."""
    digits = pc.cast(pa.array(seq, pa.int64()), pa.large_string(), memory_pool=POOL)
    return pc.binary_join_element_wise(pa.scalar(prefix, pa.large_string()), digits, _NOTHING, memory_pool=POOL)


_NOTHING = pa.scalar("", pa.large_string())


_READ = "|".join(auditkit_trail.READ_KEYS["tool_input"])
#: Two of the keys load() reads from a tool input, in its compact text (auditkit_trail.key_twice_sql's pattern).
_TWO_READ_KEYS = f'"(?:{_READ})":.*"(?:{_READ})":'


class _Pairs(list):
    """An object's (key, value) pairs, in order, as parsed (json's ``object_pairs_hook``)."""


def _input_twice(inputs: pa.Array) -> bool:
    """Whether a tool input of the batch is an object holding one key twice when it holds two of the read keys'
    names (as ``auditkit_trail.key_twice_sql`` tells it in SQL): DuckDB's paths read a key's first value, the
    line reader its last. Arrow's RE2 finds the few inputs naming two (~0.1 s a million, beside DuckDB's read,
    where the same check in its SQL cost it ~0.25 s); only their top-level keys are compared. Text that does not
    parse answers True (the line reader reads the file)."""
    if inputs.null_count == len(inputs):
        return False
    named = pc.match_substring_regex(inputs, _TWO_READ_KEYS)
    for text in inputs.filter(pc.fill_null(named, False)).to_pylist():
        try:
            pairs = json.loads(text, object_pairs_hook=_Pairs)
        except (ValueError, RecursionError):
            return True
        if isinstance(pairs, _Pairs) and len({key for key, _ in pairs}) != len(pairs):
            return True
    return False


def _odd_word(column: pa.Array | None) -> bool:
    """Whether a ``large_string`` column holds NaN or Infinity in any of DuckDB's spellings, an object's or a list's
    text, or a number longer than the digits Python's json converts: told by each value's length (from the
    offsets) and first byte, the few values that may be one compared (no pass over the text)."""
    if column is None:
        return False
    n = len(column)
    text = column.buffers()[2]
    if column.null_count == n or text is None or not text.size:
        return False
    offsets = np.frombuffer(column.buffers()[1], np.int64, n + 1, column.offset * 8)
    lengths = np.diff(offsets)
    first = _FIRST[np.frombuffer(text, np.uint8).take(offsets[:-1], mode="clip")]
    if ((first == _OPENS) & (lengths > 0)).any():
        return True
    maybe = first == _MAY_BE_WORD
    if maybe.any() and (maybe := maybe & _odd_length(lengths)).any():
        words = pc.ascii_lower(column.filter(pa.array(maybe)), memory_pool=POOL)
        if pc.any(pc.is_in(words, value_set=_ODD_WORDS)).as_py():
            return True
    long = lengths > (sys.get_int_max_str_digits() or 1 << 62)  # an integer Python's json refuses to convert
    return bool(long.any() and pc.any(pc.match_substring_regex(column.filter(pa.array(long)), "^-?[0-9]")).as_py())


def _odd_length(lengths: np.ndarray) -> np.ndarray:
    maybe = lengths == _ODD_LENGTHS[0]
    for length in _ODD_LENGTHS[1:]:
        maybe |= lengths == length
    return maybe


#: What a value's first byte may begin: an object's or a list's text (where a name or a string belongs, a forged
#: record's: DuckDB writes it as it was read, NaN, 1e400, a key given twice, \u001F, the line reader as Python does),
#: or an odd word (:data:`_ODD_WORDS`).
_OPENS, _MAY_BE_WORD = 1, 2
_FIRST = np.zeros(256, np.uint8)
_FIRST[np.frombuffer(b"{[", np.uint8)] = _OPENS
_FIRST[np.frombuffer(b"nNiI-", np.uint8)] = _MAY_BE_WORD


def _odd_name(words: pa.Array) -> bool:
    """Whether a name column's distinct words hold an odd word (:func:`_odd_word`) or a number other than an integer
    in Python's own digits (forged: ``"model": 1e400``, ``"effort": 1e300``, ``-0``): DuckDB writes such a number as
    it was read (a key of an object, effort's level) or leaves one past a double's range as it was, where the line
    reader writes Python's text of it (``1e+300``, ``0``, ``null`` for infinity)."""
    if _odd_word(words):
        return True
    numbers = words.filter(pc.fill_null(pc.match_substring_regex(words, _NUMBER), False))
    return not all(_python_integer(w) for w in numbers.to_pylist())


_NUMBER = "^-?[0-9][-+0-9.eE]*$"  # (JSON's numbers, and a little more)


def _python_integer(text: str) -> bool:
    try:
        return text.lstrip("-").isdigit() and str(int(text)) == text
    except ValueError:  # (past Python's 4300 digits: the line reader reports the line)
        return False


def _count_word(encoded: pa.DictionaryArray, word: str) -> int:
    """How many values of a dictionary-encoded column are ``word``."""
    where = encoded.dictionary.index(word).as_py()
    return 0 if where < 0 else int(pc.sum(pc.equal(encoded.indices, where)).as_py() or 0)


#: The hook's own time shape, ``2026-03-17T00:00:00.000000Z``: where each byte that is not a digit sits.
_HOOK_SHAPE = b"0000-00-00T00:00:00.000000Z"
_HOOK_DIGITS = np.array([i for i, b in enumerate(_HOOK_SHAPE) if b == ord("0")])
_HOOK_MARKS = np.array([i for i, b in enumerate(_HOOK_SHAPE) if b != ord("0")])
_HOOK_MARK_BYTES = np.frombuffer(bytes(_HOOK_SHAPE[i] for i in _HOOK_MARKS), np.uint8)


def _hook_times(column: pa.Array) -> pd.Series | None:
    """A batch's times, when every one is in the hook's own shape, parsed by Arrow (~3x faster than numpy's
    parse, ~8x pandas', and alike: a date a month has not, hour 24 or second 60 makes Arrow raise); else None,
    and pandas parses the batch as the line reader does."""
    n, size = len(column), len(_HOOK_SHAPE)
    if n == 0 or column.null_count or column.buffers()[2] is None:
        return None
    offsets = np.frombuffer(column.buffers()[1], np.int64, n + 1, column.offset * 8)
    if not (np.diff(offsets) == size).all():
        return None
    text = np.frombuffer(column.buffers()[2], np.uint8, n * size, int(offsets[0])).reshape(n, size)
    digits = text[:, _HOOK_DIGITS]
    digits -= ord("0")  # (unsigned: a byte below "0" wraps past 9)
    if (digits > 9).any() or not (text[:, _HOOK_MARKS] == _HOOK_MARK_BYTES).all():
        return None
    try:
        values = pc.cast(column, _UTC_MICROSECONDS, memory_pool=POOL)
    except (pa.ArrowInvalid, ValueError):
        return None
    return _series(pd.DatetimeIndex(values.to_numpy(zero_copy_only=False)).tz_localize("UTC"))


_UTC_MICROSECONDS = pa.timestamp("us", "UTC")


def _text(strings: pd.Series, other: pd.Series) -> pd.Series:
    """A text column: JSON strings as they are, any other JSON value as compact JSON text."""
    if other.isna().all():
        return strings
    strings = strings.copy()
    where = other.notna()
    # 30 digits stay exact; NaN and Infinity (DuckDB reads them) marked as the line reader marks them
    strings[where] = [auditkit_trail.text_of(record_loads(v)) for v in other[where]]
    return strings
