"""Parse MLflow search filters and order_by clauses into a small typed AST.

The filter language is MLflow's (``metrics.acc > 0.9 AND tags.team = 'ml'``) extended with OR and
parentheses; AND binds tighter than OR. A hand-written tokenizer feeds a recursive-descent parser:

    filter     := or_expr
    or_expr    := and_expr ( OR and_expr )*
    and_expr   := primary ( AND primary )*
    primary    := "(" or_expr ")" | comparison
    comparison := identifier ( symbol value | LIKE string | ILIKE string
                             | [NOT] IN "(" string ( "," string )* [","] ")" | IS [NOT] NULL )
    identifier := prefix "." key | attribute-name
    order_by   := identifier [ ASC | DESC ]

What each endpoint may name is described by a :class:`Grammar` (see
:mod:`shipyard.domain.search_grammars`, which also lists where we accept more than MLflow).

Quoted strings and keys take ``'...'``, ``"..."`` or (keys only) backticks. Inside them a doubled
quote stands for one, and a backslash escapes a quote, a backtick or a backslash; any other
backslash is kept as written, so LIKE escapes (``\\%``) and Windows paths survive unchanged.

Every grammar violation raises :class:`InvalidParameter` naming the problem and the offending token
with its 0-based position, followed by the text with a caret under that token. Oversized input
raises :class:`LimitExceeded` (a subclass) before any parsing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from shipyard.domain.errors import InvalidParameter, LimitExceeded
from shipyard.domain.search_grammars import (
    EXPERIMENTS,
    LOGGED_MODELS,
    MODEL_VERSIONS,
    OPERATOR_ORDER,
    PLURALS,
    PREFIXES,
    REGISTERED_MODELS,
    RUNS,
    AttributeSpec,
    Grammar,
    Kind,
    Purpose,
    ValueType,
)

__all__ = [
    "EXPERIMENTS",
    "LOGGED_MODELS",
    "MAX_FILTER_LENGTH",
    "MAX_NESTING_DEPTH",
    "MODEL_VERSIONS",
    "REGISTERED_MODELS",
    "RUNS",
    "AttributeSpec",
    "BoolOp",
    "Comparison",
    "Expr",
    "Grammar",
    "Identifier",
    "Kind",
    "OrderKey",
    "ValueType",
    "parse_filter",
    "parse_order_by",
]

MAX_FILTER_LENGTH = 10_000
"""Longest filter (or single order_by clause) accepted, in characters."""
MAX_NESTING_DEPTH = 50
"""Deepest parenthesis nesting accepted; bounds the parser's recursion."""


@dataclass(frozen=True, slots=True)
class Identifier:
    """What a comparison or sort names: a metric, param, tag or dataset key, or an attribute.

    For attributes ``key`` is the canonical attribute name (aliases resolved); otherwise it is the
    key as written, quotes removed.
    """

    kind: Kind
    key: str


@dataclass(frozen=True, slots=True)
class Comparison:
    """``identifier op value``.

    ``value`` is ``None`` for ``IS [NOT] NULL``, a ``float`` for metrics, an ``int`` for numeric
    attributes, a ``tuple[str, ...]`` for ``IN`` / ``NOT IN`` and a ``str`` otherwise.
    """

    identifier: Identifier
    op: str
    value: str | float | int | tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class BoolOp:
    """Two or more operands joined by AND or OR; same-operator children are always flattened."""

    op: Literal["AND", "OR"]
    operands: tuple[Expr, ...]


Expr: TypeAlias = Comparison | BoolOp


@dataclass(frozen=True, slots=True)
class OrderKey:
    """One order_by clause: what to sort on, and in which direction."""

    identifier: Identifier
    ascending: bool


def parse_filter(text: str | None, grammar: Grammar) -> Expr | None:
    """Parse a search filter for ``grammar``; ``None`` when the filter is absent or blank."""
    if text is None or not text.strip():
        return None
    source = _Source(text, "filter")
    return _FilterParser(source, _tokenize(source), grammar).parse()


def parse_order_by(clauses: Sequence[str] | None, grammar: Grammar) -> list[OrderKey]:
    """Parse order_by clauses (``"<identifier> [ASC|DESC]"``) for ``grammar``, in order.

    Naming the same key twice, through any spelling or alias, is an error.
    """
    if isinstance(clauses, str):
        # A bare string is a Sequence[str] too; iterating its characters would hide the bug.
        raise TypeError("parse_order_by takes a sequence of clauses, not a single string")
    keys: list[OrderKey] = []
    first_seen: dict[Identifier, int] = {}
    for number, clause in enumerate(clauses or (), start=1):
        source = _Source(clause, "order_by clause")
        key, token = _parse_order_clause(source, grammar)
        if key.identifier in first_seen:
            raise source.error(
                token.pos,
                f"duplicate order_by key {_quote(token.text)} at position {token.pos}: clause "
                f"{first_seen[key.identifier]} already orders by "
                f"{PLURALS[key.identifier.kind]}.{key.identifier.key}",
            )
        first_seen[key.identifier] = number
        keys.append(key)
    return keys


# --- errors ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Source:
    """The text being parsed and what to call it in messages."""

    text: str
    label: str

    def error(
        self, pos: int, problem: str, error: type[InvalidParameter] = InvalidParameter
    ) -> InvalidParameter:
        """An error for ``problem`` with the text echoed and a caret under ``pos``."""
        return error(f"Invalid {self.label}: {problem}\n{_excerpt(self.text, pos)}")


_EXCERPT_CONTEXT = 60


def _excerpt(text: str, pos: int) -> str:
    start = max(0, pos - _EXCERPT_CONTEXT)
    end = min(len(text), pos + _EXCERPT_CONTEXT)
    # Tabs and newlines would push the caret out of line with the character it points at.
    shown = "".join(c if c.isprintable() else " " for c in text[start:end])
    lead = "..." if start > 0 else ""
    tail = "..." if end < len(text) else ""
    return f"  {lead}{shown}{tail}\n  {' ' * (len(lead) + pos - start)}^"


def _quote(text: str) -> str:
    if len(text) > 40:
        text = text[:37] + "..."
    # A raw newline inside a quoted token would break the message's three-line layout.
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return f'"{text}"' if "'" in text else f"'{text}'"


def _at(token: _Token) -> str:
    """``'<token>' at position N``: how every message points at the offending token."""
    what = "the end of the input" if token.type == "end" else _quote(token.text)
    return f"{what} at position {token.pos}"


def _found(token: _Token) -> str:
    return f"found {_at(token)}"


# --- tokens ---------------------------------------------------------------------------------

_TokenType = Literal["name", "string", "number", "op", "(", ")", ",", "end"]


@dataclass(frozen=True, slots=True)
class _Token:
    type: _TokenType
    text: str  # as written, for messages
    pos: int
    value: str = ""  # name: the key or bare name, unquoted; string: the decoded text
    prefix: str | None = None  # name: the part before the first dot; None for a bare name
    quoted: bool = False  # name: the key (or bare name) was quoted, so it is never a keyword

    def as_name(self) -> _Token:
        """A quoted string where an identifier belongs is a quoted bare name, as in MLflow."""
        if self.type != "string":
            return self
        return _Token("name", self.text, self.pos, self.value, quoted=True)

    def keyword(self) -> str | None:
        """The upper-cased word if this token could be a keyword, else ``None``."""
        if self.type == "name" and self.prefix is None and not self.quoted:
            return self.value.upper()
        return None


_PUNCTUATION: dict[str, _TokenType] = {"(": "(", ")": ")", ",": ","}
_SYMBOL_OPERATORS = frozenset({"=", "!=", "<", "<=", ">", ">="})
_RESERVED = frozenset({"AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE"})
_QUOTES = "'\"`"
_ESCAPABLE = "\\'\"`"
_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _is_key_char(c: str) -> bool:
    return c.isalnum() or c in "_.-/:"


def _scan_key_chars(text: str, i: int) -> int:
    while i < len(text) and _is_key_char(text[i]):
        i += 1
    return i


def _tokenize(source: _Source) -> list[_Token]:
    text = source.text
    if len(text) > MAX_FILTER_LENGTH:
        raise LimitExceeded(
            f"Invalid {source.label}: it is {len(text):,} characters long; "
            f"the limit is {MAX_FILTER_LENGTH:,}"
        )
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "(),":
            tokens.append(_Token(_PUNCTUATION[c], c, i))
            i += 1
        elif c in "=!<>":
            # Take the whole run so '>>' or '=<' is reported as one bad operator.
            end = i
            while end < len(text) and text[end] in "=!<>":
                end += 1
            tokens.append(_Token("op", text[i:end], i, text[i:end]))
            i = end
        elif c in "'\"":
            value, end = _read_quoted(source, i)
            tokens.append(_Token("string", text[i:end], i, value))
            i = end
        elif (match := _NUMBER.match(text, i)) is not None:
            end = match.end()
            if end < len(text) and _is_key_char(text[end]):
                end = _scan_key_chars(text, end)
                raise source.error(i, f"invalid number {_quote(text[i:end])} at position {i}")
            tokens.append(_Token("number", text[i:end], i, text[i:end]))
            i = end
        elif c.isalpha() or c in "_`":
            token = _read_name(source, i)
            tokens.append(token)
            i = token.pos + len(token.text)
        else:
            raise source.error(i, f"unexpected character {_quote(c)} at position {i}")
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _read_quoted(source: _Source, start: int) -> tuple[str, int]:
    """Decode the quoted text opening at ``start``; return it and the index after the quote."""
    text, quote = source.text, source.text[start]
    parts: list[str] = []
    i = start + 1
    while i < len(text):
        c = text[i]
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if c == "\\" and nxt and nxt in _ESCAPABLE:
            parts.append(nxt)
            i += 2
        elif c == quote and nxt == quote:
            parts.append(quote)
            i += 2
        elif c == quote:
            return "".join(parts), i + 1
        else:
            parts.append(c)
            i += 1
    raise source.error(
        start,
        f"unterminated quote {_quote(text[start:])} at position {start}: "
        f"the {quote} is never closed",
    )


def _read_name(source: _Source, start: int) -> _Token:
    """An identifier or bare word: ``word``, ``prefix.key``, with the key optionally quoted."""
    text = source.text
    if text[start] == "`":
        head, end = _read_quoted(source, start)
        if end < len(text) and text[end] == ".":
            if end + 1 < len(text) and text[end + 1] in _QUOTES:
                key, end = _read_quoted(source, end + 1)
                return _Token("name", text[start:end], start, key, prefix=head, quoted=True)
            key_start, end = end + 1, _scan_key_chars(text, end + 1)
            return _Token("name", text[start:end], start, text[key_start:end], prefix=head)
        return _Token("name", text[start:end], start, head, quoted=True)
    end = _scan_key_chars(text, start)
    word = text[start:end]
    if "." not in word:
        return _Token("name", word, start, word)
    prefix, key = word.split(".", 1)
    quoted = False
    if not key and end < len(text) and text[end] in _QUOTES:
        key, end = _read_quoted(source, end)
        quoted = True
    return _Token("name", text[start:end], start, key, prefix=prefix, quoted=quoted)


# --- identifiers ----------------------------------------------------------------------------


def _resolve(source: _Source, token: _Token, grammar: Grammar, purpose: Purpose) -> Identifier:
    """Turn a name token into an :class:`Identifier` that ``grammar`` allows for ``purpose``."""
    at = f"{_quote(token.text)} at position {token.pos}"
    doing = f"{'search' if purpose == 'filter' else 'order'} {grammar.target}"  # "search runs"
    kind: Kind | None = "attribute" if token.prefix is None else PREFIXES.get(token.prefix.lower())
    if kind is None:
        raise source.error(
            token.pos,
            f"unknown identifier type {_quote(token.prefix or '')} in {at}; use metrics.<key>, "
            "params.<key>, tags.<key>, datasets.<key>, attributes.<name> or a bare attribute",
        )
    if token.prefix is not None and not token.value:
        raise source.error(token.pos, f"empty key in {at}: name the key after the dot")
    if kind == "attribute":
        spec = grammar.find_attribute(token.value)
        if spec is not None and spec.usable(purpose):
            return Identifier("attribute", spec.name)
        at = f"{_quote(token.value)} at position {token.pos}"
        problem = f"unknown attribute {at}" if spec is None else f"attribute {at} cannot be used"
        valid = ", ".join(grammar.attribute_names(purpose))
        raise source.error(token.pos, f"{problem}; the attributes that {doing} are: {valid}")
    allowed = grammar.kinds(purpose)
    if kind not in allowed:
        names = ", ".join(PLURALS[k] for k in allowed)
        raise source.error(token.pos, f"{PLURALS[kind]} cannot {doing} ({at}); use {names}")
    if kind == "dataset" and token.value not in grammar.dataset_keys:
        raise source.error(
            token.pos,
            f"unknown dataset key {_quote(token.value)} in {at}; "
            f"valid dataset keys: {', '.join(sorted(grammar.dataset_keys))}",
        )
    return Identifier(kind, token.value)


# --- filters --------------------------------------------------------------------------------

_OPERATOR_LIST = "=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS"
_INT64 = 2**63
_INTEGER = re.compile(r"-?[0-9]+")
_Value: TypeAlias = str | float | int | tuple[str, ...] | None


class _FilterParser:
    """Recursive descent over the token list; one instance parses one filter."""

    def __init__(self, source: _Source, tokens: list[_Token], grammar: Grammar) -> None:
        self._source = source
        self._tokens = tokens
        self._grammar = grammar
        self._index = 0
        self._depth = 0

    def parse(self) -> Expr:
        expr = self._or()
        token = self._peek()
        if token.type == ")":
            raise self._error(token, f"unbalanced parentheses: {_found(token)} with no '('")
        if token.type != "end":
            raise self._error(
                token,
                f"expected AND, OR or the end of the filter after a comparison, {_found(token)}",
            )
        return expr

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _next(self) -> _Token:
        token = self._tokens[self._index]
        if token.type != "end":
            self._index += 1
        return token

    def _error(self, token: _Token, problem: str) -> InvalidParameter:
        return self._source.error(token.pos, problem)

    def _unclosed(self, opening: _Token) -> InvalidParameter:
        return self._error(
            opening, f"unbalanced parentheses: '(' at position {opening.pos} is never closed"
        )

    def _or(self) -> Expr:
        operands = [self._and()]
        while self._peek().keyword() == "OR":
            self._connective()
            operands.append(self._and())
        return _combine("OR", operands)

    def _and(self) -> Expr:
        operands = [self._primary()]
        while self._peek().keyword() == "AND":
            self._connective()
            operands.append(self._primary())
        return _combine("AND", operands)

    def _connective(self) -> None:
        word = self._next()
        if self._peek().type in ("end", ")"):
            raise self._dangling(word, "no comparison follows it")

    def _dangling(self, word: _Token, why: str) -> InvalidParameter:
        return self._error(word, f"dangling {_quote(word.text)} at position {word.pos}: {why}")

    def _primary(self) -> Expr:
        token = self._peek()
        if token.type != "(":
            return self._comparison()
        if self._depth >= MAX_NESTING_DEPTH:
            raise self._source.error(
                token.pos,
                f"'(' at position {token.pos} nests deeper than {MAX_NESTING_DEPTH} levels",
                LimitExceeded,
            )
        self._next()
        self._depth += 1
        expr = self._or()
        close = self._next()
        if close.type == "end":
            raise self._unclosed(token)
        if close.type != ")":
            raise self._error(
                close, f"expected ')' to close the '(' at position {token.pos}, {_found(close)}"
            )
        self._depth -= 1
        return expr

    def _comparison(self) -> Comparison:
        token = self._next().as_name()
        word = token.keyword()
        if word in ("AND", "OR"):
            raise self._dangling(token, "no comparison comes before it")
        if token.type == ")" and self._depth == 0:
            raise self._error(token, f"unbalanced parentheses: {_found(token)} with no '('")
        if token.type != "name" or word in _RESERVED:
            raise self._error(
                token,
                "expected a comparison starting with an identifier such as metrics.<key>, "
                f"params.<key>, tags.<key> or an attribute name, {_found(token)}",
            )
        identifier = _resolve(self._source, token, self._grammar, "filter")
        op_token, op = self._operator(token)
        allowed = self._grammar.operators(identifier.kind, identifier.key)
        if op not in allowed:
            listed = ", ".join(o for o in OPERATOR_ORDER if o in allowed)
            raise self._error(
                op_token,
                f"operator {_quote(op)} at position {op_token.pos} is not allowed for "
                f"{_quote(token.text)}; allowed operators: {listed}",
            )
        return Comparison(identifier, op, self._value(identifier, token, op))

    def _operator(self, subject: _Token) -> tuple[_Token, str]:
        token = self._next()
        word = token.keyword()
        if token.type == "op" and token.text in _SYMBOL_OPERATORS:
            return token, token.text
        if word in ("LIKE", "ILIKE", "IN"):
            return token, word
        if word == "NOT":
            after = self._next()
            if after.keyword() == "IN":
                return token, "NOT IN"
            raise self._error(after, f"expected IN after NOT (only NOT IN exists), {_found(after)}")
        if word == "IS":
            after = self._next()
            if after.keyword() == "NULL":
                return token, "IS NULL"
            if after.keyword() == "NOT":
                last = self._next()
                if last.keyword() == "NULL":
                    return token, "IS NOT NULL"
                raise self._error(last, f"expected NULL after IS NOT, {_found(last)}")
            raise self._error(after, f"expected NULL or NOT NULL after IS, {_found(after)}")
        raise self._error(
            token,
            f"expected a comparison operator ({_OPERATOR_LIST}) after {_quote(subject.text)}, "
            f"{_found(token)}",
        )

    def _value(self, identifier: Identifier, subject: _Token, op: str) -> _Value:
        if op in ("IS NULL", "IS NOT NULL"):
            return None
        if op in ("IN", "NOT IN"):
            return self._list(subject, op)
        wanted = _wanted_value(identifier, self._grammar)
        token = self._next()
        if token.type in ("end", ")", ",") or token.keyword() in ("AND", "OR"):
            raise self._error(
                token,
                f"missing value after {_quote(f'{subject.text} {op}')}: expected "
                f"{_WANTED_TEXT[wanted]}, {_found(token)}",
            )
        if wanted == "string" and token.type == "string":
            return token.value
        if wanted != "string" and token.type == "number":
            return self._number(token, subject, wanted)
        raise self._error(
            token,
            f"wrong value type for {_quote(subject.text)}: expected {_WANTED_TEXT[wanted]}, "
            f"{_found(token)}",
        )

    def _number(self, token: _Token, subject: _Token, wanted: _Wanted) -> float | int:
        if wanted == "integer" and _INTEGER.fullmatch(token.text):
            # Exact digits: timestamps past 2**53 would lose precision through float. More than
            # 20 characters cannot fit in 64 bits, and int() of a huge string is slow.
            value = int(token.text) if len(token.text) <= 20 else _INT64
        else:
            number = float(token.text)  # overflows to inf rather than raising
            if not math.isfinite(number):
                raise self._error(token, f"number out of range {_at(token)}")
            if wanted == "number":
                return number
            if not number.is_integer():
                raise self._error(
                    token,
                    f"wrong value type for {_quote(subject.text)}: expected an integer, "
                    f"{_found(token)}",
                )
            value = int(number)
        # Numeric attributes live in 64-bit integer columns.
        if not -_INT64 <= value < _INT64:
            raise self._error(token, f"number out of range {_at(token)}")
        return value

    def _list(self, subject: _Token, op: str) -> tuple[str, ...]:
        opening = self._next()
        if opening.type != "(":
            raise self._error(
                opening,
                f"expected a parenthesized list of quoted strings after {op}, {_found(opening)}",
            )
        items: list[str] = []
        token = self._next()
        while token.type != ")":
            if token.type == "end":
                raise self._unclosed(opening)
            if token.type != "string":
                raise self._error(
                    token,
                    f"wrong value type in the {op} list for {_quote(subject.text)}: expected "
                    f"a quoted string, {_found(token)}",
                )
            items.append(token.value)
            token = self._next()
            if token.type == ",":  # a trailing comma is fine, as in MLflow's literal_eval
                token = self._next()
            elif token.type not in (")", "end"):
                raise self._error(token, f"expected ',' or ')' in the {op} list, {_found(token)}")
        if not items:
            raise self._error(
                opening, f"empty {op} list '()' at position {opening.pos}: give at least one value"
            )
        return tuple(items)


_Wanted = Literal["number", "integer", "string"]
_WANTED_TEXT: dict[_Wanted, str] = {
    "number": "a number",
    "integer": "an integer",
    "string": "a quoted string such as 'value'",
}


def _wanted_value(identifier: Identifier, grammar: Grammar) -> _Wanted:
    if identifier.kind == "metric":
        return "number"
    if identifier.kind == "attribute" and grammar.attribute_type(identifier.key) == "number":
        return "integer"
    return "string"


def _combine(op: Literal["AND", "OR"], operands: list[Expr]) -> Expr:
    if len(operands) == 1:
        return operands[0]
    flat: list[Expr] = []
    for operand in operands:
        # (a AND b) AND c is a AND b AND c: one flat node keeps the SQL shallow.
        if isinstance(operand, BoolOp) and operand.op == op:
            flat.extend(operand.operands)
        else:
            flat.append(operand)
    return BoolOp(op, tuple(flat))


# --- order_by -------------------------------------------------------------------------------


def _parse_order_clause(source: _Source, grammar: Grammar) -> tuple[OrderKey, _Token]:
    tokens = _tokenize(source)
    subject = tokens[0].as_name()
    if subject.type == "end":
        raise source.error(0, "empty clause at position 0: expected '<identifier> [ASC|DESC]'")
    if subject.type != "name" or subject.keyword() in ("ASC", "DESC"):
        raise source.error(
            subject.pos,
            f"expected '<identifier> [ASC|DESC]' such as 'metrics.acc DESC', {_found(subject)}",
        )
    identifier = _resolve(source, subject, grammar, "order_by")
    direction = tokens[1]
    if direction.type == "end":
        return OrderKey(identifier, True), subject
    word = direction.keyword()
    if word not in ("ASC", "DESC"):
        raise source.error(
            direction.pos,
            f"expected ASC or DESC after {_quote(subject.text)}, {_found(direction)}",
        )
    extra = tokens[2]
    if extra.type != "end":
        raise source.error(
            extra.pos,
            f"unexpected {_quote(extra.text)} at position {extra.pos} after "
            f"{_quote(direction.text)}: a clause is '<identifier> [ASC|DESC]'",
        )
    return OrderKey(identifier, word == "ASC"), subject
