"""
The OCPP configuration of a charge point: the standard keys and those
plugins register, their values, and the rules of ChangeConfiguration.

Two implementations of L{IOcppConfig}: L{OcppConfig} keeps values in the
charge point's SQLite file (the default), L{IniOcppConfig} in an INI file
(handy for examples: edit the file, restart).
"""

import configparser
import os
from typing import Any, Iterable

from twisted.logger import Logger
from zope.interface import implementer

from openocpp.chargepoint.interfaces import IOcppConfig
from openocpp.chargepoint.keys import (
    STANDARD_KEYS,
    KeyDefinition,
    KeyType,
    measurand_item,
    parse_boolean,
    split_list,
)
from openocpp.messages.enums import ConfigurationStatus

#: The lists of measurands, checked against the meter's supported ones.
MEASURAND_LISTS = frozenset(
    {"MeterValuesAlignedData", "MeterValuesSampledData", "StopTxnAlignedData", "StopTxnSampledData"}
)


class SqliteConfigStorage:
    """
    Keeps configuration values in the charge point's SQLite file.

    @param store: the L{openocpp.chargepoint.store.ChargePointStore}.
    """

    def __init__(self, store: Any) -> None:
        self._store = store

    def load(self) -> dict[str, str]:
        return self._store.config_values()

    def save(self, key: str, value: str) -> None:
        self._store.set_config(key, value)

    def clear(self) -> None:
        self._store.clear_config()


class IniConfigStorage:
    """
    Keeps configuration values in the C{[ocpp]} section of an INI file; a
    change rewrites the file (through a temporary file, atomically).

    @param path: the INI file (created when missing).
    @param section: the section holding the keys.
    """

    def __init__(self, path: str, section: str = "ocpp") -> None:
        self.path = path
        self.section = section

    def _read(self) -> configparser.ConfigParser:
        parser = configparser.ConfigParser(interpolation=None)
        parser.optionxform = str  # keys keep their case
        parser.read(self.path, encoding="utf-8")
        if not parser.has_section(self.section):
            parser.add_section(self.section)
        return parser

    def load(self) -> dict[str, str]:
        return dict(self._read().items(self.section))

    def save(self, key: str, value: str) -> None:
        parser = self._read()
        for option in parser.options(self.section):
            if option.casefold() == key.casefold():
                parser.remove_option(self.section, option)  # written in another case
        parser.set(self.section, key, value)
        self._write(parser)

    def clear(self) -> None:
        parser = self._read()
        parser.remove_section(self.section)
        parser.add_section(self.section)
        self._write(parser)

    def _write(self, parser: configparser.ConfigParser) -> None:
        temporary = self.path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            parser.write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)


@implementer(IOcppConfig)
class OcppConfig:
    """
    The configuration keys of a charge point and their values.

    @param storage: where values are kept (L{SqliteConfigStorage},
        L{IniConfigStorage}); only values that differ from a key's default
        need to be there.
    @param defaults: values to use instead of the table's defaults for keys
        the storage has no value for (e.g. C{SecurityProfile} and
        C{AuthorizationKey} from the command line).
    @param fixed: values that always win, whatever the storage says (e.g.
        C{NumberOfConnectors}, which the hardware decides).
    """

    log = Logger()

    def __init__(
        self,
        storage: Any,
        defaults: dict[str, str] | None = None,
        fixed: dict[str, str] | None = None,
    ) -> None:
        self._storage = storage
        self._definitions: dict[str, KeyDefinition] = {key.name: key for key in STANDARD_KEYS}
        #: Key names are CiString50Type: case-insensitive (section 7.17).
        self._names: dict[str, str] = {key.name.casefold(): key.name for key in STANDARD_KEYS}
        self._defaults = dict(defaults or {})
        self._fixed = dict(fixed or {})
        self._values: dict[str, str] = {}
        self.supported_measurands: frozenset[str] | None = None
        #: Observers of changed keys, by case-folded key name.
        self._observers: dict[str, list[Any]] = {}
        self._load()

    def _load(self) -> None:
        values = self._storage.load()
        self._values = {}
        for key, value in values.items():
            definition = self.definition(key)
            if definition is None:
                # A plugin's key not registered yet: kept until it is.
                self._values[key] = value
                continue
            problem = definition.check(value)
            if problem is not None:
                self.log.warn(
                    "Ignoring the stored value {value!r} of {key}: {problem}",
                    key=key,
                    value=value,
                    problem=problem,
                )
                continue
            self._values[definition.name] = definition.normalise(value)

    # -- reading ------------------------------------------------------------

    def definition(self, key: str) -> KeyDefinition | None:
        """
        @param key: a key name, in any case.
        """
        if not isinstance(key, str):
            return None
        return self._definitions.get(self._names.get(key.casefold(), key))

    def definitions(self) -> list[KeyDefinition]:
        return list(self._definitions.values())

    def get(self, key: str) -> str | None:
        definition = self.definition(key)
        if definition is None:
            return None
        key = definition.name
        if key in self._fixed:
            return self._fixed[key]
        if key in self._values:
            return self._values[key]
        return self._defaults.get(key, definition.default)

    def integer(self, key: str) -> int:
        return int(self._require(key))

    def boolean(self, key: str) -> bool:
        return parse_boolean(self._require(key))

    def items(self, key: str) -> list[str]:
        return split_list(self._require(key))

    def _require(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    # -- registering ----------------------------------------------------------

    def register(self, definition: KeyDefinition) -> None:
        if self.definition(definition.name) is not None:
            raise ValueError(f"the configuration key {definition.name} already exists")
        problem = definition.check(definition.default)
        if problem is not None and definition.default != "":
            raise ValueError(f"the default of {definition.name} is invalid: {problem}")
        self._definitions[definition.name] = definition
        self._names[definition.name.casefold()] = definition.name
        for name in list(self._values):
            if name != definition.name and name.casefold() == definition.name.casefold():
                self._values.setdefault(definition.name, self._values.pop(name))
        stored = self._values.get(definition.name)
        if stored is not None and definition.check(stored) is not None:
            del self._values[definition.name]

    # -- observing ----------------------------------------------------------------

    def observe(self, key: str, observer: Any) -> None:
        """
        Call C{observer(key, value)} whenever C{key} is L{announce}d: the
        collaborator that owns a key subscribes to it. The key need not be
        registered yet (a plugin's).
        """
        self._observers.setdefault(key.casefold(), []).append(observer)

    def announce(self, key: str, value: str) -> None:
        """
        Tell the observers of C{key} (in the order they subscribed) that it
        changed to C{value}; one that fails is logged, and the others are
        still told.
        """
        definition = self.definition(key)
        name = key if definition is None else definition.name
        for observer in list(self._observers.get(key.casefold(), ())):
            try:
                observer(name, value)
            except Exception:
                self.log.failure("Applying the new value of {key} failed", key=name)

    # -- changing ---------------------------------------------------------------

    def validate(self, key: str, value: str) -> tuple[ConfigurationStatus, str | None]:
        definition = self.definition(key)
        if definition is None:
            return ConfigurationStatus.NOT_SUPPORTED, "unknown key"
        if definition.readonly or definition.name in self._fixed:
            return ConfigurationStatus.REJECTED, "read-only"
        problem = self._problem(definition, value)
        if problem is not None:
            return ConfigurationStatus.REJECTED, problem
        if definition.reboot_required:
            return ConfigurationStatus.REBOOT_REQUIRED, None
        return ConfigurationStatus.ACCEPTED, None

    def _problem(self, definition: KeyDefinition, value: str) -> str | None:
        problem = definition.check(value)
        if problem is not None:
            return problem
        if definition.type is KeyType.CSL:
            items = split_list(value)
            if definition.max_length_key is not None:
                limit_text = self.get(definition.max_length_key)
                limit = int(limit_text) if limit_text is not None else 1
            else:
                limit = None
            if limit is not None and len(items) > limit:
                return f"more than {limit} items"
            if definition.name in MEASURAND_LISTS and self.supported_measurands is not None:
                for item in items:
                    measurand, _ = measurand_item(item)
                    if measurand not in self.supported_measurands:
                        return f"the meter does not measure {measurand}"
        if definition.name == "SecurityProfile":
            if int(value) <= self.integer("SecurityProfile"):
                return "a security profile may only be raised"
        return None

    def change(self, key: str, value: str) -> ConfigurationStatus:
        status, problem = self.validate(key, value)
        if status in (ConfigurationStatus.ACCEPTED, ConfigurationStatus.REBOOT_REQUIRED):
            self._store(self.definition(key), value)
        return status

    def set(self, key: str, value: str) -> None:
        definition = self.definition(key)
        if definition is None:
            raise KeyError(key)
        problem = definition.check(value)
        if problem is not None:
            raise ValueError(f"{value!r} is not a valid {key}: {problem}")
        self._store(definition, value)

    def _store(self, definition: KeyDefinition, value: str) -> None:
        value = definition.normalise(value)
        self._storage.save(definition.name, value)
        self._values[definition.name] = value

    def reset(self) -> None:
        self._storage.clear()
        self._values = {}


@implementer(IOcppConfig)
class IniOcppConfig(OcppConfig):
    """
    An L{OcppConfig} whose values live in the C{[ocpp]} section of an INI
    file: keys the file does not name have their defaults, and
    ChangeConfiguration rewrites the file::

        [ocpp]
        HeartbeatInterval = 60
        MeterValuesSampledData = Energy.Active.Import.Register,Power.Active.Import

    @param path: the INI file.
    """

    def __init__(
        self,
        path: str,
        defaults: dict[str, str] | None = None,
        fixed: dict[str, str] | None = None,
        section: str = "ocpp",
    ) -> None:
        super().__init__(IniConfigStorage(path, section), defaults, fixed)


def configuration_keys(config: IOcppConfig, keys: Iterable[str] | None) -> tuple[list, list]:
    """
    The answer to GetConfiguration: (known keys as (name, read-only, value)
    tuples, unknown key names). Names are matched in any case, and answered
    in the key's own. Write-only keys (AuthorizationKey) are never shown:
    asked for by name, they are reported unknown.
    """
    known, unknown = [], []
    if keys is None:
        names = [d.name for d in config.definitions()]
    else:
        names = list(keys)
    for name in names:
        definition = config.definition(name)
        if definition is None or definition.write_only:
            if keys is not None:
                unknown.append(name)
            continue
        name = definition.name
        readonly = definition.readonly or name in getattr(config, "_fixed", {})
        known.append((name, readonly, config.get(name)))
    return known, unknown
