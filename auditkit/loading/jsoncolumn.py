"""A pandas column of JSON values kept as their text and parsed when read: ``input``, ``response``,
``data`` and ``truncated`` in the frame ``load()`` returns.

A million tool inputs as Python dicts cost ~200 MB and a second of parsing before anyone looks at
them; most analyses read a few columns of strings and times and never open them. So the frame holds
each value as compact JSON text in one Arrow array, and a value becomes a dict (or list, string,
number) when it is read: ``df.input.iloc[0]``, iterating, ``.tolist()``, ``.map``, ``.apply``,
``astype(object)``, a row from ``df.loc[i]`` or ``itertuples()``. Selecting, sorting, filtering and
joining rows move the text, never parse it. ``JSONArray.texts()`` gives the text itself, for SQL,
export or shipping.

Where a user would treat the column as text, it is its JSON text: ``df.input.str.contains("rm -rf")``,
``.str.len()``, ``.str.extract(...)`` and every other element-wise ``.str`` method run on each value's
compact JSON (``{"command":"ls"}``) and keep the index; ``df.input.astype("string")`` is that text as a
column. (``.str.cat`` reads the parsed values, not the text: use ``.astype("string").str.cat``.)

Missing values are ``None`` (JSON ``null`` in a record reads as missing too, as it always has).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.extensions import ExtensionArray, ExtensionDtype, register_extension_dtype
from pandas.api.types import is_list_like, is_scalar

from auditkit.store.jsontext import compact_json, record_loads

#: Where a load's Arrow buffers come from (JSON columns joined here, batches copied and encoded by
#: :mod:`auditkit.loading.columnar`): the C library's malloc, which keeps freed pages for the next
#: batch. pyarrow's default pool (mimalloc or jemalloc) hands them back to the kernel and faults them
#: in again, batch after batch: ~0.6 s of a 3 s million-event load, half its system time (benchmarks/load.py).
POOL = pa.system_memory_pool()

__all__ = ["JSONArray", "JSONDtype", "dumps", "loads"]


def loads(text: str | bytes) -> Any:
    """Parse one value exactly (:func:`auditkit.store.jsontext.record_loads`: integers past 64 bits stay integers;
    NaN, Infinity and lone surrogates, which DuckDB's reader lets through, in the hook's marked forms)."""
    return record_loads(text)


def dumps(value: Any) -> str | None:
    """One value as compact JSON text (None for a missing value)."""
    return None if _missing(value) else compact_json(value)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


@register_extension_dtype
class JSONDtype(ExtensionDtype):
    """The dtype of a :class:`JSONArray`: shown as ``json``."""

    name = "json"
    # str, not object: pandas then lets ``.str`` at the column (its methods run on the JSON text, see
    # JSONArray.__getattr__); the scalar a user reads is still the parsed value
    type = str
    kind = "O"
    na_value = None

    @classmethod
    def construct_array_type(cls) -> builtins.type[JSONArray]:  # `type` is the dtype's scalar type here
        return JSONArray

    @classmethod
    def construct_from_string(cls, string: str) -> JSONDtype:
        if string == cls.name:
            return cls()
        raise TypeError(f"Cannot construct a 'JSONDtype' from '{string}'")


class JSONArray(ExtensionArray):
    """JSON values as text in an Arrow ``large_string`` array (null: missing), parsed one by one when read."""

    _dtype = JSONDtype()
    __array_priority__ = 1000

    def __init__(self, texts: pa.Array | pa.ChunkedArray) -> None:
        if isinstance(texts, pa.ChunkedArray):
            texts = pa.concat_arrays(texts.chunks) if texts.num_chunks else pa.array([], pa.large_string())
        if texts.type != pa.large_string():
            texts = texts.cast(pa.large_string())
        self._texts = texts

    # --- making one ---------------------------------------------------------------------------

    @classmethod
    def from_values(cls, values: Iterable[Any]) -> JSONArray:
        """From Python values (dicts, lists, strings, numbers; None, NaN or NA for missing)."""
        return cls(pa.array([dumps(v) for v in values], type=pa.large_string()))

    @classmethod
    def from_texts(cls, texts: Iterable[str | None] | pa.Array) -> JSONArray:
        """From JSON texts, trusted to be valid JSON (None for missing)."""
        if isinstance(texts, (pa.Array, pa.ChunkedArray)):
            return cls(texts)
        return cls(pa.array(list(texts), type=pa.large_string()))

    @classmethod
    def _from_sequence(cls, scalars: Any, *, dtype: Any = None, copy: bool = False) -> JSONArray:
        if isinstance(scalars, JSONArray):
            return cls(scalars._texts)  # a new array over the same (immutable) text: setting one leaves the other
        return cls.from_values(scalars)

    @classmethod
    def _from_factorized(cls, values: np.ndarray, original: JSONArray) -> JSONArray:
        return cls.from_texts(values.tolist())

    @classmethod
    def _concat_same_type(cls, to_concat: Sequence[JSONArray]) -> JSONArray:
        return cls(pa.concat_arrays([a._texts for a in to_concat], memory_pool=POOL))

    # --- reading it ---------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        """``Series.str``'s methods (``_str_contains``, ``_str_len``, ...) run on the JSON text."""
        if name.startswith("_str_"):
            return getattr(self.astype(pd.StringDtype()), name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def texts(self) -> pa.Array:
        """The values' JSON text (an Arrow ``large_string`` array, null where missing)."""
        return self._texts

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, (int, np.integer)):
            n = len(self._texts)
            i = int(item) + n if item < 0 else int(item)
            if not 0 <= i < n:
                raise IndexError(f"index {item} is out of bounds for a column of {n}")
            text = self._texts[i].as_py()
            return None if text is None else loads(text)
        if isinstance(item, slice):
            return type(self)(self._texts[item])
        item = pd.api.indexers.check_array_indexer(self, item)
        if item.dtype == bool:
            return type(self)(self._texts.filter(pa.array(item)))
        return type(self)(self._texts.take(pa.array(item)))

    def __iter__(self) -> Iterator[Any]:
        for text in self._texts.to_pylist():
            yield None if text is None else loads(text)

    def __len__(self) -> int:
        return len(self._texts)

    @property
    def dtype(self) -> JSONDtype:
        return self._dtype

    @property
    def nbytes(self) -> int:
        return self._texts.nbytes

    def isna(self) -> np.ndarray:
        return self._texts.is_null().to_numpy(zero_copy_only=False)

    def to_numpy(self, dtype: Any = None, copy: bool = False, na_value: Any = None) -> np.ndarray:
        out = np.empty(len(self), dtype=object)
        out[:] = [na_value if v is None else v for v in self]
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.to_numpy()

    def __arrow_array__(self, type: Any = None) -> pa.Array:
        return self._texts

    def astype(self, dtype: Any, copy: bool = True) -> Any:
        dtype = pd.api.types.pandas_dtype(dtype)
        if isinstance(dtype, JSONDtype):
            return type(self)(self._texts) if copy else self
        if dtype == np.dtype(object):
            return self.to_numpy()
        if isinstance(dtype, pd.StringDtype):
            return pd.array(self._texts.to_pylist(), dtype=dtype)
        return super().astype(dtype, copy=copy)

    def __eq__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        if isinstance(other, (pd.Series, pd.Index, pd.DataFrame)):
            return NotImplemented
        if isinstance(other, JSONArray):
            return pc.fill_null(pc.equal(self._texts, other._texts), False).to_numpy(zero_copy_only=False)
        if is_list_like(other) and not isinstance(other, (dict, str)):
            return np.array([a == b for a, b in zip(self, other, strict=True)], dtype=bool)
        return np.array([v == other for v in self], dtype=bool)

    def __ne__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else ~eq

    # --- changing it --------------------------------------------------------------------------

    def take(self, indices: Sequence[int], *, allow_fill: bool = False, fill_value: Any = None) -> JSONArray:
        idx = np.asarray(indices, dtype=np.int64)
        if not allow_fill:
            idx = np.where(idx < 0, idx + len(self), idx)
            if len(idx) and (idx.min() < 0 or idx.max() >= len(self)):
                raise IndexError("index out of bounds")
            return type(self)(self._texts.take(pa.array(idx)))
        if len(idx) and (idx < -1).any():
            raise ValueError("only -1 marks a value to fill")
        if len(idx) and idx.max(initial=-1) >= len(self):
            raise IndexError("index out of bounds")
        taken = self._texts.take(pa.array(idx, mask=idx < 0))
        if not _missing(fill_value):
            taken = pc.if_else(pa.array(idx < 0), pa.scalar(dumps(fill_value), pa.large_string()), taken)
        return type(self)(taken)

    def copy(self) -> JSONArray:
        return type(self)(self._texts)  # Arrow arrays never change: sharing one is a copy

    def __setitem__(self, key: Any, value: Any) -> None:
        key = pd.api.indexers.check_array_indexer(self, key)
        texts = np.array(self._texts.to_pylist(), dtype=object)
        if is_scalar(key) or (isinstance(key, np.ndarray) and key.ndim == 0):
            texts[key] = dumps(value)
        else:
            n = len(texts[key])
            if isinstance(value, JSONArray):
                new = value._texts.to_pylist()
            elif isinstance(value, (list, np.ndarray, pd.Series, ExtensionArray)) and len(value) == n:
                new = [dumps(v) for v in value]
            else:
                new = [dumps(value)] * n
            texts[key] = new if len(new) != 1 else new[0]
        self._texts = pa.array(texts.tolist(), type=pa.large_string())

    def _cast_pointwise_result(self, values: Any) -> Any:
        """What ``map`` or ``apply`` gave, typed as pandas infers it (bools stay bools, not JSON)."""
        return pd.Series(np.asarray(values, dtype=object), copy=False).infer_objects()._values

    def _values_for_factorize(self) -> tuple[np.ndarray, Any]:
        return np.array(self._texts.to_pylist(), dtype=object), None

    def _values_for_argsort(self) -> np.ndarray:
        return np.array(["" if t is None else t for t in self._texts.to_pylist()], dtype=object)

    def _formatter(self, boxed: bool = False) -> Any:
        return repr
