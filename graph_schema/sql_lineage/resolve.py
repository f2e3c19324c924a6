"""Resolve every output column of a qualified query to the table columns it is made from, in one walk.

Each scope's outputs are worked out once and memoised, so a column read by many downstream scopes is
resolved once however often it is referenced.
"""

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.optimizer.scope import Scope, walk_in_scope
from sqlglot.schema import MappingSchema

from graph_schema.sql_lineage.clauses import clause_leaves, named_window_columns
from graph_schema.sql_lineage.leaves import (
    STAR,
    Kind,
    Leaf,
    Output,
    compose,
    context_kind,
    is_using_coalesce,
    merge,
    table_name,
)
from graph_schema.sql_lineage.models import GUESSED, RESOLVED, UNRESOLVED

Source = exp.Table | Scope


class Resolver:
    def __init__(self, root: Scope, schema: MappingSchema, dialect: Dialect) -> None:
        self.schema = schema
        self.dialect = dialect
        self._by_expression: dict[int, Scope] = {id(s.expression): s for s in root.traverse()}
        self._outputs: dict[int, list[Output]] = {}
        self._names: dict[tuple[int, str], tuple[Leaf, ...]] = {}
        self._busy: set[int] = set()

    def real(self, scope: Scope) -> Scope:
        """The traversed scope for `scope` (a recursive CTE refers to an untraversed copy of its base case)."""
        return self._by_expression.get(id(scope.expression), scope)

    # ---- outputs of a scope -------------------------------------------------------------------------

    def outputs(self, scope: Scope) -> list[Output]:
        scope = self.real(scope)
        key = id(scope)
        cached = self._outputs.get(key)
        if cached is not None:
            return cached
        if key in self._busy:
            return []  # a recursive CTE reading itself adds no new source
        self._busy.add(key)
        try:
            result = self._compute_outputs(scope)
        finally:
            self._busy.discard(key)
        if scope.outer_columns:
            renamed = [Output(n, o.leaves) for n, o in zip(scope.outer_columns, result)]
            result = renamed + result[len(renamed) :]
        self._outputs[key] = result
        return result

    def _compute_outputs(self, scope: Scope) -> list[Output]:
        expression = scope.expression
        if isinstance(expression, exp.Select):
            return self._select_outputs(scope, expression)
        if isinstance(expression, exp.SetOperation):
            return self._set_outputs(scope, expression)
        if isinstance(expression, exp.Subquery):
            inner = scope.table_scopes or scope.subquery_scopes
            return self.outputs(inner[0]) if inner else []
        if isinstance(expression, exp.Unnest):
            return self._unnest_outputs(scope, expression)
        if isinstance(expression, exp.Lateral):
            return self._lateral_outputs(scope, expression)
        if isinstance(expression, exp.UDTF):
            return [Output(name, ()) for name in expression.named_selects]
        return []

    def _select_outputs(self, scope: Scope, select: exp.Select) -> list[Output]:
        outputs: list[Output] = []
        for index, projection in enumerate(select.selects):
            if projection.is_star:
                outputs.extend(self._star_outputs(scope, projection))
                continue
            name = projection.alias_or_name or f"_col_{index}"
            outputs.append(Output(name, self.expression_leaves(scope, projection.unalias())))
        return outputs

    def _set_outputs(self, scope: Scope, set_op: exp.SetOperation) -> list[Output]:
        branches = [self.outputs(s) for s in scope.set_operation_scopes]
        if not branches:
            return []
        first = branches[0]
        # EXCEPT only removes rows: its right branch shapes rows, it gives no values
        rest = [] if isinstance(set_op, exp.Except) else branches[1:]
        if set_op.args.get("by_name"):
            named = [{o.name: o.leaves for o in b} for b in rest]
            return [Output(o.name, merge(o.leaves + sum((b.get(o.name, ()) for b in named), ()))) for o in first]
        return [
            Output(o.name, merge(o.leaves + sum((b[i].leaves for b in rest if i < len(b)), ())))
            for i, o in enumerate(first)
        ]

    def _unnest_outputs(self, scope: Scope, unnest: exp.Unnest) -> list[Output]:
        names = unnest.named_selects or [unnest.alias or "unnest"]
        per_arg = [self.expression_leaves(scope, arg, Kind.DERIVED) for arg in unnest.expressions]
        if len(per_arg) == len(names):
            return [Output(n, leaves) for n, leaves in zip(names, per_arg)]
        every = tuple(leaf for leaves in per_arg for leaf in leaves)
        return [Output(n, every) for n in names]

    def _lateral_outputs(self, scope: Scope, lateral: exp.Lateral) -> list[Output]:
        names = lateral.alias_column_names
        if isinstance(lateral.this, exp.Query) and scope.subquery_scopes:
            outputs = self.outputs(scope.subquery_scopes[0])
            return [Output(names[i] if i < len(names) else o.name, o.leaves) for i, o in enumerate(outputs)]
        leaves = self.expression_leaves(scope, lateral.this, Kind.DERIVED)
        return [Output(n, leaves) for n in names or [lateral.alias or "lateral"]]

    def _star_outputs(self, scope: Scope, star: exp.Expr) -> list[Output]:
        """Expand a star sqlglot left alone: known columns by name, the rest as one `*` output."""
        sources = self.candidates(scope)
        if isinstance(star, exp.Column) and star.table:
            sources = [(alias, src) for alias, src in sources if alias == star.table]
        outputs: list[Output] = []
        unknown: list[Leaf] = []
        for _, source in sources:
            if isinstance(source, Scope):
                for output in self.outputs(source):
                    if output.name == STAR:
                        unknown.extend(output.leaves)
                    else:
                        outputs.append(output)
                continue
            if not source.name:
                continue  # a table function: no table column behind it
            columns = self.schema.column_names(source)
            name = table_name(source)
            if columns:
                outputs.extend(Output(c, (Leaf(name, c, Kind.BARE, None, RESOLVED),)) for c in columns)
            else:
                unknown.append(Leaf(name, STAR, Kind.BARE, None, UNRESOLVED))
        if unknown:
            outputs.append(Output(STAR, merge(unknown)))
        return outputs

    # ---- resolving names ----------------------------------------------------------------------------

    def resolve_name(self, scope: Scope, name: str) -> tuple[Leaf, ...]:
        """The leaves of output `name` of `scope`, looking behind unexpanded stars when needed."""
        scope = self.real(scope)
        key = (id(scope), name)
        cached = self._names.get(key)
        if cached is not None:
            return cached
        outputs = self.outputs(scope)
        found = next((o.leaves for o in outputs if o.name == name), None)
        if found is None and isinstance(scope.expression, exp.Unnest):
            # BigQuery: the alias of an UNNEST is its element, `alias.field` a field of it
            found = tuple(compose((leaf for o in outputs for leaf in o.leaves), Kind.DERIVED))
        if found is None:
            found = self._behind_star(scope, name) if any(o.name == STAR for o in outputs) else ()
        self._names[key] = found
        return found

    def _behind_star(self, scope: Scope, name: str) -> tuple[Leaf, ...]:
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            branches = scope.set_operation_scopes
            if isinstance(expression, exp.Except):
                branches = branches[:1]  # the right branch of EXCEPT gives no values
            return merge(leaf for s in branches for leaf in self.resolve_name(s, name))
        if isinstance(expression, exp.Subquery):
            inner = scope.table_scopes or scope.subquery_scopes
            return self.resolve_name(inner[0], name) if inner else ()
        if not isinstance(expression, exp.Select):
            return ()
        unknown: list[Source] = []
        for star in (s for s in expression.selects if s.is_star):
            table = star.table if isinstance(star, exp.Column) else ""
            for alias, source in self.candidates(scope):
                if (not table or alias == table) and self.knows(source, name) is None:
                    unknown.append(source)
        return self._through_all(unknown, name)

    def _through_all(self, sources: list[Source], name: str) -> tuple[Leaf, ...]:
        """`name` from whichever of `sources` holds it: certain for one source, a guess among several."""
        cap = RESOLVED if len(sources) == 1 else GUESSED
        return merge(compose((leaf for s in sources for leaf in self._through(s, name)), Kind.BARE, cap=cap))

    def _through(self, source: Source, name: str) -> tuple[Leaf, ...]:
        if isinstance(source, Scope):
            return self.resolve_name(source, name)
        if not source.name:
            return ()  # a table function (generate_series, read_parquet): no table column behind it
        return (Leaf(table_name(source), name, Kind.BARE, None, RESOLVED),)

    def knows(self, source: Source, name: str) -> bool | None:
        """Whether `source` has a column `name`: True, False, or None when its columns are unknown."""
        if isinstance(source, exp.Table):
            columns = self.schema.column_names(source) if source.name else source.alias_column_names
            return (name in columns) if columns else None
        names = {o.name for o in self.outputs(source)}
        if name in names:
            return True
        return None if STAR in names else False

    def candidates(self, scope: Scope) -> list[tuple[str, Source]]:
        if isinstance(scope.expression, exp.UDTF):
            return list(scope.lateral_sources.items())
        return [(alias, source) for alias, (_, source) in scope.selected_sources.items()]

    def _lookup(self, scope: Scope | None, alias: str) -> Source | None:
        while scope is not None:
            source = scope.sources.get(alias)
            if source is not None:
                return source
            scope = scope.parent
        return None

    def resolve_column(self, scope: Scope, column: exp.Column) -> tuple[Leaf, ...]:
        if column.table:
            source = self._lookup(scope, column.table)
            if source is not None:
                return self._through(source, column.name)
            # `a.b` where `a` is no source: field `b` of a struct column `a`
            return tuple(compose(self._unqualified(scope, column.table, column), Kind.DERIVED, column))
        return self._unqualified(scope, column.name, column)

    def _unqualified(self, scope: Scope, name: str, column: exp.Column) -> tuple[Leaf, ...]:
        current: Scope | None = scope
        while current is not None:
            leaves = self._unqualified_here(current, name, column)
            if leaves is not None:
                return leaves
            current = current.parent if current.can_be_correlated else None
        return ()

    def _unqualified_here(self, scope: Scope, name: str, column: exp.Column) -> tuple[Leaf, ...] | None:
        known: list[Source] = []
        unknown: list[Source] = []
        for _, source in self.candidates(scope):
            knows = self.knows(source, name)
            if knows:
                known.append(source)
            elif knows is None:
                unknown.append(source)
        if known:
            return self._through_all(known, name)
        whole_row = self._whole_row(scope, name, column)
        if whole_row is not None:
            return whole_row
        alias_ref = self._alias_reference(scope, name, column)
        if alias_ref is not None:
            cap = GUESSED if unknown else RESOLVED
            return tuple(compose(self.expression_leaves(scope, alias_ref), Kind.BARE, cap=cap))
        if unknown:
            return self._through_all(unknown, name)
        return None

    def _whole_row(self, scope: Scope, name: str, column: exp.Column) -> tuple[Leaf, ...] | None:
        """`row_to_json(t)`, BigQuery `SELECT t FROM t`: a table alias used as a column is its whole row."""
        if not self.dialect.TABLES_REFERENCEABLE_AS_COLUMNS:
            return None
        source = dict(self.candidates(scope)).get(name)
        return None if source is None else tuple(compose(self.row_leaves(source), Kind.DERIVED, column))

    def row_leaves(self, source: Source) -> tuple[Leaf, ...]:
        """Every column of `source`, as a star leaf where its columns are unknown."""
        if isinstance(source, Scope):
            return merge(leaf for output in self.outputs(source) for leaf in output.leaves)
        if not source.name:
            return ()
        name = table_name(source)
        columns = self.schema.column_names(source)
        if not columns:
            return (Leaf(name, STAR, Kind.BARE, None, UNRESOLVED),)
        return tuple(Leaf(name, c, Kind.BARE, None, RESOLVED) for c in columns)

    def _alias_reference(self, scope: Scope, name: str, column: exp.Column) -> exp.Expr | None:
        """The projection a lateral alias reference (`SELECT a AS b, b + 1 ...`) points at, if any.

        Only aliases of earlier projections count, and `x AS x` is the source column, not an alias.
        """
        select = scope.expression
        if not isinstance(select, exp.Select):
            return None
        owner = column.find_ancestor(exp.Alias)
        for projection in select.selects:
            if projection is owner:
                return None
            if not isinstance(projection, exp.Alias) or projection.alias != name:
                continue
            target = projection.unalias()
            if isinstance(target, exp.Column) and target.name == name:
                return None
            return target
        return None

    # ---- expressions and clauses --------------------------------------------------------------------

    def expression_leaves(self, scope: Scope, expression: exp.Expr, floor: Kind = Kind.BARE) -> tuple[Leaf, ...]:
        """Leaves of every column and subquery in `expression`, with how each is used in it."""
        using = is_using_coalesce(expression)
        leaves: list[Leaf] = []
        for node in walk_in_scope(expression):
            if isinstance(node, exp.Column):
                if not node.is_star:
                    kind = Kind.BARE if using else max(context_kind(node, expression), floor)
                    leaves.extend(compose(self.resolve_column(scope, node), kind, expression))
            elif isinstance(node, exp.TableColumn):
                source = self._lookup(scope, node.name)
                if source is not None:
                    leaves.extend(compose(self.row_leaves(source), Kind.DERIVED, expression))
            elif isinstance(node, exp.Window):
                for column in named_window_columns(scope, node):
                    leaves.extend(compose(self.resolve_column(scope, column), Kind.WINDOW, expression))
            elif isinstance(node, exp.UNWRAPPED_QUERIES) and node is not expression:
                leaves.extend(self._subquery_leaves(scope, node, expression, floor))
        return merge(leaves)

    def _subquery_leaves(self, scope: Scope, query: exp.Expr, expression: exp.Expr, floor: Kind) -> list[Leaf]:
        subscope = self._by_expression.get(id(query))
        if subscope is None:
            return []
        kind = max(context_kind(query, expression), floor)
        if isinstance(query.parent, exp.Exists):
            # EXISTS yields whether rows match: its conditions make the value
            found = [leaf for _, leaf in clause_leaves(self, subscope)]
            return compose(found, max(kind, Kind.DERIVED), expression)
        return compose((leaf for output in self.outputs(subscope) for leaf in output.leaves), kind, expression)
