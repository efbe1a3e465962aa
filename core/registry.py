"""Declarations the plugins contribute: objects, target types, permission
sets, triggers, jobs and reports.

The registry records which plugin added each item and refuses clashes with
an error naming both plugins, so a misconfigured org fails at startup rather
than at the first write.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import fields as f
from .actions import OBJECT_ACCESS, Action
from .errors import ConfigError
from .ids import prefix_of

SHARING_DEFAULTS = ("private", "public_read", "public_read_write", "controlled_by_parent")
TRIGGER_EVENTS = (
    "before_insert",
    "after_insert",
    "before_update",
    "after_update",
    "before_delete",
    "after_delete",
    "after_undelete",
)
SYSTEM_PERMISSIONS = (
    "view_all_data",
    "modify_all_data",
    "manage_users",
    "customize_application",
    "manage_sharing",
)
OBJECT_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,62}$")
PREFIX = re.compile(r"^[a-z][a-z0-9]{2}$")


@dataclass(frozen=True)
class Restriction:
    """Narrows who may read an object's records, over every other grant (even view_all_data).

    A record whose ``field`` holds an id is readable only by users listed
    against that id in ``membership`` -- ``(object, id lookup, user lookup)``,
    e.g. ``("TeamMember", "team", "user")``; ``("User", "id", "id")`` makes a
    user-lookup ``field`` mean "only that user" (a draft's author) -- or holding the ``exempt``
    system permission. A record whose ``field`` is empty is not restricted.
    Salesforce calls this a restriction rule; sharing can only widen access.
    """

    field: str
    membership: tuple[str, str, str]
    exempt: str | None = None


@dataclass(frozen=True)
class NotInFuture:
    """A date or date-time that says something happened, so it may not be later than now.

    ``path`` is a Date or Datetime field of the object, or ``lookup.field`` of the
    record a (single-object) lookup points at: ``service_session.session_start``
    refuses attendance on a session that has not started. ``when`` limits the rule
    to records where that field is set (``attendance_status``). ``message`` is what
    the user reads ("attendance is taken once the session has started"). Dates
    compare with the user's local today, date-times with the current instant; an
    update is checked when it changes ``path``'s field, its lookup or ``when``.
    """

    path: str
    when: str | None = None
    message: str = ""


def table_name_for(api_name: str) -> str:
    """``ServiceDelivery`` -> ``service_delivery``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", api_name).lower()


class ObjectType:
    """A kind of record: its fields, id prefix, name field and sharing default."""

    def __init__(
        self,
        name: str,
        *,
        prefix: str,
        fields: Iterable[f.Field] = (),
        label: str | None = None,
        plural: str | None = None,
        name_field: str | None = "name",
        sharing: str = "private",
        parent_field: str | None = None,
        history: Iterable[str] = (),
        feed: bool = False,
        description: str = "",
        indexes: Iterable[tuple[str, ...]] = (),
        restrictions: Iterable[Restriction] = (),
        owner_is_creator: bool = False,
        match_fields: Iterable[str] = (),
        rules: Iterable[NotInFuture] = (),
    ) -> None:
        if not OBJECT_NAME.match(name):
            raise ValueError(f"object name {name!r} must be PascalCase letters and digits")
        if not PREFIX.match(prefix):
            raise ValueError(f"object {name}: prefix {prefix!r} must be three lowercase letters/digits")
        if sharing not in SHARING_DEFAULTS:
            raise ValueError(
                f"object {name}: sharing {sharing!r} is not one of {', '.join(SHARING_DEFAULTS)}"
            )
        self.name = name
        self.prefix = prefix
        self.label = label or re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", name)
        self.plural = plural or self.label + "s"
        self.name_field = name_field
        self.sharing = sharing
        # For 'controlled_by_parent': the lookup whose target decides access.
        self.parent_field = parent_field
        self.history = list(history)
        self.feed = feed
        self.description = description
        self.indexes = [tuple(i) for i in indexes]
        self.restrictions = list(restrictions)
        # The record is its creator's (a post's author, a subscriber's follow): users cannot set
        # or change owner_id, since the owner is who the record speaks for; only the system can.
        self.owner_is_creator = owner_is_creator
        # Fields a typed name is matched on where a lookup to this object expects an id, beside
        # the name field and unique text fields (a user's email).
        self.match_fields = list(match_fields)
        # Rules a record must follow beside its fields' own (dates that must not be in the future).
        self.rules = list(rules)
        self.plugin = ""  # set by the registry
        self.fields: list[f.Field] = []
        self._by_name: dict[str, f.Field] = {}
        for fld in fields:
            self.add_field(fld)

    def __repr__(self) -> str:
        return f"ObjectType({self.name!r}, prefix={self.prefix!r}, fields={self.field_names})"

    def add_field(self, fld: f.Field) -> None:
        if fld.name in self._by_name:
            raise ValueError(f"object {self.name}: field {fld.name!r} declared twice")
        self._by_name[fld.name] = fld
        self.fields.append(fld)

    @property
    def table_name(self) -> str:
        return table_name_for(self.name)

    def field(self, name: str) -> f.Field | None:
        return self._by_name.get(name)

    def has_field(self, name: str) -> bool:
        return name in self._by_name

    @property
    def field_names(self) -> list[str]:
        return [fld.name for fld in self.fields]

    def lookups(self) -> list[f.Lookup]:
        return [fld for fld in self.fields if isinstance(fld, f.Lookup)]

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "plural": self.plural,
            "prefix": self.prefix,
            "table": self.table_name,
            "plugin": self.plugin,
            "name_field": self.name_field,
            "sharing": self.sharing,
            "parent_field": self.parent_field,
            "history": list(self.history),
            "feed": self.feed,
            "description": self.description,
            **({"match_fields": list(self.match_fields)} if self.match_fields else {}),
            **({"rules": [rule_text(r) for r in self.rules]} if self.rules else {}),
            "fields": [fld.describe() for fld in self.fields],
        }


def rule_text(rule: NotInFuture) -> str:
    """A rule as ``objects describe`` shows it."""
    text = f"{rule.path} must not be in the future"
    return text + (f" when {rule.when} is set" if rule.when else "")


@dataclass
class PermissionSet:
    """A named bundle of object, field and system permissions.

    ``objects`` maps an object name to letters: C(reate) R(ead) E(dit)
    D(elete) V(iew all) M(odify all), e.g. ``{"HousingUnit": "CRED"}``.
    ``fields`` maps ``"Object.field"`` to ``"hidden"``, ``"read"`` or ``"edit"``.
    """

    name: str
    objects: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    system: list[str] = field(default_factory=list)
    description: str = ""
    plugin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        for obj, letters in self.objects.items():
            bad = set(letters) - set("CREDVM")
            if bad:
                raise ValueError(
                    f"permission set {self.name!r}: {obj} has unknown letters {''.join(sorted(bad))};"
                    " allowed are C R E D V M"
                )
        for key, level in self.fields.items():
            if level not in ("hidden", "read", "edit"):
                raise ValueError(
                    f"permission set {self.name!r}: {key} level {level!r} is not hidden, read or edit"
                )


@dataclass
class Job:
    """Scheduled or batch work (level assignment, digests). ``run(org)`` does it."""

    name: str
    run: Callable[..., Any]
    description: str = ""
    schedule: str | None = None  # e.g. "daily"; how often an external runner should call it
    # Options ``jobs run NAME --option VALUE`` accepts, each with its allowed values;
    # ``run(org, **options)`` receives them (the first value is the default).
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)
    plugin: str = field(default="", compare=False)


@dataclass
class Report:
    """A named query a user can run; ``run(session, **params)`` returns rows."""

    name: str
    run: Callable[..., Any]
    description: str = ""
    plugin: str = field(default="", compare=False)


@dataclass
class Setting:
    """An org setting an admin changes from the CLI (``missionbase settings set``).

    ``key`` is namespaced by convention (``shelter.max_beds``); the type of
    ``default`` is the type values must have unless ``type`` says otherwise.
    """

    key: str
    default: Any
    description: str = ""
    type: Any = None
    plugin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.type is None:
            self.type = type(self.default) if self.default is not None else Any


@dataclass
class Generator:
    """A named way to generate values such as client numbers; other plugins may add their own.

    ``generate(session, rows)`` returns one value per row (the records being
    written), inside the caller's transaction, so a counter it reserves with
    ``session.reserve_numbers`` commits or rolls back with the records.
    """

    name: str
    generate: Callable[..., list[Any]]
    description: str = ""
    plugin: str = field(default="", compare=False)


@dataclass
class Trigger:
    object: str
    event: str
    handler: Callable[..., Any]
    plugin: str = ""


CORE_PLUGIN = "core"


@dataclass(frozen=True)
class DeclarationKind:
    """How ``Registry.add`` files one kind of named declaration."""

    label: str  # as error messages name it
    collection: str  # the Registry attribute holding them by name
    key: str  # the attribute that names one
    # Job, report and setting names are global (``jobs run NAME``, ``settings set KEY``):
    # the plugin's namespace in front keeps two plugins from picking the same name.
    # A function decides for kinds where only some names are global.
    namespaced: bool | Callable[[Any], bool]


DECLARATION_KINDS: dict[type, DeclarationKind] = {
    PermissionSet: DeclarationKind("permission set", "permission_sets", "name", namespaced=False),
    Job: DeclarationKind("job", "jobs", "name", namespaced=True),
    Report: DeclarationKind("report", "reports", "name", namespaced=True),
    Setting: DeclarationKind("setting", "settings", "key", namespaced=True),
    Generator: DeclarationKind("generator", "generators", "name", namespaced=False),
    # An action on an object is named after it (``ServiceSchedule.extend``); an org-level one
    # is global, like a job.
    Action: DeclarationKind("action", "actions", "key", namespaced=lambda action: action.object is None),
}


class Registry:
    """Everything the enabled plugins declared. Built once per app.

    Each plugin's declaration hooks receive ``registry.scoped(plugin)``, a
    view that records the plugin as the owner of what it adds; the registry
    itself takes the owner as an argument and never holds a "current plugin".
    """

    def __init__(self) -> None:
        self.objects: dict[str, ObjectType] = {}
        self.target_types: dict[str, str] = {}  # object name -> plugin
        self.permission_sets: dict[str, PermissionSet] = {}
        self.triggers: list[Trigger] = []
        self.jobs: dict[str, Job] = {}
        self.reports: dict[str, Report] = {}
        self.settings: dict[str, Setting] = {}
        self.generators: dict[str, Generator] = {}
        self.actions: dict[str, Action] = {}
        self._prefixes: dict[str, str] = {}
        self._pending_extensions: list[tuple[str, str, list[f.Field], dict[str, list[str]]]] = []
        self._pending_targets: list[tuple[str, str]] = []

    def scoped(self, plugin: str, namespace: str | None = None) -> PluginRegistry:
        """The view one plugin declares through (``namespace`` defaults to the plugin's name)."""
        return PluginRegistry(self, plugin, namespace or plugin)

    # -- declarations ----------------------------------------------------------
    def add(self, item: Any, *, plugin: str = CORE_PLUGIN, namespace: str | None = None) -> Any:
        """File one declaration (object, permission set, job, report, setting, generator) under ``plugin``."""
        if isinstance(item, ObjectType):
            return self._add_object(item, plugin)
        kind = DECLARATION_KINDS.get(type(item))
        if kind is None:
            *most, last = ["ObjectType", *(k.__name__ for k in DECLARATION_KINDS)]
            raise TypeError(f"registry.add() takes an {', '.join(most)} or {last}, not {type(item).__name__}")
        name = getattr(item, kind.key)
        declared = getattr(self, kind.collection)
        if name in declared:
            raise ConfigError(
                f"{kind.label} {name!r} is declared by both plugin {declared[name].plugin!r} "
                f"and plugin {plugin!r}"
            )
        namespace = namespace or plugin
        namespaced = kind.namespaced(item) if callable(kind.namespaced) else kind.namespaced
        if namespaced and not name.startswith(f"{namespace}."):
            raise ConfigError(
                f"plugin {plugin!r}: {kind.label} {name!r} must start with {namespace + '.'!r} "
                f"(e.g. {namespace + '.' + name.rsplit('.', 1)[-1]!r}) so no other plugin can take the name"
            )
        item.plugin = plugin
        declared[name] = item
        return item

    def _add_object(self, obj: ObjectType, plugin: str) -> ObjectType:
        # Each registry owns its copy: extensions and plugin names recorded for
        # one app must not leak into the module-level declaration other apps share.
        obj = copy.deepcopy(obj)
        if obj.name in self.objects:
            other = self.objects[obj.name].plugin
            raise ConfigError(f"object {obj.name} is declared by both plugin {other!r} and plugin {plugin!r}")
        if obj.prefix in self._prefixes:
            raise ConfigError(
                f"id prefix {obj.prefix!r} of {obj.name} (plugin {plugin!r}) is already used by "
                f"{self._prefixes[obj.prefix]} (plugin {self.objects[self._prefixes[obj.prefix]].plugin!r})"
            )
        obj.plugin = plugin
        for fld in obj.fields:
            fld.plugin = plugin
        self.objects[obj.name] = obj
        self._prefixes[obj.prefix] = obj.name
        return obj

    def extend(
        self,
        object_name: str,
        fields: Iterable[f.Field] = (),
        picklist_values: dict[str, list[str]] | None = None,
        *,
        plugin: str = CORE_PLUGIN,
    ) -> None:
        """Add fields (and picklist values) to an object declared elsewhere.

        Applied after every plugin has declared its objects, so the order in
        which plugins run does not matter.
        """
        self._pending_extensions.append(
            (plugin, object_name, copy.deepcopy(list(fields)), picklist_values or {})
        )

    def _apply_extensions(self) -> None:
        for plugin, object_name, new_fields, picklist_values in self._pending_extensions:
            obj = self.objects.get(object_name)
            if obj is None:
                raise ConfigError(
                    f"plugin {plugin!r} extends object {object_name}, which no enabled plugin declares"
                )
            for fld in new_fields:
                existing = obj.field(fld.name)
                if existing is not None:
                    raise ConfigError(
                        f"field {object_name}.{fld.name} is declared by both plugin {existing.plugin!r} "
                        f"and plugin {plugin!r}"
                    )
                fld.plugin = plugin
                obj.add_field(fld)
            for field_name, values in picklist_values.items():
                fld = obj.field(field_name)
                if not isinstance(fld, f.Picklist):
                    raise ConfigError(
                        f"plugin {plugin!r} adds picklist values to {object_name}.{field_name}, "
                        "which is not a picklist field"
                    )
                fld.values.extend(v for v in values if v not in fld.values)
        self._pending_extensions.clear()

    def add_target(self, object_name: str, *, plugin: str = CORE_PLUGIN) -> None:
        """Let plan templates (engagement plans, action plans) target this object."""
        self._pending_targets.append((plugin, object_name))

    def add_trigger(
        self, object_name: str, event: str, handler: Callable[..., Any], *, plugin: str = CORE_PLUGIN
    ) -> None:
        if event not in TRIGGER_EVENTS:
            raise ConfigError(
                f"plugin {plugin!r}: trigger event {event!r} is not one of {', '.join(TRIGGER_EVENTS)}"
            )
        self.triggers.append(Trigger(object_name, event, handler, plugin))

    # -- lookups ----------------------------------------------------------------
    def object(self, name: str) -> ObjectType:
        from .errors import UnknownName

        try:
            return self.objects[name]
        except KeyError:
            raise UnknownName("object", name, self.objects) from None

    def object_for_id(self, record_id: str) -> ObjectType | None:
        name = self._prefixes.get(prefix_of(record_id) or "")
        return self.objects.get(name) if name else None

    def triggers_for(self, object_name: str, event: str) -> list[Trigger]:
        return [t for t in self.triggers if t.object == object_name and t.event == event]

    def referencing_lookups(self, object_name: str) -> list[tuple[ObjectType, f.Lookup]]:
        """Every (object, lookup field) that can point at ``object_name``."""
        return [
            (obj, fld)
            for obj in self.objects.values()
            for fld in obj.lookups()
            if object_name in fld.targets or f.ANY_OBJECT in fld.targets
        ]

    def lookup_target_names(self, fld: f.Lookup) -> list[str]:
        """The object names a lookup accepts, with ``"*"`` expanded."""
        return list(self.objects) if f.ANY_OBJECT in fld.targets else list(fld.targets)

    def finish(self) -> None:
        """Apply extensions and check cross-references; called once all plugins declared."""
        self._apply_extensions()
        for obj in self.objects.values():
            for check in OBJECT_CHECKS:
                check(self, obj)
        self._resolve_target_types()
        self._check_trigger_objects()
        self._check_permission_set_objects()
        for action in self.actions.values():
            check_action(self, action)

    def _resolve_target_types(self) -> None:
        for plugin, name in self._pending_targets:
            if name not in self.objects:
                raise ConfigError(
                    f"plugin {plugin!r} registers target type {name}, which no enabled plugin declares"
                )
            if name in self.target_types:
                raise ConfigError(
                    f"target type {name} is registered by both plugin {self.target_types[name]!r} "
                    f"and plugin {plugin!r}"
                )
            self.target_types[name] = plugin

    def _check_trigger_objects(self) -> None:
        for trig in self.triggers:
            if trig.object not in self.objects:
                raise ConfigError(
                    f"plugin {trig.plugin!r} registers a trigger on object {trig.object}, "
                    "which no enabled plugin declares"
                )

    def _check_permission_set_objects(self) -> None:
        for permset in self.permission_sets.values():
            for obj_name in permset.objects:
                if obj_name != "*" and obj_name not in self.objects:
                    raise ConfigError(
                        f"permission set {permset.name!r} (plugin {permset.plugin!r}) names object {obj_name}, "
                        "which no enabled plugin declares"
                    )


# -- checks of one object once every plugin has declared --------------------------
def check_action(registry: Registry, action: Action) -> None:
    """The action's object is declared and its permission is one core can check."""
    owner = f"plugin {action.plugin!r}: action {action.key}"
    if action.object is not None and action.object not in registry.objects:
        raise ConfigError(f"{owner} is on object {action.object}, which no enabled plugin declares")
    allowed = (*OBJECT_ACCESS, *SYSTEM_PERMISSIONS)
    if action.permission is not None and action.permission not in allowed:
        raise ConfigError(f"{owner}: permission {action.permission!r} is not one of {', '.join(allowed)}")
    if action.object is None and action.permission in OBJECT_ACCESS:
        raise ConfigError(
            f"{owner} is org-level: there is no object to check {action.permission!r} on; "
            "give a system permission or None"
        )
    if action.input is not None and not hasattr(action.input, "model_validate"):
        raise ConfigError(f"{owner}: input must be a pydantic model class")


def check_lookup_targets(registry: Registry, obj: ObjectType) -> None:
    for fld in obj.lookups():
        for target in fld.targets:
            if target != f.ANY_OBJECT and target not in registry.objects:
                raise ConfigError(
                    f"lookup {obj.name}.{fld.name} (plugin {fld.plugin!r}) points at object {target}, "
                    "which no enabled plugin declares"
                )


def check_name_field(registry: Registry, obj: ObjectType) -> None:
    if obj.name_field and not obj.has_field(obj.name_field):
        raise ConfigError(f"object {obj.name}: name field {obj.name_field!r} is not one of its fields")


def check_parent_field(registry: Registry, obj: ObjectType) -> None:
    if obj.sharing == "controlled_by_parent":
        parent = obj.field(obj.parent_field or "")
        if not isinstance(parent, f.Lookup) or not parent.required:
            raise ConfigError(
                f"object {obj.name} is controlled by parent, so parent_field must name a required lookup"
            )


def check_history_fields(registry: Registry, obj: ObjectType) -> None:
    for name in obj.history:
        if not obj.has_field(name):
            raise ConfigError(f"object {obj.name}: history field {name!r} is not one of its fields")


def check_formulas(registry: Registry, obj: ObjectType) -> None:
    """A formula has no column: it cannot name, index or track history, and what it reads must exist."""
    for fld in obj.fields:
        if f.is_stored(fld):
            continue
        where = f"formula {obj.name}.{fld.name} (plugin {fld.plugin!r})"
        if fld.name == obj.name_field or fld.name in obj.history or any(fld.name in i for i in obj.indexes):
            raise ConfigError(
                f"{where} has no column: it cannot be the name field, be indexed or track history"
            )
        for path in fld.depends_on:
            source, name = obj, path
            if "." in path:
                lookup_name, _, name = path.partition(".")
                lookup = obj.field(lookup_name)
                if not isinstance(lookup, f.Lookup) or lookup.polymorphic:
                    raise ConfigError(
                        f"{where} depends on {path!r}, but {lookup_name!r} is not a lookup to one object"
                    )
                source = registry.objects[lookup.targets[0]]
            target_field = source.field(name)
            if name not in f.SYSTEM_FIELD_NAMES and (target_field is None or not f.is_stored(target_field)):
                raise ConfigError(
                    f"{where} depends on {path!r}, which is not a stored field of {source.name}"
                )


def check_restrictions(registry: Registry, obj: ObjectType) -> None:
    for restriction in obj.restrictions:
        member_obj = registry.objects.get(restriction.membership[0])
        if (
            not obj.has_field(restriction.field)
            or member_obj is None
            or not all(member_obj.has_field(name) or name == "id" for name in restriction.membership[1:])
        ):
            raise ConfigError(
                f"object {obj.name}: restriction on {restriction.field!r} needs that field and a "
                f"membership object with fields {restriction.membership[1:]} (got {restriction.membership})"
            )


def check_rules(registry: Registry, obj: ObjectType) -> None:
    """A not-in-future rule names a date or date-time, of the object or of one lookup's target."""
    for name in obj.match_fields:
        if not obj.has_field(name):
            raise ConfigError(f"object {obj.name}: match field {name!r} is not one of its fields")
    for rule in obj.rules:
        where = f"object {obj.name} (plugin {obj.plugin!r}): rule on {rule.path!r}"
        source, name = obj, rule.path
        if "." in rule.path:
            lookup_name, _, name = rule.path.partition(".")
            lookup = obj.field(lookup_name)
            if not isinstance(lookup, f.Lookup) or lookup.polymorphic:
                raise ConfigError(f"{where}: {lookup_name!r} is not a lookup to one object")
            source = registry.objects[lookup.targets[0]]
        target = source.field(name)
        if not isinstance(target, f.Date | f.Datetime) or not f.is_stored(target):
            raise ConfigError(f"{where}: {name!r} is not a stored date or date-time field of {source.name}")
        if rule.when and not obj.has_field(rule.when):
            raise ConfigError(f"{where}: 'when' field {rule.when!r} is not one of its fields")


def check_indexes(registry: Registry, obj: ObjectType) -> None:
    for index in obj.indexes:
        for name in index:
            if not obj.has_field(name) and name not in f.SYSTEM_FIELD_NAMES:
                raise ConfigError(f"object {obj.name}: index field {name!r} is not one of its fields")


OBJECT_CHECKS: tuple[Callable[[Registry, ObjectType], None], ...] = (
    check_lookup_targets,
    check_name_field,
    check_parent_field,
    check_history_fields,
    check_formulas,
    check_restrictions,
    check_rules,
    check_indexes,
)


class PluginRegistry:
    """The registry as one plugin's declaration hooks see it.

    Everything added through it is recorded as that plugin's (so a clash can
    name both plugins) and namespaced names are checked against the plugin's
    namespace; reads (``objects``, ``object(name)``...) go to the registry.
    """

    def __init__(self, registry: Registry, plugin: str, namespace: str) -> None:
        self.registry = registry
        self.plugin = plugin
        self.namespace = namespace

    def add(self, item: Any) -> Any:
        return self.registry.add(item, plugin=self.plugin, namespace=self.namespace)

    def extend(
        self,
        object_name: str,
        fields: Iterable[f.Field] = (),
        picklist_values: dict[str, list[str]] | None = None,
    ) -> None:
        self.registry.extend(object_name, fields, picklist_values, plugin=self.plugin)

    def add_target(self, object_name: str) -> None:
        self.registry.add_target(object_name, plugin=self.plugin)

    def add_trigger(self, object_name: str, event: str, handler: Callable[..., Any]) -> None:
        self.registry.add_trigger(object_name, event, handler, plugin=self.plugin)

    def __getattr__(self, name: str) -> Any:
        # Reading what is declared so far (objects, object(), permission_sets...).
        return getattr(self.registry, name)
