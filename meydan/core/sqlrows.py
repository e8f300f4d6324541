"""Model instances from hand-written SELECTs, for the few reads every posted
comment makes.

Why not the ORM there: building a query with the ORM cost 10-30 times more CPU
than SQLite or PostgreSQL took to run it (bench/post_profile.py), and a post made
several. The SQL stays plain (quoted names from the models' metadata, `%s`
parameters, no vendor syntax) and the values go through the same converters the
ORM applies (booleans, aware datetimes), so the instances are what the ORM would
have built.
"""

from functools import cache

from django.db import connection, models
from django.db.models import signals


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model) -> str:
    return quote(model._meta.db_table)


@cache
def _columns(model, alias: str, vendor: str) -> str:
    names = _layout(model, vendor)[0]
    return ", ".join(f"{alias}.{quote(name)}" for name in names)


@cache
def _layout(model, vendor: str):
    """(columns, attnames, converters, pk index) of the model's concrete fields;
    converters as (position, col, [converter, …]), only for the fields that have
    any (most have none, and a post builds several instances)."""
    fields = model._meta.concrete_fields
    converters = []
    for i, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        field_converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if field_converters:
            converters.append((i, col, field_converters))
    attnames = [field.attname for field in fields]
    return (
        [field.column for field in fields],
        attnames,
        converters,
        attnames.index(model._meta.pk.attname),
    )


def columns(model, alias: str) -> str:
    """`alias.col, …` for every concrete field of `model`, in its field order."""
    return _columns(model, alias, connection.vendor)


def width(model) -> int:
    return len(model._meta.concrete_fields)


def instance(model, values):
    """A model instance from its columns (as selected by `columns`), or None when
    the primary key is NULL (an outer join that found nothing)."""
    _, attnames, converters, pk_index = _layout(model, connection.vendor)
    if values[pk_index] is None:
        return None
    values = list(values)
    for i, col, field_converters in converters:
        for convert in field_converters:
            values[i] = convert(values[i], col, connection)
    return model.from_db(connection.alias, attnames, values)


_statements: dict = {}


def statement(build, *args) -> str:
    """The SQL that `build(*args)` returns, built once per database vendor."""
    key = (build, connection.vendor, args)
    sql = _statements.get(key)
    if sql is None:
        sql = _statements[key] = build(*args)
    return sql


def fetch_one(sql: str, params) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetch_all(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def exists(sql: str, params) -> bool:
    """Whether `SELECT 1 … LIMIT 1` finds a row."""
    return fetch_one(sql, params) is not None


@cache
def _insert_sql(model, vendor: str) -> tuple[str, list, bool]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    returning = connection.features.can_return_columns_from_insert
    sql = (
        f"INSERT INTO {table(model)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608 - names from the models, values as parameters
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if returning:
        sql += f" RETURNING {quote(model._meta.pk.column)}"
    return sql, [(field, _shortcut(field)) for field in fields], returning


# Django's own field classes (exactly these: a subclass may prepare its values
# otherwise) whose pre_save only reads the attribute and whose get_db_prep_save,
# for a value of the given type, gives it back unchanged (strings, booleans) or
# ends with one call to the backend: adapt_integerfield_value for the integer
# fields (PostgreSQL's psycopg 3 types the value by the column's kind), and
# validate_autopk_value for the automatic keys (a foreign key's target).
_STRINGS = (models.CharField, models.TextField, models.EmailField, models.SlugField,
            models.URLField)  # fmt: skip
_INTEGERS = (models.IntegerField, models.BigIntegerField, models.SmallIntegerField,
             models.PositiveIntegerField, models.PositiveBigIntegerField,
             models.PositiveSmallIntegerField)  # fmt: skip
_AUTO_KEYS = (models.AutoField, models.BigAutoField, models.SmallAutoField)
_AUTO_KEY = "auto key"  # (not an internal type)


def _shortcut(field):
    """(value type, how the backend adapts it: None, an integer field's internal
    type, or _AUTO_KEY) for a field whose preparation `insert` may do directly
    for a value of exactly that type; None for the others."""
    kind = type(field)
    if kind is models.ForeignKey:
        # Only to integer keys: a foreign key turns "" into NULL on some databases.
        field = field.target_field
        kind = type(field)
        if kind not in _INTEGERS and kind not in _AUTO_KEYS:
            return None
    if kind in _STRINGS:
        return str, None
    if kind is models.BooleanField:
        return bool, None
    if kind in _INTEGERS:
        return int, field.get_internal_type()
    if kind in _AUTO_KEYS:
        return int, _AUTO_KEY
    return None


def _prepared(obj, fields) -> list:
    """The values of `fields` (as _insert_sql lists them) as get_db_prep_save
    prepares them after pre_save (tests compare the two)."""
    adapt_integer = connection.ops.adapt_integerfield_value
    values = []
    for field, shortcut in fields:
        if shortcut is not None:
            value = getattr(obj, field.attname)
            if value is None:
                values.append(None)
                continue
            if type(value) is shortcut[0]:
                how = shortcut[1]
                if how is None:
                    values.append(value)
                elif how is _AUTO_KEY:
                    values.append(connection.ops.validate_autopk_value(value))
                else:
                    values.append(adapt_integer(value, how))
                continue
        values.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
    return values


def insert(obj) -> None:
    """Save a new instance (auto primary key) with one INSERT, as Model.save() would:
    the same value preparation (get_db_prep_save) and pre_save/post_save signals.
    For the plain fields of most models (strings, integers, booleans, foreign keys
    to integer ids) holding a value of their own type, that preparation is done
    here directly: through each field's chain, it was about a quarter of the CPU
    of inserting a comment (bench/post_profile.py)."""
    model = type(obj)
    sql, fields, returning = _insert_sql(model, connection.vendor)
    meta = model._meta
    signals.pre_save.send(sender=model, instance=obj, raw=False, using=connection.alias,
                          update_fields=None)  # fmt: skip
    values = _prepared(obj, fields)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    setattr(obj, meta.pk.attname, pk)
    obj._state.adding = False
    obj._state.db = connection.alias
    signals.post_save.send(sender=model, instance=obj, created=True, update_fields=None,
                           raw=False, using=connection.alias)  # fmt: skip


# Field types whose Python value is what the database driver takes as it is (the
# fields' own preparation only checks and copies it).
_AS_IS = {
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField",
    "EmailField", "FloatField", "ForeignKey", "IntegerField", "PositiveBigIntegerField",
    "PositiveIntegerField", "PositiveSmallIntegerField", "SlugField", "SmallIntegerField",
    "TextField", "URLField",
}  # fmt: skip


@cache
def _insert_many_sql(model, vendor: str) -> tuple[str, list]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    sql = (
        f"INSERT INTO {table(model)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608 - names from the models, values as parameters
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    prepare = []
    for field in fields:
        kind = field.get_internal_type()
        if kind in _AS_IS and not (kind == "ForeignKey" and field.target_field.get_internal_type()
                                   not in _AS_IS):  # fmt: skip
            prepare.append((field.attname, None))
        elif kind == "DateTimeField":
            prepare.append((field.attname, connection.ops.adapt_datetimefield_value))
        else:
            prepare.append((field.attname, lambda v, f=field: f.get_db_prep_save(v, connection)))
    return sql, prepare


def insert_many(model, objs) -> None:
    """Insert new rows of `model` (auto primary keys, not set) with one executemany.

    `objs` are instances, or anything with the fields' attributes (attname: `site_id`,
    not `site`). What bulk_create does, without building the statement anew for every
    batch and preparing each value through the field's full chain, which together
    cost imports several times the CPU the database took to insert. Values go to the
    driver as they are for strings, numbers and booleans, datetimes through the
    backend's adapter, anything else through the field. No signals, as with
    bulk_create; callers that need the ids read them back."""
    if not objs:
        return
    sql, prepare = _insert_many_sql(model, connection.vendor)
    rows = [
        [
            value if adapt is None or value is None else adapt(value)
            for value, adapt in ((getattr(obj, name), adapt) for name, adapt in prepare)
        ]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
