"""
Tests for the charge point's OCPP configuration keys
(L{openocpp.chargepoint.keys}, L{openocpp.chargepoint.ocppconfig}) and its
settings (L{openocpp.chargepoint.config}).
"""

import os

from twisted.trial.unittest import SynchronousTestCase
from zope.interface.verify import verifyObject

from openocpp.chargepoint.config import ChargePointConfig
from openocpp.chargepoint.interfaces import IChargePointConfig, IOcppConfig
from openocpp.chargepoint.keys import STANDARD_KEYS, KeyDefinition, KeyType
from openocpp.chargepoint.ocppconfig import (
    IniOcppConfig,
    OcppConfig,
    SqliteConfigStorage,
    configuration_keys,
)
from openocpp.chargepoint.store import ChargePointStore
from openocpp.messages.enums import ConfigurationStatus

ACCEPTED = ConfigurationStatus.ACCEPTED
REJECTED = ConfigurationStatus.REJECTED
NOT_SUPPORTED = ConfigurationStatus.NOT_SUPPORTED
REBOOT_REQUIRED = ConfigurationStatus.REBOOT_REQUIRED

#: OCPP 1.6 edition 2 chapter 9, key by key: (name, read-only).
CHAPTER_9 = {
    # 9.1 Core
    "AllowOfflineTxForUnknownId": False, "AuthorizationCacheEnabled": False,
    "AuthorizeRemoteTxRequests": False, "BlinkRepeat": False,
    "ClockAlignedDataInterval": False, "ConnectionTimeOut": False,
    "ConnectorPhaseRotation": False, "ConnectorPhaseRotationMaxLength": True,
    "GetConfigurationMaxKeys": True, "HeartbeatInterval": False, "LightIntensity": False,
    "LocalAuthorizeOffline": False, "LocalPreAuthorize": False,
    "MaxEnergyOnInvalidId": False, "MeterValuesAlignedData": False,
    "MeterValuesAlignedDataMaxLength": True, "MeterValuesSampledData": False,
    "MeterValuesSampledDataMaxLength": True, "MeterValueSampleInterval": False,
    "MinimumStatusDuration": False, "NumberOfConnectors": True, "ResetRetries": False,
    "StopTransactionOnEVSideDisconnect": False, "StopTransactionOnInvalidId": False,
    "StopTxnAlignedData": False, "StopTxnAlignedDataMaxLength": True,
    "StopTxnSampledData": False, "StopTxnSampledDataMaxLength": True,
    "SupportedFeatureProfiles": True, "SupportedFeatureProfilesMaxLength": True,
    "TransactionMessageAttempts": False, "TransactionMessageRetryInterval": False,
    "UnlockConnectorOnEVSideDisconnect": False, "WebSocketPingInterval": False,
    # 9.2 Local Auth List Management
    "LocalAuthListEnabled": False, "LocalAuthListMaxLength": True,
    "SendLocalListMaxLength": True,
    # 9.3 Reservation
    "ReserveConnectorZeroSupported": True,
    # 9.4 Smart Charging
    "ChargeProfileMaxStackLevel": True, "ChargingScheduleAllowedChargingRateUnit": True,
    "ChargingScheduleMaxPeriods": True, "ConnectorSwitch3to1PhaseSupported": True,
    "MaxChargingProfilesInstalled": True,
}
#: The errata sheet's new keys, and the security keys.
ERRATA = {
    "MessageTimeout": False, "StopTransactionMaxMeterValues": True,
    "SupportedFileTransferProtocols": True,  # errata 3.88
}
SECURITY = {
    "AdditionalRootCertificateCheck": True, "AuthorizationKey": False,
    "CertificateSignedMaxChainSize": True, "CertificateStoreMaxLength": True,
    "CpoName": False, "SecurityProfile": False, "SecurityLogMaxEntriesCount": True,
}


def memory_config(**kwargs) -> OcppConfig:
    store = ChargePointStore(":memory:")
    return OcppConfig(SqliteConfigStorage(store), **kwargs)


class StandardKeysTests(SynchronousTestCase):
    """
    The table holds every standard key with its accessibility and type.
    """

    def test_every_key(self):
        """
        The 43 keys of chapter 9, the 3 of the errata sheet and the 7
        security keys: 53, each once, read-only as the documents say.
        """
        self.assertEqual(len(CHAPTER_9), 43)
        expected = {**CHAPTER_9, **ERRATA, **SECURITY}
        names = [key.name for key in STANDARD_KEYS]
        self.assertEqual(len(names), len(set(names)))
        self.assertEqual(len(STANDARD_KEYS), 53)
        self.assertEqual({k.name: k.readonly for k in STANDARD_KEYS}, expected)

    def test_defaults_valid(self):
        """
        Every default fits its key's type.
        """
        for key in STANDARD_KEYS:
            if key.default:
                self.assertIsNone(key.check(key.default), key.name)

    def test_types(self):
        """
        Booleans, integers, lists and strings as chapter 9 says.
        """
        types = {k.name: k.type for k in STANDARD_KEYS}
        self.assertEqual(types["AuthorizationCacheEnabled"], KeyType.BOOLEAN)
        self.assertEqual(types["HeartbeatInterval"], KeyType.INTEGER)
        self.assertEqual(types["MeterValuesSampledData"], KeyType.CSL)
        self.assertEqual(types["ConnectorPhaseRotation"], KeyType.CSL)
        self.assertEqual(types["CpoName"], KeyType.STRING)
        self.assertEqual(types["AuthorizationKey"], KeyType.STRING)


class OcppConfigTests(SynchronousTestCase):
    """
    L{OcppConfig} keeps values and applies ChangeConfiguration's rules.
    """

    def test_interface(self):
        verifyObject(IOcppConfig, memory_config())
        verifyObject(IOcppConfig, IniOcppConfig(self.mktemp()))

    def test_defaults_and_typed_reads(self):
        config = memory_config(defaults={"HeartbeatInterval": "60"})
        self.assertEqual(config.get("HeartbeatInterval"), "60")
        self.assertEqual(config.integer("HeartbeatInterval"), 60)
        self.assertIs(config.boolean("AuthorizationCacheEnabled"), True)
        self.assertEqual(config.items("MeterValuesSampledData"), ["Energy.Active.Import.Register"])
        self.assertIsNone(config.get("NoSuchKey"))
        self.assertRaises(KeyError, config.integer, "NoSuchKey")

    def test_accepted(self):
        """
        A writable key with a value of its type is Accepted and stored
        normalised.
        """
        config = memory_config()
        self.assertEqual(config.change("HeartbeatInterval", "+0120"), ACCEPTED)
        self.assertEqual(config.get("HeartbeatInterval"), "120")
        self.assertEqual(config.change("LocalPreAuthorize", "TRUE"), ACCEPTED)
        self.assertEqual(config.get("LocalPreAuthorize"), "true")
        self.assertEqual(
            config.change("MeterValuesSampledData", "Voltage.L1, Current.Import"), ACCEPTED
        )
        self.assertEqual(config.items("MeterValuesSampledData"), ["Voltage.L1", "Current.Import"])
        self.assertEqual(config.change("StopTxnSampledData", ""), ACCEPTED)
        self.assertEqual(config.items("StopTxnSampledData"), [])

    def test_not_supported(self):
        config = memory_config()
        self.assertEqual(config.change("NoSuchKey", "1"), NOT_SUPPORTED)
        self.assertEqual(config.change("HeartbeatIntervals", "1"), NOT_SUPPORTED)

    def test_names_case_insensitive(self):
        """
        Key names are CiString50Type: any case names the key (section 7.17).
        """
        config = memory_config()
        self.assertEqual(config.change("heartbeatinterval", "1"), ACCEPTED)
        self.assertEqual(config.get("HEARTBEATINTERVAL"), "1")
        self.assertEqual(config.definition("heartBeatInterval").name, "HeartbeatInterval")
        with self.assertRaises(ValueError):
            config.register(KeyDefinition(name="heartbeatINTERVAL", type=KeyType.INTEGER,
                                          readonly=False, default="1"))

    def test_rejected(self):
        """
        Read-only keys, values of the wrong type or out of range, lists
        longer than their MaxLength key, unknown measurands: Rejected, and
        nothing changes.
        """
        config = memory_config(fixed={"NumberOfConnectors": "2"})
        for key, value in [
            ("NumberOfConnectors", "3"),
            ("GetConfigurationMaxKeys", "5"),
            ("HeartbeatInterval", "often"),
            ("HeartbeatInterval", "-1"),
            ("WebSocketPingInterval", "-5"),
            ("LightIntensity", "101"),
            ("LocalPreAuthorize", "yes"),
            ("MeterValuesSampledData", "Energy.Active.Import.Register,Nonsense"),
            ("MeterValuesSampledData", "Voltage.L9"),
            ("ConnectorPhaseRotation", "1.XYZ"),
            ("AuthorizationKey", "short"),
            ("TransactionMessageAttempts", "0"),
        ]:
            self.assertEqual(config.change(key, value), REJECTED, (key, value))
        self.assertEqual(config.get("HeartbeatInterval"), "300")
        self.assertEqual(config.get("NumberOfConnectors"), "2")

    def test_huge_integers_rejected(self):
        """
        Integers beyond a 32-bit signed integer are Rejected, whatever the
        key: none of them makes sense, and timers cannot take them.
        """
        config = memory_config()
        for key in ("HeartbeatInterval", "MeterValueSampleInterval", "ClockAlignedDataInterval",
                    "MinimumStatusDuration", "ConnectionTimeOut", "MessageTimeout",
                    "TransactionMessageRetryInterval", "WebSocketPingInterval"):
            self.assertEqual(config.change(key, "2147483648"), REJECTED, key)
            self.assertEqual(config.change(key, "1" + "0" * 400), REJECTED, key)
            self.assertEqual(config.change(key, "2147483647"), ACCEPTED, key)

    def test_list_max_length(self):
        """
        A list may hold as many items as its MaxLength key says.
        """
        config = memory_config(defaults={"MeterValuesSampledDataMaxLength": "2"})
        self.assertEqual(
            config.change("MeterValuesSampledData", "Voltage,Current.Import"), ACCEPTED
        )
        self.assertEqual(
            config.change("MeterValuesSampledData", "Voltage,Current.Import,SoC"), REJECTED
        )

    def test_supported_measurands(self):
        """
        Measurand lists naming one the meter does not support are Rejected
        (errata 3.13, section 3.14.4).
        """
        config = memory_config()
        config.supported_measurands = frozenset({"Energy.Active.Import.Register", "Voltage"})
        self.assertEqual(config.change("MeterValuesAlignedData", "Voltage.L2"), ACCEPTED)
        self.assertEqual(config.change("StopTxnSampledData", "SoC"), REJECTED)
        self.assertEqual(config.items("StopTxnSampledData"), [])

    def test_security_profile_only_raised(self):
        config = memory_config(defaults={"SecurityProfile": "1"})
        self.assertEqual(config.change("SecurityProfile", "1"), REJECTED)
        self.assertEqual(config.change("SecurityProfile", "0"), REJECTED)
        self.assertEqual(config.change("SecurityProfile", "4"), REJECTED)
        self.assertEqual(config.change("SecurityProfile", "2"), ACCEPTED)

    def test_plugin_keys(self):
        """
        Plugins add keys of their own; a key that needs a reboot is
        answered RebootRequired.
        """
        config = memory_config()
        config.register(KeyDefinition(
            name="SiteMaxCurrent", type=KeyType.INTEGER, readonly=False, default="32",
            minimum=6, maximum=63, reboot_required=True, profile="Site",
        ))
        self.assertEqual(config.integer("SiteMaxCurrent"), 32)
        self.assertEqual(config.change("SiteMaxCurrent", "16"), REBOOT_REQUIRED)
        self.assertEqual(config.integer("SiteMaxCurrent"), 16)
        self.assertEqual(config.change("SiteMaxCurrent", "5"), REJECTED)
        self.assertRaises(ValueError, config.register, STANDARD_KEYS[0])

    def test_persisted(self):
        """
        Values set are in the SQLite file: a new configuration on the same
        file has them; a reset forgets them.
        """
        path = self.mktemp()
        store = ChargePointStore(path)
        OcppConfig(SqliteConfigStorage(store)).change("HeartbeatInterval", "77")
        store.close()
        store = ChargePointStore(path)
        self.addCleanup(store.close)
        config = OcppConfig(SqliteConfigStorage(store))
        self.assertEqual(config.get("HeartbeatInterval"), "77")
        config.reset()
        self.assertEqual(OcppConfig(SqliteConfigStorage(store)).get("HeartbeatInterval"), "300")

    def test_stored_values_win_over_defaults_fixed_win_over_all(self):
        config = memory_config(defaults={"SecurityProfile": "0"}, fixed={"NumberOfConnectors": "3"})
        config.set("SecurityProfile", "1")
        config.set("NumberOfConnectors", "5")
        self.assertEqual(config.get("SecurityProfile"), "1")
        self.assertEqual(config.get("NumberOfConnectors"), "3")

    def test_set_checks_type(self):
        config = memory_config()
        self.assertRaises(ValueError, config.set, "HeartbeatInterval", "x")
        self.assertRaises(KeyError, config.set, "NoSuchKey", "1")

    def test_ini(self):
        """
        L{IniOcppConfig} reads the C{[ocpp]} section and writes changes back.
        """
        path = self.mktemp()
        with open(path, "w") as handle:
            handle.write("[ocpp]\nHeartbeatInterval = 42\nLocalPreAuthorize = True\nBogus = 1\n")
        config = IniOcppConfig(path)
        self.assertEqual(config.integer("HeartbeatInterval"), 42)
        self.assertIs(config.boolean("LocalPreAuthorize"), True)
        self.assertEqual(config.change("MeterValueSampleInterval", "15"), ACCEPTED)
        again = IniOcppConfig(path)
        self.assertEqual(again.integer("MeterValueSampleInterval"), 15)
        self.assertEqual(again.integer("HeartbeatInterval"), 42)
        self.assertFalse(os.path.exists(path + ".tmp"))
        self.assertEqual(config.change("heartbeatinterval", "7"), ACCEPTED)
        self.assertEqual(IniOcppConfig(path).integer("HeartbeatInterval"), 7)

    def test_ini_bad_value_ignored(self):
        path = self.mktemp()
        with open(path, "w") as handle:
            handle.write("[ocpp]\nHeartbeatInterval = soon\n")
        self.assertEqual(IniOcppConfig(path).integer("HeartbeatInterval"), 300)
        self.flushLoggedErrors()


class GetConfigurationTests(SynchronousTestCase):
    """
    L{configuration_keys} answers GetConfiguration.
    """

    def test_all_keys_but_authorization_key(self):
        config = memory_config(defaults={"AuthorizationKey": "0123456789abcdef"})
        known, unknown = configuration_keys(config, None)
        names = [name for name, _, _ in known]
        self.assertEqual(len(names), 52)
        self.assertNotIn("AuthorizationKey", names)
        self.assertEqual(unknown, [])
        self.assertNotIn("0123456789abcdef", [value for _, _, value in known])

    def test_supported_file_transfer_protocols(self):
        """
        SupportedFileTransferProtocols (errata 3.88, 9.5.1) is read-only and
        lists the schemes openocpp.transfer serves: FTP, HTTP, HTTPS (no
        FTPS); a ChangeConfiguration of it is Rejected.
        """
        config = memory_config()
        known, unknown = configuration_keys(config, ["SupportedFileTransferProtocols"])
        self.assertEqual(known, [("SupportedFileTransferProtocols", True, "FTP,HTTP,HTTPS")])
        self.assertEqual(config.change("SupportedFileTransferProtocols", "FTPS"), REJECTED)

    def test_some_keys(self):
        config = memory_config()
        known, unknown = configuration_keys(
            config, ["HeartbeatInterval", "Nope", "AuthorizationKey", "NumberOfConnectors"]
        )
        self.assertEqual(
            known, [("HeartbeatInterval", False, "300"), ("NumberOfConnectors", True, "2")]
        )
        self.assertEqual(unknown, ["Nope", "AuthorizationKey"])


class ChargePointConfigTests(SynchronousTestCase):
    """
    L{ChargePointConfig} refuses settings that cannot work.
    """

    def test_defaults(self):
        config = ChargePointConfig()
        verifyObject(IChargePointConfig, config)
        self.assertEqual(config.url, "ws://127.0.0.1:8080/openocpp")
        self.assertEqual(config.identity, "CP001")
        self.assertEqual(config.connectors, 2)

    def test_invalid(self):
        for settings in [
            {"security_profile": 4},
            {"security_profile": 1},  # no password
            {"security_profile": 2, "password": "0123456789abcdef"},  # ws:// URL
            {"connectors": 0},
            {"call_timeout": 0},
            {"vendor": "x" * 21},
            {"reconnect_initial_delay": 10, "reconnect_max_delay": 5},
            {"firmware_version": "x" * 51},
            {"iccid": "1" * 21},
            {"identity": ""},
        ]:
            self.assertRaises(ValueError, ChargePointConfig, **settings)

    def test_profile_1(self):
        config = ChargePointConfig(security_profile=1, password="0123456789abcdef")
        self.assertEqual(config.security_profile, 1)


class ObserverTests(SynchronousTestCase):
    """
    A key's owner observes it: told when it is announced, and only of it.
    """

    def test_observers_told_of_their_key_only(self):
        config = memory_config()
        heard = []
        config.observe("HeartbeatInterval", lambda key, value: heard.append(("a", key, value)))
        config.observe("heartbeatinterval", lambda key, value: heard.append(("b", key, value)))
        config.observe("MeterValueSampleInterval", lambda key, value: heard.append(("c", key, value)))
        config.announce("HEARTBEATINTERVAL", "60")
        self.assertEqual(heard, [("a", "HeartbeatInterval", "60"), ("b", "HeartbeatInterval", "60")])

    def test_failing_observer_does_not_stop_the_others(self):
        config = memory_config()
        heard = []

        def broken(key, value):
            raise RuntimeError("broken")

        config.observe("MessageTimeout", broken)
        config.observe("MessageTimeout", lambda key, value: heard.append(value))
        config.announce("MessageTimeout", "5")
        self.assertEqual(heard, ["5"])
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    def test_plugin_key_observed_before_it_is_registered(self):
        config = memory_config()
        heard = []
        config.observe("SimulatedMeterMaxCurrent", lambda key, value: heard.append(value))
        config.register(KeyDefinition(name="SimulatedMeterMaxCurrent", type=KeyType.INTEGER,
                                      readonly=False, default="16"))
        config.announce("SimulatedMeterMaxCurrent", "20")
        self.assertEqual(heard, ["20"])
